// page_charter.js — the charter form: found a group (version 1) or, for an
// owner, amend the current charter (version + 1, superseding it). It checks
// what `raison charter new` and the node check (a name, a purpose, missions
// with keys of 1 to 32 of [a-z0-9-], unique, each with a goal, benefits none
// empty, a data policy with readers and use, retention in whole days, the
// access, owners as 64-hex keys with one's own among them) and shows each
// error beside its field and in a summary; the node's draft has the last
// word, and its error is shown the same way.

import { el, unhex, clear } from './util.js';
import { t } from './i18n.js';
import * as api from './api.js';
import { Kind, Access } from './proto.js';
import { publish } from './publish.js';
import { session, heading, errorText, notice, field, busy, errorSummary, navigate } from './ui.js';
import { isMembersOnly } from './page_group.js';

const KEY_RE = /^[a-z0-9-]{1,32}$/;

// validate(form values) -> [{field, text}]: the same rules the node keeps.
export function validateCharter(v, me) {
  const errs = [];
  const err = (f, text) => errs.push({ field: f, text });
  if (!v.name.trim()) err('name', t('v_name'));
  if (!v.purpose.trim()) err('purpose', t('v_purpose'));
  if (!v.missions.length) err('missions', t('v_missions'));
  const seen = new Set();
  v.missions.forEach((m, i) => {
    if (!KEY_RE.test(m.key)) err('mission-key-' + i, t('v_mission_key', { n: i + 1 }));
    else if (seen.has(m.key)) err('mission-key-' + i, t('v_mission_dup', { key: m.key }));
    seen.add(m.key);
    if (!m.goal.trim()) err('mission-goal-' + i, t('v_mission_goal', { n: i + 1 }));
  });
  if (!v.benefits.length) err('benefits', t('v_benefits'));
  v.benefits.forEach((b, i) => { if (!b.trim()) err('benefit-' + i, t('v_benefit_empty', { n: i + 1 })); });
  if (!v.readers.trim()) err('readers', t('v_readers'));
  if (!v.use.trim()) err('use', t('v_use'));
  if (!/^\d{1,6}$/.test(v.retention)) err('retention', t('v_retention'));
  if (!v.access) err('access', t('v_access'));
  const owners = v.owners;
  if (owners.some((o) => !/^[0-9a-f]{64}$/.test(o))) err('owners', t('v_owner_hex'));
  else if (!owners.includes(me)) err('owners', t('v_owner_me'));
  return errs;
}

// A list of rows (missions: key and goal; benefits: one text) with add and
// remove buttons.
function rows(kind, initial, make) {
  const list = el('ol.rows#' + kind + '-rows');
  const add = el('button.small#add-' + kind, { type: 'button', text: t(kind === 'missions' ? 'add_mission' : 'add_benefit') });
  const addRow = (val) => {
    const li = el('li.row');
    const parts = make(val, li);
    const rm = el('button.small', { type: 'button', text: t('remove'), 'aria-label': t('remove_row') });
    rm.addEventListener('click', () => {
      li.remove();
      add.focus();
    });
    li.append(...parts, rm);
    list.appendChild(li);
    return li;
  };
  add.addEventListener('click', () => {
    const li = addRow(null);
    li.querySelector('input').focus();
  });
  for (const v of initial) addRow(v);
  return { list, add };
}

