// page_report.js — the value report as SVG charts: per mission posts,
// people, sites, replies and cross-site replies, and the activity over the
// window day by day; each chart has its numbers as text beside it (a table,
// and the bar labels themselves), so a screen reader and a test read the
// same figures a person sees.

import { el, fmtDay, fmtTime } from './util.js';
import { t, lang } from './i18n.js';
import * as api from './api.js';
import { session, heading } from './ui.js';

const W = 320; // the chart's drawing width (it scales with the page)
const BAR = 22;
const GAP = 8;
const LABEL = 120;

// barChart(title, rows: [{label, value}]): an SVG of horizontal bars with
// each value written at the end of its bar, and a table of the same figures.
export function barChart(id, title, rows) {
  const max = Math.max(1, ...rows.map((r) => r.value));
  const h = rows.length * (BAR + GAP) + GAP;
  const svg = el('svg.chart', { id, viewBox: `0 0 ${W} ${h}`, role: 'img', 'aria-labelledby': id + '-t', width: '100%', preserveAspectRatio: 'xMinYMin meet' },
    el('title', { id: id + '-t' }, title));
  rows.forEach((r, i) => {
    const y = GAP + i * (BAR + GAP);
    const w = Math.round(((W - LABEL - 40) * r.value) / max);
    svg.appendChild(el('text.label', { x: 0, y: y + BAR - 6 }, r.label.length > 14 ? r.label.slice(0, 13) + '…' : r.label));
    svg.appendChild(el('rect.bar', { x: LABEL, y, width: Math.max(w, r.value ? 2 : 0), height: BAR, rx: 2 }));
    svg.appendChild(el('text.value', { x: LABEL + w + 4, y: y + BAR - 6, 'data-value': r.value }, String(r.value)));
  });
  const table = el('table.figures', { 'aria-label': title },
    el('tbody', rows.map((r) => el('tr', el('th', { scope: 'row' }, r.label), el('td', String(r.value))))));
  return el('figure.chart-box', { 'aria-labelledby': id + '-c' }, el('figcaption', { id: id + '-c' }, title), svg, table);
}

// activityChart: posts per day over the window, as columns, with the days
// that had posts listed beside it.
function activityChart(id, title, days, since, until) {
  const first = Math.floor(since / 86400000);
  const last = Math.floor(until / 86400000);
  const n = Math.max(1, last - first + 1);
  const byDay = new Map(days.map((d) => [d.day, (d.figures || d).posts || 0]));
  const max = Math.max(1, ...byDay.values());
  const H = 100;
  const cw = W / n;
  const svg = el('svg.chart.activity', { id, viewBox: `0 0 ${W} ${H + 16}`, role: 'img', 'aria-labelledby': id + '-t', width: '100%' },
    el('title', { id: id + '-t' }, title));
  for (let i = 0; i < n; i++) {
    const v = byDay.get(first + i) || 0;
    const bh = Math.round((H * v) / max);
    if (v) svg.appendChild(el('rect.bar', { x: i * cw + 1, y: H - bh, width: Math.max(1, cw - 2), height: bh }, el('title', fmtDay(first + i, lang()) + ': ' + v)));
  }
  svg.appendChild(el('line.axis', { x1: 0, y1: H, x2: W, y2: H }));
  svg.appendChild(el('text.label', { x: 0, y: H + 14 }, fmtDay(first, lang())));
  svg.appendChild(el('text.label.end', { x: W, y: H + 14, 'text-anchor': 'end' }, fmtDay(last, lang())));
  const active = [...byDay.entries()].filter(([, v]) => v).sort((a, b) => a[0] - b[0]);
  const table = el('table.figures', { 'aria-label': title },
    el('tbody', active.length ? active.map(([d, v]) => el('tr', el('th', { scope: 'row' }, fmtDay(d, lang())), el('td', String(v))))
      : el('tr', el('td', t('no_posts_window')))));
  return el('figure.chart-box', { 'aria-labelledby': id + '-c' }, el('figcaption', { id: id + '-c' }, title), svg, table);
}

export async function reportPage(main, g) {
  const sel = el('select#report-days', el('option', { value: '7' }, t('days_n', { n: 7 })), el('option', { value: '30', selected: true }, t('days_n', { n: 30 })),
    el('option', { value: '90' }, t('days_n', { n: 90 })), el('option', { value: '0' }, t('all_time')));
  const body = el('div#report-body');
  let h1 = null;
  async function draw() {
    const days = Number(sel.value);
    const site = session.profile && session.profile.site;
    const r = await api.get('report', { g, days: days || undefined, site: site || undefined, series: days ? 1 : undefined });
    if (!h1) {
      h1 = heading(main, t('report_of', { name: r.name }));
      main.append(el('nav.group-nav', { 'aria-label': t('group_sections') },
        el('a', { href: '#/group/' + g }, t('charter')), ' ', el('a', { href: '#/group/' + g + '/timeline' }, t('timeline'))),
      el('div.field', el('label', { for: 'report-days' }, t('window')), sel), body);
    }
    body.replaceChildren();
    const w = days && r.window ? r.window : r;
    body.appendChild(el('p.summary#report-summary', t('report_line', {
      posts: w.posts || 0, people: w.authors || 0, sites: w.sites || 0, replies: w.replies || 0, cross: w.cross_site_replies || 0,
    }), ' ', days ? t('in_last_days', { n: days }) : t('in_all_time'), ' · ', t('members_n', { n: r.members || 0 })));
    if (r.being_updated) body.appendChild(el('p.muted', t('being_updated')));
    const ms = (r.missions || []).filter((m) => !m.retired || (m.posts || 0) > 0);
    const fig = (m) => (days && m.window ? m.window : m);
    const metric = (key, label) => barChart('chart-' + key, label, ms.map((m) => ({ label: m.key + (m.retired ? ' ' + t('retired') : ''), value: Number(fig(m)[key] || 0) })));
    body.appendChild(el('div.charts',
      metric('posts', t('m_posts')), metric('authors', t('m_people')), metric('sites', t('m_sites')),
      metric('replies', t('m_replies')), metric('cross_site_replies', t('m_cross')),
      days && r.days ? activityChart('chart-activity', t('m_activity'), r.days, Number(r.since), Number(r.until)) : null));
    body.appendChild(el('h2', t('mission_goals')));
    body.appendChild(el('dl.missions', ms.map((m) => [el('dt', m.key), el('dd', m.goal || '—', m.last_activity ? el('span.muted', ' · ' + t('last_activity', { when: fmtTime(m.last_activity, lang()) })) : null)])));
  }
  sel.addEventListener('change', () => draw());
  await draw();
}
