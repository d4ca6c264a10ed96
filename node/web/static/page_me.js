// page_me.js — the person's own pages: the first visit (what the key is,
// creating it, or restoring a backup), the backup offered at once, the
// profile (asked for at the first visit, editable later) and the key page.

import { el, clear, short } from './util.js';
import { t } from './i18n.js';
import * as keys from './keys.js';
import { Kind } from './proto.js';
import { publish } from './publish.js';
import { session, notice, errorText, heading, field, busy, confirmDialog, navigate, errorSummary } from './ui.js';
import { login, route } from './app.js';

function whyKey() {
  return el('section.why', { 'aria-labelledby': 'why-h' },
    el('h2#why-h', t('why_title')),
    el('p', t('why_sign')),
    el('p', t('why_backup')));
}

function restoreForm(after) {
  const file = el('input', { type: 'file', accept: 'application/json,.json' });
  const text = el('textarea', { rows: 4, spellcheck: 'false' });
  const pass = el('input', { type: 'password', autocomplete: 'current-password' });
  const fFile = field(t('restore_file'), file);
  const fText = field(t('restore_text'), text, t('restore_text_hint'));
  const fPass = field(t('passphrase'), pass);
  const go = el('button.primary', { type: 'submit', text: t('restore_go') });
  file.addEventListener('change', async () => {
    if (file.files && file.files[0]) text.value = await file.files[0].text();
  });
  const form = el('form.restore', { novalidate: true }, fFile.wrap, fText.wrap, fPass.wrap, go);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fPass.setError(null);
    busy(go, async () => {
      try {
        await keys.restoreBackup(text.value, pass.value);
      } catch (e) {
        fPass.setError(e.message);
        pass.focus();
        return;
      }
      notice(t('restored'));
      await after();
    });
  });
  return form;
}

// The first visit: no key in this browser.
export function welcomePage(main, { invite }) {
  heading(main, t('welcome_title'), invite ? t('welcome_invite') : t('welcome_noinvite'));
  main.appendChild(whyKey());
  const create = el('button.primary#create-key', { type: 'button', text: t('create_key') });
  const err = el('p.error', { role: 'alert', hidden: true });
  create.addEventListener('click', () => busy(create, async () => {
    err.hidden = true;
    try {
      await keys.createKey();
    } catch (e) {
      err.textContent = errorText(e);
      err.hidden = false;
      return;
    }
    try {
      await login();
    } catch (e) {
      err.textContent = errorText(e);
      err.hidden = false;
      return;
    }
    location.hash = '#/backup';
    route();
  }));
  main.appendChild(el('section', el('h2', t('new_here')), create, err));
  const restoreSec = el('details.restore-box', el('summary', t('have_backup')),
    restoreForm(async () => {
      try {
        await login();
      } catch (e) {
        notice(errorText(e), 'error');
        return;
      }
      location.hash = '#/groups';
      route();
    }));
  main.appendChild(restoreSec);
  main.querySelector('h1').focus();
}