export async function charterPage(main, g) {
  let cur = null;
  let charterId = null;
  if (g) {
    const doc = await api.get('group', { g, members_limit: 1, history_limit: 1 });
    cur = doc.charter || doc;
    charterId = doc.charter_id;
    if (!(cur.owners || []).includes(session.author)) {
      heading(main, t('amend_title', { name: cur.name }));
      main.appendChild(el('p.error', t('not_owner')));
      return;
    }
  }
  heading(main, cur ? t('amend_title', { name: cur.name }) : t('found_title'), cur ? t('amend_lead', { v: cur.version + 1 }) : t('found_lead'));
  const summary = errorSummary();
  const fields = {};
  const input = (id, attrs) => el('input#c-' + id, { type: 'text', ...attrs });
  const fName = field(t('c_name'), input('name', { value: cur ? cur.name : '', maxlength: 100 }));
  const fPurpose = field(t('c_purpose'), el('textarea#c-purpose', { rows: 3, text: cur ? cur.purpose : '' }), t('c_purpose_hint'));
  fields.name = fName;
  fields.purpose = fPurpose;
  let mi = 0;
  const missions = rows('missions', cur ? cur.missions : [{ key: '', goal: '' }], (m) => {
    const i = mi++;
    const k = field(t('c_mission_key'), input('mission-key-' + i, { value: m ? m.key : '', maxlength: 32, spellcheck: 'false', class: 'mission-key' }), t('c_mission_key_hint'));
    const gl = field(t('c_mission_goal'), input('mission-goal-' + i, { value: m ? m.goal : '', class: 'mission-goal' }));
    fields['mission-key-' + i] = k;
    fields['mission-goal-' + i] = gl;
    return [k.wrap, gl.wrap];
  });
  let bi = 0;
  const benefits = rows('benefits', cur ? cur.benefits : [''], (b) => {
    const i = bi++;
    const f = field(t('c_benefit'), input('benefit-' + i, { value: b || '', class: 'benefit' }));
    fields['benefit-' + i] = f;
    return [f.wrap];
  });
  const dp = (cur && cur.data_policy) || {};
  const fReaders = field(t('readers'), input('readers', { value: dp.readers || '' }), t('c_readers_hint'));
  const fUse = field(t('use'), el('textarea#c-use', { rows: 2, text: dp.use || '' }), t('c_use_hint'));
  const fRet = field(t('retention'), input('retention', { inputmode: 'numeric', value: String(dp.retention_days || 0) }), t('c_retention_hint'));
  fields.readers = fReaders;
  fields.use = fUse;
  fields.retention = fRet;
  const open = el('input#c-access-open', { type: 'radio', name: 'access', value: 'open', checked: !cur || !isMembersOnly(cur.access) });
  const closed = el('input#c-access-members', { type: 'radio', name: 'access', value: 'members', checked: !!cur && isMembersOnly(cur.access) });
  const accessSet = el('fieldset#c-access', el('legend', t('c_access')),
    el('div', open, el('label', { for: 'c-access-open' }, t('access_open'))),
    el('div', closed, el('label', { for: 'c-access-members' }, t('access_members'))));
  const accessErr = el('p.field-error', { hidden: true });
  fields.access = { setError: (x) => { accessErr.textContent = x || ''; accessErr.hidden = !x; }, input: open };
  const fOwners = field(t('owners'), el('textarea#c-owners', { rows: 3, spellcheck: 'false', text: (cur ? cur.owners : [session.author]).join('\n') }), t('c_owners_hint'));
  fields.owners = fOwners;
  const missionsErr = el('p.field-error', { hidden: true });
  const benefitsErr = el('p.field-error', { hidden: true });
  fields.missions = { setError: (x) => { missionsErr.textContent = x || ''; missionsErr.hidden = !x; }, input: missions.add };
  fields.benefits = { setError: (x) => { benefitsErr.textContent = x || ''; benefitsErr.hidden = !x; }, input: benefits.add };
  const submit = el('button.primary#charter-submit', { type: 'submit', text: cur ? t('amend_go', { v: cur.version + 1 }) : t('found_go') });
  const form = el('form.charter-form', { novalidate: true }, summary.box, fName.wrap, fPurpose.wrap,
    el('fieldset', el('legend', t('missions')), missionsErr, missions.list, missions.add),
    el('fieldset', el('legend', t('benefits')), benefitsErr, benefits.list, benefits.add),
    el('fieldset', el('legend', t('data_policy')), fReaders.wrap, fUse.wrap, fRet.wrap),
    accessSet, accessErr, fOwners.wrap, submit);
  main.appendChild(form);

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const v = {
      name: fName.input.value, purpose: fPurpose.input.value,
      missions: [...missions.list.children].map((li) => ({ key: li.querySelector('.mission-key').value.trim(), goal: li.querySelector('.mission-goal').value })),
      benefits: [...benefits.list.children].map((li) => li.querySelector('.benefit').value),
      readers: fReaders.input.value, use: fUse.input.value, retention: fRet.input.value.trim(),
      access: open.checked ? Access.OPEN : closed.checked ? Access.MEMBERS_ONLY : 0,
      owners: fOwners.input.value.split(/[\s,]+/).map((x) => x.trim().toLowerCase()).filter(Boolean),
    };
    for (const f of Object.values(fields)) f.setError(null);
    const errs = validateCharter(v, session.author);
    for (const e of errs) if (fields[e.field]) fields[e.field].setError(e.text);
    summary.show(errs.map((e) => e.text));
    if (errs.length) return;
    const charter = {
      version: cur ? cur.version + 1 : 1,
      group: cur ? unhex(g) : null,
      supersedes: cur ? unhex(charterId) : null,
      name: v.name.trim(), purpose: v.purpose.trim(),
      missions: v.missions.map((m) => ({ key: m.key, goal: m.goal.trim() })),
      benefits: v.benefits.map((b) => b.trim()),
      data_policy: { readers: v.readers.trim(), use: v.use.trim(), retention_days: Number(v.retention) },
      access: v.access,
      owners: [...new Set(v.owners)].map(unhex),
    };
    busy(submit, async () => {
      let r;
      try {
        r = await publish(Kind.CHARTER, charter);
      } catch (e) {
        summary.show([errorText(e)]);
        return;
      }
      if (r.broken_rule) notice(t('broken_rule', { m: r.broken_rule.message }), 'error');
      notice(cur ? t('amended', { v: charter.version }) : t('founded', { name: charter.name }));
      navigate('#/group/' + (cur ? g : r.id));
    });
  });
}
