// page_node.js — the site's node, for its operator: `status`, the peers and
// their links, bodies missing, and the last checkpoints witnessed of each
// peer. Only an operator's session may read these (the server says 403
// otherwise).

import { el, fmtTime, short } from './util.js';
import { t, lang } from './i18n.js';
import * as api from './api.js';
import { heading } from './ui.js';

const STATUS_FIELDS = ['site', 'version', 'node_key', 'entries', 'authors', 'groups', 'forks', 'log_size', 'peers', 'peers_connected',
  'bodies_missing', 'bodies_erased', 'groups_updating', 'uptime_ms', 'startup_ms', 'store_bytes', 'audit_verify_running'];

function kv(obj, keys) {
  return el('dl.kv', keys.filter((k) => obj[k] !== undefined).map((k) => [el('dt', k), el('dd', String(obj[k]))]));
}

export async function nodePage(main) {
  heading(main, t('node_title'));
  const [st, pe] = await Promise.all([api.get('status'), api.get('peers')]);
  main.appendChild(el('section', { 'aria-labelledby': 'st-h' }, el('h2#st-h', t('node_status')),
    el('p.summary#bodies-missing', t('bodies_missing', { n: st.bodies_missing || 0 })), kv(st, STATUS_FIELDS)));
  const peers = pe.peers || [];
  const rows = peers.map((p) => el('tr',
    el('th', { scope: 'row' }, p.site || short(p.key)),
    el('td', p.endpoint || '—'),
    el('td', p.connected ? t('yes') : t('no'), p.since ? el('span.muted', ' ' + fmtTime(p.since, lang())) : null),
    el('td', String(p.entries_sent || 0) + ' / ' + String(p.entries_received || 0)),
    el('td', String(p.missing || 0)),
    el('td', p.checkpoint_size ? t('checkpoint_at', { n: p.checkpoint_size }) : '—', p.checkpoint_note ? el('pre.note', p.checkpoint_note) : null),
    el('td', [p.last_error, p.inconsistency, p.unanswered_consistency].filter(Boolean).join(' · ') || '—')));
  main.appendChild(el('section', { 'aria-labelledby': 'pe-h' }, el('h2#pe-h', t('node_peers', { n: peers.length })),
    pe.listen ? el('p', t('listens_on', { at: pe.listen })) : null,
    peers.length ? el('div.scroll', el('table.peers',
      el('thead', el('tr', [t('peer'), t('endpoint'), t('connected'), t('sent_received'), t('missing'), t('checkpoint'), t('problems')].map((x) => el('th', { scope: 'col' }, x)))),
      el('tbody', rows))) : el('p.muted', t('no_peers'))));
}