// The backup, offered right after the key is created (the only time it can be).
export function backupPage(main) {
  heading(main, t('backup_title'));
  if (!keys.canBackUp()) {
    main.appendChild(el('p', t('backup_gone')));
    main.appendChild(el('p', el('a', { href: '#/groups' }, t('continue'))));
    return;
  }
  main.appendChild(el('p', t('backup_now')));
  main.appendChild(el('p', t('why_backup')));
  const p1 = el('input#backup-pass', { type: 'password', autocomplete: 'new-password', minlength: keys.PASSPHRASE_MIN });
  const p2 = el('input#backup-pass2', { type: 'password', autocomplete: 'new-password' });
  const f1 = field(t('passphrase'), p1, t('passphrase_hint', { n: keys.PASSPHRASE_MIN }));
  const f2 = field(t('passphrase_again'), p2);
  const make = el('button.primary#make-backup', { type: 'submit', text: t('backup_make') });
  const skip = el('button#skip-backup', { type: 'button', text: t('backup_skip') });
  const out = el('div.backup-out', { hidden: true });
  const form = el('form', { novalidate: true }, f1.wrap, f2.wrap, el('div.actions', make, skip));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    f1.setError(null);
    f2.setError(null);
    if (p1.value.length < keys.PASSPHRASE_MIN) {
      f1.setError(t('passphrase_short', { n: keys.PASSPHRASE_MIN }));
      p1.focus();
      return;
    }
    if (p1.value !== p2.value) {
      f2.setError(t('passphrase_differ'));
      p2.focus();
      return;
    }
    busy(make, async () => {
      const text = await keys.makeBackup(p1.value);
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const name = 'raison-key-' + short(session.author) + '.json';
      const done = el('button.primary#backup-done', { type: 'button', text: t('backup_saved') });
      done.addEventListener('click', async () => {
        await keys.finishBackup(true);
        URL.revokeObjectURL(url);
        navigate(session.profile ? '#/groups' : '#/welcome-profile');
      });
      clear(out).append(
        el('p', t('backup_ready')),
        el('p', el('a.button#backup-download', { href: url, download: name }, t('backup_download', { name }))),
        field(t('backup_copy'), el('textarea#backup-text', { rows: 6, readonly: true, spellcheck: 'false', text })).wrap,
        done);
      out.hidden = false;
      form.hidden = true;
      out.querySelector('a').focus();
    });
  });
  skip.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: t('backup_skip_q'), body: [el('p', t('backup_skip_text'))], confirm: t('backup_skip_yes'), danger: true });
    if (!ok) return;
    await keys.finishBackup(false);
    navigate(session.profile ? '#/groups' : '#/welcome-profile');
  });
  main.append(form, out);
}

// The profile: name, site, role (a Profile entry, signed here).
export function profilePage(main, first) {
  heading(main, first ? t('profile_first') : t('profile_title'), t('profile_lead'));
  const p = session.profile || {};
  const name = el('input#profile-name', { type: 'text', autocomplete: 'name', value: p.name || '', maxlength: 200 });
  const site = el('input#profile-site', { type: 'text', value: p.site || '', maxlength: 100 });
  const role = el('input#profile-role', { type: 'text', autocomplete: 'organization-title', value: p.role || '', maxlength: 200 });
  const fName = field(t('profile_name'), name);
  const fSite = field(t('profile_site'), site, t('profile_site_hint'));
  const fRole = field(t('profile_role'), role);
  const save = el('button.primary#profile-save', { type: 'submit', text: t('save') });
  const summary = errorSummary();
  const form = el('form', { novalidate: true }, summary.box, fName.wrap, fSite.wrap, fRole.wrap, save);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const errs = [];
    fName.setError(null);
    fSite.setError(null);
    if (!name.value.trim()) {
      fName.setError(t('required'));
      errs.push(t('profile_name') + ': ' + t('required'));
    }
    if (!site.value.trim()) {
      fSite.setError(t('required'));
      errs.push(t('profile_site') + ': ' + t('required'));
    }
    summary.show(errs);
    if (errs.length) return;
    busy(save, async () => {
      const prof = { name: name.value.trim(), site: site.value.trim(), role: role.value.trim() };
      try {
        await publish(Kind.PROFILE, prof);
      } catch (e) {
        summary.show([errorText(e)]);
        return;
      }
      session.profile = prof;
      notice(t('profile_saved'));
      if (first) navigate('#/groups');
    });
  });
  main.appendChild(form);
}

// The key page: which key this browser holds, its backup, why it matters.
export function keyPage(main) {
  heading(main, t('key_title'));
  main.appendChild(el('p', t('key_is'), ' ', el('code.key#my-key', session.author)));
  main.appendChild(whyKey());
  main.appendChild(el('p', keys.canBackUp() ? el('a', { href: '#/backup' }, t('backup_make')) : t('backup_gone')));
}
