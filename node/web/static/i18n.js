// i18n.js — the interface's words, one table per language (English and
// French). The language is the person's choice when made (kept in
// localStorage), else the browser's (navigator.languages, what it sends as
// Accept-Language), else English. t(key, {name: value}) fills {name}
// placeholders; a key missing in French falls back to English.

export const LANGS = ['en', 'fr'];
const STORE = 'raison-lang';

const en = {
  skip: 'Skip to content', close: 'Close', confirm: 'Confirm', cancel: 'Cancel', continue: 'Continue', retry: 'Try again',
  save: 'Save', more: 'Show more', older: 'Older posts', yes: 'yes', no: 'no', you: 'you', someone: 'someone', required: 'required',
  form_errors: 'Please correct these:', switch_lang: 'Français', login: 'Log in', logout: 'Log out',
  nav_groups: 'Groups', nav_found: 'Found a group', nav_profile: 'Profile', nav_key: 'My key', nav_node: 'Node',
  err_network: 'The server cannot be reached. Check your connection and try again.',
  err_session: 'Your session has ended: reload the page to log in again.',
  err_node_down: 'The site\'s node is not answering.',
  down_title: 'The site\'s node is not running',
  down_text: 'raison web is up, but the node behind it does not answer. Nothing you wrote is lost: what this browser signed is kept and sent when the node is back. Ask your site\'s operator, then try again.',
  signed_out: 'You are logged out', login_failed: 'You could not log in',
  welcome_title: 'Welcome to raison',
  welcome_invite: 'Your invite lets you in. First, this browser makes your key.',
  welcome_noinvite: 'To join this site you need an invite link from its operator, unless the site is open to everyone.',
  why_title: 'Your key, and why its backup matters',
  why_sign: 'Everything you write here is signed by a key that only this browser holds. Nobody else — not the site\'s operator, not the server — can write in your name.',
  why_backup: 'The key lives in this browser only. If you lose it (a new laptop, another browser, site data cleared), your key is gone with it. A backup, locked with a passphrase you choose, lets you restore it on another browser. It can only be made right after the key is created: the key is then kept so that no script can read it out again.',
  new_here: 'New here', create_key: 'Create my key', have_backup: 'I have a backup of my key',
  restore_file: 'Backup file', restore_text: 'Or paste the backup', restore_text_hint: 'The text of the file you saved (it starts with {"format": "raison-key-backup-v1").',
  restore_go: 'Restore my key', restored: 'Your key is restored in this browser.',
  passphrase: 'Passphrase', passphrase_again: 'The same passphrase again', passphrase_hint: 'At least {n} characters. Without it the backup cannot be opened: nobody can recover it for you.',
  passphrase_short: 'The passphrase needs at least {n} characters.', passphrase_differ: 'The two passphrases differ.',
  backup_title: 'Save a backup of your key', backup_now: 'Do it now: this is the only moment a backup can be made.',
  backup_make: 'Make the backup', backup_skip: 'Not now',
  backup_skip_q: 'Go on without a backup?', backup_skip_text: 'Without a backup, losing this browser means losing your key: you could not write under your name from another browser. A backup cannot be made later.',
  backup_skip_yes: 'Go on without a backup', backup_ready: 'Your backup is ready. Save the file somewhere safe (not only on this computer), or copy the text.',
  backup_download: 'Download {name}', backup_copy: 'The backup as text', backup_saved: 'I have saved it',
  backup_gone: 'A backup can no longer be made in this browser: it is possible only in the visit that creates the key.',
  key_title: 'My key', key_is: 'Your public key (your name on every entry):',
  profile_first: 'Tell the others who you are', profile_title: 'Your profile', profile_lead: 'Shown beside what you write, at every site.',
  profile_name: 'Name', profile_site: 'Site', profile_site_hint: 'Where you work (e.g. paris): groups active at your site come first.', profile_role: 'Role (optional)',
  profile_saved: 'Your profile is saved.',
  groups_title: 'Groups', groups_lead: 'What each group is for, what its members gain, and what it delivered lately.',
  filter: 'Filter by text', filter_hint: 'name or purpose', groups_shown: 'Groups shown: {n}', no_match: 'No group matches.', no_groups: 'No group yet: found the first one.',
  recent_line: '{posts} {posts:post|posts} by {people} {people:person|people} from {sites} {sites:site|sites} in the last {days} {days:day|days}, {cross} {cross:reply|replies} across sites',
  posts_total: '{n} {n:post|posts}', active_here: 'Active at your site', benefits: 'What members gain', missions: 'Missions',
  members_n: '{n} {n:member|members}', version_n: 'version {n}', members_only: 'members only',
  group_sections: 'Group', timeline: 'Timeline', report: 'Value report', amend: 'Amend the charter', charter: 'Charter',
  charter_v: 'Charter, version {n}', data_policy: 'Data policy', readers: 'Who reads', use: 'What it is used for, and never used for',
  retention: 'How long posts are kept', retention_days: '{n} {n:day|days}', retention_kept: 'kept (no limit)',
  access_open: 'Open: anyone can join', access_members: 'Members only: the owners add members',
  members_only_notice: 'This group is for members only. Its owners add members:',
  members_only_join: 'An owner must add you first; then joining acknowledges the charter.',
  disputed: 'Two amendments of the same version exist: the charter is disputed.', being_updated: 'Being updated: the figures may still change.',
  join: 'Join', join_q: 'Join {name}?', join_text: 'Joining acknowledges version {v} of the charter shown on this page: its purpose, missions and data policy.',
  charter_id: 'Charter version id:', join_policy: 'Readers: {readers}. Use: {use}', join_yes: 'Join under version {v}', joined: 'You joined {name}.',
  leave: 'Leave', leave_q: 'Leave {name}?', leave_text: 'Your posts stay; you can join again later.', left: 'You left {name}.',
  members_total: 'Members ({n})', owners: 'Owners', members: 'Members', owner: 'owner',
  remove: 'Remove', remove_who: 'Remove {who}', remove_q: 'Remove {who} from the group?', remove_text: 'They will no longer be a member. Their posts stay.',
  removed: 'Removed.', add_member: 'Add a member', member_key: 'Their public key', add_member_hint: '64 hexadecimal characters (shown on their "My key" page).',
  add: 'Add', added: 'Added.', bad_key: 'A key is 64 hexadecimal characters.',
  history: 'Versions ({n})',
  timeline_of: '{name}: timeline', all_missions: 'All missions', posts: 'Posts', no_posts: 'No post yet.',
  post_by: 'Post by {who}', reply: 'Reply', reply_to: 'in reply to {id}', reply_to_gone: '(the post it answered was withdrawn)', retract: 'Retract', erase: 'Erase',
  erased: '(erased by its author)', retract_q: 'Retract this post?', retract_text: 'It disappears from every view, at every site. The text stays on the nodes, so it could be shown again; to delete it, erase it instead.',
  retract_yes: 'Retract', erase_q: 'Erase this post?',
  erase_text: 'Erasing deletes the text of this post on every node, at every site, for good: it cannot be undone. What stays is the signed header: that you wrote something at this time, not what.',
  erase_yes: 'Erase for good', erased_done: 'The post is erased: its text is gone from every node.', retracted_done: 'The post is retracted.',
  mission: 'Mission', choose_mission: 'Choose the mission this serves…', your_post: 'Your post', your_reply: 'Your reply',
  send_post: 'Post', send_reply: 'Send the reply', post_form: 'New post', reply_form: 'Reply',
  mission_required: 'Choose a mission: every post serves one.', text_required: 'Write something first.',
  post_sent: 'Posted.', reply_sent: 'Reply sent.', live_on: 'New posts appear as they come.', live_off: 'Live updates paused: reconnecting…',
  broken_rule: 'Stored, but no view shows it: {m}',
  report_of: '{name}: value report', window: 'Period', days_n: 'last {n} {n:day|days}', all_time: 'all time',
  report_line: '{posts} {posts:post|posts} by {people} {people:person|people} from {sites} {sites:site|sites}; replies: {replies}, across sites: {cross};', in_last_days: 'in the last {n} {n:day|days}', in_all_time: 'since the group began',
  m_posts: 'Posts per mission', m_people: 'People per mission', m_sites: 'Sites per mission', m_replies: 'Replies per mission',
  m_cross: 'Cross-site replies per mission', m_activity: 'Posts per day', no_posts_window: 'No post in this period.',
  retired: '(retired)', mission_goals: 'Goals', last_activity: 'last post {when}',
  found_title: 'Found a group', found_lead: 'A group starts with its charter: what it is for, what members gain, and what is done with what they write.',
  amend_title: 'Amend the charter of {name}', amend_lead: 'This makes version {v}. Members who joined under an earlier version see the change.',
  not_owner: 'Only an owner of the group can amend its charter.',
  c_name: 'Name', c_purpose: 'Purpose', c_purpose_hint: 'One or two sentences: why the group exists.',
  c_mission_key: 'Mission key', c_mission_key_hint: '1 to 32 of a-z, 0-9 and -', c_mission_goal: 'Goal', add_mission: 'Add a mission',
  c_benefit: 'Benefit', add_benefit: 'Add a benefit', remove_row: 'Remove this row',
  c_readers_hint: 'e.g. all engineers', c_use_hint: 'e.g. used to improve our tools, never to rate people', c_retention_hint: 'Whole days; 0 keeps posts.',
  c_access: 'Who can join', c_owners_hint: 'Public keys, one per line; yours must be among them.',
  found_go: 'Found the group', amend_go: 'Publish version {v}', founded: 'The group {name} is founded.', amended: 'Version {v} is published.',
  v_name: 'The group needs a name.', v_purpose: 'The group needs a purpose.', v_missions: 'Give at least one mission.',
  v_mission_key: 'Mission {n}: the key must be 1 to 32 of a-z, 0-9 and -.', v_mission_dup: 'The mission key {key} is used twice.',
  v_mission_goal: 'Mission {n}: give its goal.', v_benefits: 'Give at least one benefit.', v_benefit_empty: 'Benefit {n} is empty.',
  v_readers: 'Say who reads the posts.', v_use: 'Say what the posts are used for, and never used for.',
  v_retention: 'Retention is a whole number of days (0: kept).', v_access: 'Choose who can join.',
  v_owner_hex: 'Each owner is a key of 64 hexadecimal characters.', v_owner_me: 'Your own key must be among the owners.',
  pending_waiting: 'An entry you signed ({kind}, seq {seq}, {id}) is waiting to be sent.', pending_retry: 'Send it now', pending_sent: 'Your waiting entry is sent.',
  node_title: 'The site\'s node', node_status: 'Status', bodies_missing: '{n} {n:body|bodies} missing (being fetched from peers)',
  node_peers: 'Peers ({n})', listens_on: 'Listens for peers on {at}', no_peers: 'No peer.',
  endpoint: 'Endpoint', connected: 'connected', not_connected: 'not connected', since: 'Since', bodies_fetched: 'Bodies fetched from it', checkpoint_note: 'The checkpoint, as signed', sent_received: 'Entries sent / received', missing: 'They lack',
  checkpoint: 'Last checkpoint witnessed', checkpoint_at: 'size {n}', problems: 'Problems',
};

