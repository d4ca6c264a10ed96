// page_groups.js — the group directory: each group's purpose, what members
// gain, its missions and what it delivered in the report's window (the
// `recent_*` figures of `groups`); groups active at the person's own site
// first (the report's `site_posts` in the window); a text filter, paged as
// one scrolls.

import { el, clear, pageSize, inView } from './util.js';
import { t } from './i18n.js';
import * as api from './api.js';
import { session, heading, errorText } from './ui.js';

const PAGE = pageSize(20);
// In name order, page by page (a by-name cursor is 72 bytes: the server
// passes cursors up to RSN_CURSOR_MAX, 128).
const ORDER = 'name';

const RECENT_DAYS = 30; // the report's window when `groups` does not say it

// "34 posts by 9 people from 3 sites in the last 30 days, 11 replies across
// sites": from the summary's recent_* figures when the server gives them,
// else from the window of the group's report (W).
export function recentLine(g, w) {
  if (g.recent_posts !== undefined) {
    return t('recent_line', {
      posts: g.recent_posts, people: g.recent_people, sites: g.recent_sites,
      days: g.recent_days || RECENT_DAYS, cross: g.recent_cross_site_replies,
    });
  }
  if (w) return t('recent_line', { posts: w.posts || 0, people: w.authors || 0, sites: w.sites || 0, days: RECENT_DAYS, cross: w.cross_site_replies || 0 });
  return t('posts_total', { n: g.posts || 0 });
}

function card(g, local, w) {
  const href = '#/group/' + g.group;
  return el('li.group-card', { 'data-group': g.group },
    el('h2', el('a', { href }, g.name), g.access === 'members_only' || g.access === 'members-only' ? el('span.tag', t('members_only')) : null),
    local ? el('p.local', t('active_here')) : null,
    el('p.purpose', g.purpose),
    el('p.recent', recentLine(g, w)),
    el('h3', t('benefits')),
    el('ul.benefits', (g.benefits || []).map((b) => el('li', b))),
    el('h3', t('missions')),
    el('ul.missions', (g.missions || []).map((m) => el('li', el('strong', m.key), m.goal ? ' — ' + m.goal : ''))),
    el('p.meta', t('members_n', { n: g.members || 0 }), ' · ', t('version_n', { n: g.version })));
}

// The report window of each of GROUPS (group id -> figures): what it
// delivered lately, and whether people of the person's site took part.
async function windows(groups) {
  const site = session.profile && session.profile.site;
  const out = new Map();
  await Promise.all(groups.map(async (g) => {
    try {
      const r = await api.get('report', { g: g.group, days: g.recent_days || RECENT_DAYS, site: site || undefined });
      if (r && r.window) out.set(g.group, r.window);
    } catch {
      /* a report that fails leaves the group in its place, without figures */
    }
  }));
  return out;
}

function listOf(doc) {
  if (Array.isArray(doc)) return { groups: doc, next: null };
  return { groups: doc.groups || [], next: doc.next_cursor || null };
}

export async function groupsPage(main) {
  heading(main, t('groups_title'), t('groups_lead'));
  const filter = el('input#group-filter', { type: 'search', 'aria-label': t('filter') , placeholder: t('filter_hint') });
  const form = el('form.filter', { role: 'search' }, el('label', { for: 'group-filter' }, t('filter')), filter);
  const list = el('ul.groups#group-list', { 'aria-live': 'polite' });
  const more = el('button#more-groups', { type: 'button', text: t('more'), hidden: true });
  const status = el('p.muted', { role: 'status' });
  main.append(form, status, list, more, el('p', el('a.button', { href: '#/new-group' }, t('nav_found'))));
  let cursor = null;
  let gen = 0;
  let loading = false;

  async function load(reset) {
    if (loading && !reset) return;
    const my = ++gen;
    loading = true;
    try {
      if (reset) {
        cursor = null;
        clear(list);
      }
      const doc = await api.get('groups', { limit: PAGE, cursor, text: filter.value.trim(), order: ORDER });
      if (my !== gen) return;
      const { groups, next } = listOf(doc);
      const win = await windows(groups);
      if (my !== gen) return;
      const local = (g) => (win.get(g.group) || {}).site_posts > 0;
      const sorted = [...groups].sort((a, b) => (local(b) ? 1 : 0) - (local(a) ? 1 : 0)); // stable: name order within each
      for (const g of sorted) list.appendChild(card(g, local(g), win.get(g.group)));
      cursor = next;
      more.hidden = !next;
      status.textContent = list.children.length ? t('groups_shown', { n: list.children.length }) : filter.value ? t('no_match') : t('no_groups');
    } catch (e) {
      // the node down at the first page: the router shows the node-down page
      if (reset && !filter.value && e instanceof api.ApiError && [0, 502, 503].includes(e.status)) throw e;
      status.textContent = errorText(e);
    } finally {
      if (my === gen) loading = false;
    }
    if (my === gen && cursor && inView(more)) setTimeout(() => load(false), 0); // the page is not filled yet
  }
  let timer = null;
  filter.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => load(true), 250);
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    load(true);
  });
  more.addEventListener('click', () => load(false));
  const io = new IntersectionObserver((es) => {
    if (es.some((x) => x.isIntersecting) && cursor && !loading) load(false);
  });
  io.observe(more);
  await load(true);
  return () => io.disconnect();
}
