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
  // one card per peer (a table does not fit a phone)
  const card = (p) => {
    const problems = [p.last_error, p.inconsistency, p.unanswered_consistency].filter(Boolean);
    return el('li.peer-card', { 'data-key': p.key },
      el('h3', p.site || short(p.key), ' ', el('span.tag', p.connected ? t('connected') : t('not_connected'))),
      el('dl.kv',
        el('dt', t('endpoint')), el('dd', p.endpoint || '—'),
        el('dt', t('since')), el('dd', p.since ? fmtTime(p.since, lang()) : '—'),
        el('dt', t('sent_received')), el('dd', String(p.entries_sent || 0) + ' / ' + String(p.entries_received || 0)),
        el('dt', t('missing')), el('dd', String(p.missing || 0)),
        el('dt', t('bodies_fetched')), el('dd', String(p.bodies_fetched || 0)),
        el('dt', t('checkpoint')), el('dd', p.checkpoint_size ? t('checkpoint_at', { n: p.checkpoint_size }) : '—'),
        el('dt', t('problems')), el('dd', problems.length ? problems.join(' · ') : '—')),
      p.checkpoint_note ? el('details', el('summary', t('checkpoint_note')), el('pre.note', p.checkpoint_note)) : null);
  };
  main.appendChild(el('section', { 'aria-labelledby': 'pe-h' }, el('h2#pe-h', t('node_peers', { n: peers.length })),
    pe.listen ? el('p', t('listens_on', { at: pe.listen })) : null,
    peers.length ? el('ul.peers', peers.map(card)) : el('p.muted', t('no_peers'))));
}