const fr = {
  skip: 'Aller au contenu', close: 'Fermer', confirm: 'Confirmer', cancel: 'Annuler', continue: 'Continuer', retry: 'Réessayer',
  save: 'Enregistrer', more: 'Voir plus', older: 'Messages plus anciens', yes: 'oui', no: 'non', you: 'vous', someone: 'quelqu\'un', required: 'obligatoire',
  form_errors: 'Merci de corriger :', switch_lang: 'English', login: 'Se connecter', logout: 'Se déconnecter',
  nav_groups: 'Groupes', nav_found: 'Fonder un groupe', nav_profile: 'Profil', nav_key: 'Ma clé', nav_node: 'Nœud',
  err_network: 'Le serveur est injoignable. Vérifiez votre connexion et réessayez.',
  err_session: 'Votre session a pris fin : rechargez la page pour vous reconnecter.',
  err_node_down: 'Le nœud du site ne répond pas.',
  down_title: 'Le nœud du site ne tourne pas',
  down_text: 'raison web fonctionne, mais le nœud derrière lui ne répond pas. Rien de ce que vous avez écrit n\'est perdu : ce que ce navigateur a signé est gardé et envoyé au retour du nœud. Prévenez l\'opérateur de votre site, puis réessayez.',
  signed_out: 'Vous êtes déconnecté', login_failed: 'Connexion impossible',
  welcome_title: 'Bienvenue sur raison',
  welcome_invite: 'Votre invitation vous fait entrer. D\'abord, ce navigateur crée votre clé.',
  welcome_noinvite: 'Pour rejoindre ce site il faut un lien d\'invitation de son opérateur, sauf si le site est ouvert à tous.',
  why_title: 'Votre clé, et pourquoi la sauvegarder',
  why_sign: 'Tout ce que vous écrivez ici est signé par une clé que seul ce navigateur détient. Personne d\'autre — ni l\'opérateur du site, ni le serveur — ne peut écrire en votre nom.',
  why_backup: 'La clé ne vit que dans ce navigateur. Si vous le perdez (nouvel ordinateur, autre navigateur, données effacées), votre clé disparaît avec lui. Une sauvegarde, protégée par une phrase secrète de votre choix, permet de la restaurer ailleurs. Elle ne peut être faite que juste après la création de la clé : ensuite la clé est gardée de sorte qu\'aucun script ne puisse plus la lire.',
  new_here: 'Nouveau ici', create_key: 'Créer ma clé', have_backup: 'J\'ai une sauvegarde de ma clé',
  restore_file: 'Fichier de sauvegarde', restore_text: 'Ou collez la sauvegarde', restore_text_hint: 'Le texte du fichier enregistré (il commence par {"format": "raison-key-backup-v1").',
  restore_go: 'Restaurer ma clé', restored: 'Votre clé est restaurée dans ce navigateur.',
  passphrase: 'Phrase secrète', passphrase_again: 'La même phrase secrète', passphrase_hint: 'Au moins {n} caractères. Sans elle la sauvegarde ne s\'ouvre pas : personne ne peut la retrouver pour vous.',
  passphrase_short: 'La phrase secrète doit faire au moins {n} caractères.', passphrase_differ: 'Les deux phrases diffèrent.',
  backup_title: 'Sauvegardez votre clé', backup_now: 'Faites-le maintenant : c\'est le seul moment où une sauvegarde est possible.',
  backup_make: 'Faire la sauvegarde', backup_skip: 'Pas maintenant',
  backup_skip_q: 'Continuer sans sauvegarde ?', backup_skip_text: 'Sans sauvegarde, perdre ce navigateur, c\'est perdre votre clé : vous ne pourriez plus écrire en votre nom depuis un autre navigateur. Une sauvegarde ne pourra pas être faite plus tard.',
  backup_skip_yes: 'Continuer sans sauvegarde', backup_ready: 'Votre sauvegarde est prête. Enregistrez le fichier en lieu sûr (pas seulement sur cet ordinateur), ou copiez le texte.',
  backup_download: 'Télécharger {name}', backup_copy: 'La sauvegarde en texte', backup_saved: 'Je l\'ai enregistrée',
  backup_gone: 'Une sauvegarde n\'est plus possible dans ce navigateur : seulement lors de la visite qui crée la clé.',
  key_title: 'Ma clé', key_is: 'Votre clé publique (votre nom sur chaque entrée) :',
  profile_first: 'Dites aux autres qui vous êtes', profile_title: 'Votre profil', profile_lead: 'Affiché à côté de ce que vous écrivez, sur chaque site.',
  profile_name: 'Nom', profile_site: 'Site', profile_site_hint: 'Où vous travaillez (ex. paris) : les groupes actifs sur votre site viennent en premier.', profile_role: 'Rôle (facultatif)',
  profile_saved: 'Votre profil est enregistré.',
  groups_title: 'Groupes', groups_lead: 'À quoi sert chaque groupe, ce que ses membres y gagnent, et ce qu\'il a produit récemment.',
  filter: 'Filtrer par texte', filter_hint: 'nom ou objectif', groups_shown: 'Groupes affichés : {n}', no_match: 'Aucun groupe ne correspond.', no_groups: 'Aucun groupe : fondez le premier.',
  recent_line: '{posts} {posts:message|messages} de {people} {people:personne|personnes} de {sites} {sites:site|sites} sur {days} {days:jour|jours}, {cross} {cross:réponse|réponses} entre sites',
  posts_total: '{n} {n:message|messages}', active_here: 'Actif sur votre site', benefits: 'Ce que les membres y gagnent', missions: 'Missions',
  members_n: '{n} {n:membre|membres}', version_n: 'version {n}', members_only: 'réservé aux membres',
  group_sections: 'Groupe', timeline: 'Fil', report: 'Bilan', amend: 'Amender la charte', charter: 'Charte',
  charter_v: 'Charte, version {n}', data_policy: 'Usage des données', readers: 'Qui lit', use: 'À quoi cela sert, et ne sert jamais',
  retention: 'Durée de conservation', retention_days: '{n} {n:jour|jours}', retention_kept: 'conservés (sans limite)',
  access_open: 'Ouvert : tout le monde peut rejoindre', access_members: 'Réservé aux membres : les propriétaires les ajoutent',
  members_only_notice: 'Ce groupe est réservé à ses membres. Ses propriétaires les ajoutent :',
  members_only_join: 'Un propriétaire doit d\'abord vous ajouter ; rejoindre reconnaît alors la charte.',
  disputed: 'Deux amendements de la même version existent : la charte est contestée.', being_updated: 'Mise à jour en cours : les chiffres peuvent encore changer.',
  join: 'Rejoindre', join_q: 'Rejoindre {name} ?', join_text: 'Rejoindre reconnaît la version {v} de la charte affichée sur cette page : son objectif, ses missions et l\'usage des données.',
  charter_id: 'Identifiant de la version :', join_policy: 'Lecteurs : {readers}. Usage : {use}', join_yes: 'Rejoindre sous la version {v}', joined: 'Vous avez rejoint {name}.',
  leave: 'Quitter', leave_q: 'Quitter {name} ?', leave_text: 'Vos messages restent ; vous pourrez revenir.', left: 'Vous avez quitté {name}.',
  members_total: 'Membres ({n})', owners: 'Propriétaires', members: 'Membres', owner: 'propriétaire',
  remove: 'Retirer', remove_who: 'Retirer {who}', remove_q: 'Retirer {who} du groupe ?', remove_text: 'Cette personne ne sera plus membre. Ses messages restent.',
  removed: 'Retiré.', add_member: 'Ajouter un membre', member_key: 'Sa clé publique', add_member_hint: '64 caractères hexadécimaux (sur sa page « Ma clé »).',
  add: 'Ajouter', added: 'Ajouté.', bad_key: 'Une clé fait 64 caractères hexadécimaux.',
  history: 'Versions ({n})',
  timeline_of: '{name} : fil', all_missions: 'Toutes les missions', posts: 'Messages', no_posts: 'Aucun message.',
  post_by: 'Message de {who}', reply: 'Répondre', reply_to: 'en réponse à {id}', reply_to_gone: '(le message auquel elle répondait a été retiré)', retract: 'Retirer', erase: 'Effacer',
  erased: '(effacé par son auteur)', retract_q: 'Retirer ce message ?', retract_text: 'Il disparaît de toutes les vues, sur tous les sites. Le texte reste sur les nœuds ; pour le supprimer, effacez-le.',
  retract_yes: 'Retirer', erase_q: 'Effacer ce message ?',
  erase_text: 'Effacer supprime le texte de ce message sur tous les nœuds, sur tous les sites, définitivement : c\'est irréversible. Il reste l\'en-tête signé : que vous avez écrit quelque chose à ce moment, pas quoi.',
  erase_yes: 'Effacer définitivement', erased_done: 'Le message est effacé.', retracted_done: 'Le message est retiré.',
  mission: 'Mission', choose_mission: 'Choisissez la mission servie…', your_post: 'Votre message', your_reply: 'Votre réponse',
  send_post: 'Publier', send_reply: 'Envoyer la réponse', post_form: 'Nouveau message', reply_form: 'Réponse',
  mission_required: 'Choisissez une mission : chaque message en sert une.', text_required: 'Écrivez d\'abord quelque chose.',
  post_sent: 'Publié.', reply_sent: 'Réponse envoyée.', live_on: 'Les nouveaux messages apparaissent en direct.', live_off: 'Direct interrompu : reconnexion…',
  broken_rule: 'Enregistré, mais aucune vue ne le montre : {m}',
  report_of: '{name} : bilan', window: 'Période', days_n: '{n} {n:dernier jour|derniers jours}', all_time: 'depuis le début',
  report_line: '{posts} {posts:message|messages} de {people} {people:personne|personnes} de {sites} {sites:site|sites} ; réponses : {replies}, entre sites : {cross} ;', in_last_days: 'sur {n} {n:jour|jours}', in_all_time: 'depuis la création du groupe',
  m_posts: 'Messages par mission', m_people: 'Personnes par mission', m_sites: 'Sites par mission', m_replies: 'Réponses par mission',
  m_cross: 'Réponses entre sites par mission', m_activity: 'Messages par jour', no_posts_window: 'Aucun message sur cette période.',
  retired: '(retirée)', mission_goals: 'Objectifs', last_activity: 'dernier message {when}',
  found_title: 'Fonder un groupe', found_lead: 'Un groupe commence par sa charte : à quoi il sert, ce que les membres y gagnent, et ce qui est fait de ce qu\'ils écrivent.',
  amend_title: 'Amender la charte de {name}', amend_lead: 'Ceci crée la version {v}. Les membres entrés sous une version antérieure voient le changement.',
  not_owner: 'Seul un propriétaire du groupe peut amender sa charte.',
  c_name: 'Nom', c_purpose: 'Objectif', c_purpose_hint: 'Une ou deux phrases : pourquoi le groupe existe.',
  c_mission_key: 'Clé de mission', c_mission_key_hint: '1 à 32 caractères parmi a-z, 0-9 et -', c_mission_goal: 'But', add_mission: 'Ajouter une mission',
  c_benefit: 'Bénéfice', add_benefit: 'Ajouter un bénéfice', remove_row: 'Retirer cette ligne',
  c_readers_hint: 'ex. tous les ingénieurs', c_use_hint: 'ex. sert à améliorer nos outils, jamais à noter les personnes', c_retention_hint: 'En jours entiers ; 0 conserve les messages.',
  c_access: 'Qui peut rejoindre', c_owners_hint: 'Clés publiques, une par ligne ; la vôtre doit y être.',
  found_go: 'Fonder le groupe', amend_go: 'Publier la version {v}', founded: 'Le groupe {name} est fondé.', amended: 'La version {v} est publiée.',
  v_name: 'Le groupe a besoin d\'un nom.', v_purpose: 'Le groupe a besoin d\'un objectif.', v_missions: 'Donnez au moins une mission.',
  v_mission_key: 'Mission {n} : la clé fait 1 à 32 caractères parmi a-z, 0-9 et -.', v_mission_dup: 'La clé de mission {key} est utilisée deux fois.',
  v_mission_goal: 'Mission {n} : donnez son but.', v_benefits: 'Donnez au moins un bénéfice.', v_benefit_empty: 'Le bénéfice {n} est vide.',
  v_readers: 'Dites qui lit les messages.', v_use: 'Dites à quoi servent les messages, et à quoi jamais.',
  v_retention: 'La conservation est un nombre entier de jours (0 : conservés).', v_access: 'Choisissez qui peut rejoindre.',
  v_owner_hex: 'Chaque propriétaire est une clé de 64 caractères hexadécimaux.', v_owner_me: 'Votre propre clé doit figurer parmi les propriétaires.',
  pending_waiting: 'Une entrée que vous avez signée ({kind}, seq {seq}, {id}) attend d\'être envoyée.', pending_retry: 'L\'envoyer maintenant', pending_sent: 'Votre entrée en attente est envoyée.',
  node_title: 'Le nœud du site', node_status: 'État', bodies_missing: '{n} {n:corps manquant|corps manquants} (en cours de récupération auprès des pairs)',
  node_peers: 'Pairs ({n})', listens_on: 'Écoute les pairs sur {at}', no_peers: 'Aucun pair.',
  endpoint: 'Adresse', connected: 'connecté', not_connected: 'déconnecté', since: 'Depuis', bodies_fetched: 'Corps récupérés chez lui', checkpoint_note: 'Le point de contrôle, tel que signé', sent_received: 'Entrées envoyées / reçues', missing: 'Leur manquent',
  checkpoint: 'Dernier point de contrôle témoigné', checkpoint_at: 'taille {n}', problems: 'Problèmes',
};

