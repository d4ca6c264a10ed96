// page_group.js — one group: its whole current charter (purpose, missions
// and goals, benefits, data policy, access), its version history, owners and
// members (paged), and the actions: join under the charter version shown
// (confirmed, as `raison join` asks), leave, and for owners add and remove.
// A members-only group says so and names its owners.

import { el, clear, short, unhex, fmtTime, pageSize } from './util.js';
import { t, lang } from './i18n.js';
import * as api from './api.js';
import { Kind, Action } from './proto.js';
import { publish } from './publish.js';
import { session, heading, errorText, notice, confirmDialog, field, busy, displayName } from './ui.js';

const MEMBERS_PAGE = pageSize(50);
const HISTORY_PAGE = pageSize(20);

export const isMembersOnly = (access) => access === 'members_only' || access === 'members-only' || access === 2;

export function charterView(c) {
  const dp = c.data_policy || {};
  return el('section.charter', { 'aria-labelledby': 'charter-h' },
    el('h2#charter-h', t('charter_v', { n: c.version })),
    el('p.purpose', c.purpose),
    el('h3', t('missions')),
    el('dl.missions', (c.missions || []).map((m) => [el('dt', m.key), el('dd', m.goal || '—')])),
    el('h3', t('benefits')),
    el('ul.benefits', (c.benefits || []).map((b) => el('li', b))),
    el('h3', t('data_policy')),
    el('dl.policy',
      el('dt', t('readers')), el('dd', dp.readers || '—'),
      el('dt', t('use')), el('dd', dp.use || '—'),
      el('dt', t('retention')), el('dd', dp.retention_days ? t('retention_days', { n: dp.retention_days }) : t('retention_kept'))),
    el('p.access', isMembersOnly(c.access) ? t('access_members') : t('access_open')));
}

async function membership(g, action, extra = {}) {
  return publish(Kind.MEMBERSHIP, { group: unhex(g), action, ...extra });
}