const TABLES = { en, fr };
let current = null;

export function lang() {
  if (current) return current;
  let pick = null;
  try {
    pick = localStorage.getItem(STORE);
  } catch {
    pick = null;
  }
  if (!LANGS.includes(pick)) {
    pick = 'en';
    for (const l of navigator.languages || [navigator.language || 'en']) {
      const base = String(l).toLowerCase().split('-')[0];
      if (LANGS.includes(base)) {
        pick = base;
        break;
      }
    }
  }
  current = pick;
  return current;
}

export function setLang(l) {
  if (!LANGS.includes(l)) return;
  current = l;
  try {
    localStorage.setItem(STORE, l);
  } catch {
    /* the choice lasts this visit */
  }
}

export function t(key, params) {
  const table = TABLES[lang()];
  let s = table[key] !== undefined ? table[key] : en[key] !== undefined ? en[key] : key;
  if (params) {
    // {name} is the value; {name:one|other} the word for it, chosen by the
    // language's plural rules (Intl.PluralRules: French says "0 message")
    const rules = new Intl.PluralRules(lang());
    s = s.replace(/\{(\w+)(?::([^|}]*)\|([^}]*))?\}/g, (m, k, one, other) => {
      if (params[k] === undefined) return m;
      if (one === undefined) return String(params[k]);
      return rules.select(Number(params[k])) === 'one' ? one : other;
    });
  }
  return s;
}

// Every key of one table is in the other (the test checks it).
export function missingKeys() {
  return {
    fr: Object.keys(en).filter((k) => !(k in fr)),
    en: Object.keys(fr).filter((k) => !(k in en)),
  };
}