export async function groupPage(main, g) {
  const doc = await api.get('group', { g, members_limit: MEMBERS_PAGE, history_limit: HISTORY_PAGE });
  const c = doc.charter || doc;
  const owners = c.owners || [];
  const iOwn = owners.includes(session.author);
  heading(main, c.name || doc.name);
  main.appendChild(el('nav.group-nav', { 'aria-label': t('group_sections') },
    el('a', { href: '#/group/' + g + '/timeline' }, t('timeline')), ' ',
    el('a', { href: '#/group/' + g + '/report' }, t('report')), ' ',
    iOwn ? el('a', { href: '#/group/' + g + '/amend' }, t('amend')) : null));
  if (isMembersOnly(c.access)) {
    main.appendChild(el('p.notice-box.members-only', { role: 'note' }, t('members_only_notice'), ' ',
      owners.map((o, i) => [i ? ', ' : '', ownerName(doc, o)])));
  }
  if (doc.disputed) main.appendChild(el('p.notice-box', t('disputed')));
  if (doc.being_updated) main.appendChild(el('p.muted', t('being_updated')));
  main.appendChild(charterView(c));

  // joining, leaving
  const members = el('ul.members#members');
  const actions = el('div.actions#group-actions');
  main.appendChild(actions);
  let isMember = false;
  const charterId = doc.charter_id;
  const joinBtn = el('button.primary#join', { type: 'button', text: t('join') });
  const leaveBtn = el('button#leave', { type: 'button', text: t('leave') });
  joinBtn.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: t('join_q', { name: c.name }),
      body: [el('p', t('join_text', { v: c.version })), el('p', t('charter_id'), ' ', el('code', charterId)), el('p', t('join_policy', { readers: (c.data_policy || {}).readers || '—', use: (c.data_policy || {}).use || '—' }))],
      confirm: t('join_yes', { v: c.version }),
    });
    if (!ok) return;
    await busy(joinBtn, async () => {
      try {
        const r = await membership(g, Action.JOIN, { charter: unhex(charterId) });
        if (r.broken_rule) notice(t('broken_rule', { m: r.broken_rule.message }), 'error');
        else notice(t('joined', { name: c.name }));
      } catch (e) {
        notice(errorText(e), 'error');
        return;
      }
      clear(main);
      await groupPage(main, g);
      main.querySelector('h1').focus();
    });
  });
  leaveBtn.addEventListener('click', async () => {
    if (!(await confirmDialog({ title: t('leave_q', { name: c.name }), body: [el('p', t('leave_text'))], confirm: t('leave') }))) return;
    await busy(leaveBtn, async () => {
      try {
        await membership(g, Action.LEAVE);
        notice(t('left', { name: c.name }));
      } catch (e) {
        notice(errorText(e), 'error');
        return;
      }
      clear(main);
      await groupPage(main, g);
    });
  });

  // owners and members, paged
  const total = doc.members_total !== undefined ? doc.members_total : (doc.members || []).length;
  const moreMembers = el('button#more-members', { type: 'button', text: t('more') });
  main.appendChild(el('section', { 'aria-labelledby': 'members-h' },
    el('h2#members-h', t('members_total', { n: total })),
    el('h3', t('owners')),
    el('ul.owners', owners.map((o) => el('li', ownerName(doc, o)))),
    el('h3', t('members')), members, moreMembers));
  const addMember = (m) => {
    if (m.key === session.author) isMember = true;
    const li = el('li', { 'data-key': m.key }, displayName(m.key, m.name, m.site), m.owner ? el('span.tag', t('owner')) : null);
    if (iOwn && m.key !== session.author) {
      const rm = el('button.small', { type: 'button', text: t('remove'), 'aria-label': t('remove_who', { who: m.name || short(m.key) }) });
      rm.addEventListener('click', async () => {
        if (!(await confirmDialog({ title: t('remove_q', { who: m.name || short(m.key) }), body: [el('p', t('remove_text'))], confirm: t('remove'), danger: true }))) return;
        try {
          await membership(g, Action.REMOVE, { member: unhex(m.key) });
          notice(t('removed'));
          li.remove();
        } catch (e) {
          notice(errorText(e), 'error');
        }
      });
      li.append(' ', rm);
    }
    members.appendChild(li);
  };
  for (const m of doc.members || []) addMember(m);
  let cursor = doc.members_next_cursor || null;
  moreMembers.hidden = !cursor;
  moreMembers.addEventListener('click', () => busy(moreMembers, async () => {
    const next = await api.get('group', { g, members_limit: MEMBERS_PAGE, members_cursor: cursor, history_limit: 1 });
    for (const m of next.members || []) addMember(m);
    cursor = next.members_next_cursor || null;
    moreMembers.hidden = !cursor;
  }));
  actions.appendChild(isMember ? leaveBtn : joinBtn);
  if (isMembersOnly(c.access) && !isMember && !iOwn) actions.appendChild(el('p.hint', t('members_only_join')));

  // owners add people
  if (iOwn) {
    const key = el('input#add-key', { type: 'text', spellcheck: 'false', autocomplete: 'off', pattern: '[0-9a-f]{64}' });
    const f = field(t('member_key'), key, t('add_member_hint'));
    const add = el('button#add-member', { type: 'submit', text: t('add') });
    const form = el('form.add', { novalidate: true }, f.wrap, add);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const k = key.value.trim().toLowerCase();
      if (!/^[0-9a-f]{64}$/.test(k)) {
        f.setError(t('bad_key'));
        key.focus();
        return;
      }
      f.setError(null);
      busy(add, async () => {
        try {
          await membership(g, Action.ADD, { member: unhex(k) });
          notice(t('added'));
          key.value = '';
        } catch (e) {
          f.setError(errorText(e));
        }
      });
    });
    main.appendChild(el('section', el('h2', t('add_member')), form));
  }

  // version history, paged
  const hist = el('ol.history#history');
  const moreHist = el('button#more-history', { type: 'button', text: t('more') });
  const addHist = (v) => hist.appendChild(el('li', t('version_n', { n: v.version }), ' · ', fmtTime(v.timestamp, lang()), ' · ', el('code', short(v.id))));
  for (const v of doc.history || []) addHist(v);
  let from = doc.history_next || 0;
  moreHist.hidden = !from;
  moreHist.addEventListener('click', () => busy(moreHist, async () => {
    const next = await api.get('group', { g, members_limit: 1, history_limit: HISTORY_PAGE, history_from: from });
    for (const v of next.history || []) addHist(v);
    from = next.history_next || 0;
    moreHist.hidden = !from;
  }));
  main.appendChild(el('section', { 'aria-labelledby': 'hist-h' }, el('h2#hist-h', t('history', { n: doc.history_total || (doc.history || []).length })), hist, moreHist));
}

function ownerName(doc, key) {
  const m = (doc.members || []).find((x) => x.key === key);
  const name = m ? displayName(key, m.name, m.site) : short(key);
  return key === session.author ? name + ' (' + t('you') + ')' : name;
}
