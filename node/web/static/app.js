// app.js — the page's entry point: who is in (the key this browser holds,
// the session by challenge, the invite of a first visit), the navigation,
// and the router from location.hash to the pages. `raison web` serves this
// one page for / and /invite/TOKEN; every view is a hash route (#/groups,
// #/group/ID, ...), so links are plain links and the keyboard reaches all.

import { el, clear, b64, unb64 } from './util.js';
import { t, lang, setLang, LANGS } from './i18n.js';
import * as api from './api.js';
import * as keys from './keys.js';
import * as P from './proto.js';
import { resendPending, onPendingChange, pendingOf, describePending } from './publish.js';
import { session, notice, errorText, heading, navigate } from './ui.js';
import { welcomePage, backupPage, profilePage, keyPage } from './page_me.js';
import { groupsPage } from './page_groups.js';
import { groupPage } from './page_group.js';
import { timelinePage } from './page_timeline.js';
import { reportPage } from './page_report.js';
import { charterPage } from './page_charter.js';
import { nodePage } from './page_node.js';

let invite = null;
let cleanup = null;

// login(): a session for the key this browser holds, by signing the
// server's challenge (with the invite of a first visit).
export async function login() {
  const k = await keys.loadKey();
  const { challenge } = await api.post('challenge', {});
  const sig = await keys.sign(P.loginSigningInput(location.origin, unb64(challenge)));
  const me = await api.post('login', { author: k.author, challenge, signature: b64(sig), invite });
  if (invite) {
    invite = null;
    history.replaceState(null, '', '/' + (location.hash || '#/groups')); // the token is used: not kept in the address
  }
  await enter(me);
  return me;
}

async function enter(me) {
  session.author = me.author;
  session.operator = !!me.operator;
  session.profile = null;
  try {
    const p = await api.get('profile', { author: me.author });
    session.profile = p && p.profile ? p.profile : p && p.name !== undefined ? p : null;
  } catch {
    session.profile = null;
  }
  drawNav();
  try {
    const r = await resendPending();
    if (r) notice(t('pending_sent'));
  } catch (e) {
    notice(errorText(e), 'error');
  }
  showPending();
}

async function showPending() {
  const old = document.getElementById('pending');
  if (old) old.remove();
  if (!session.author) return;
  const rec = await pendingOf(session.author);
  if (!rec) return;
  const d = describePending(rec);
  const again = el('button', { type: 'button', text: t('pending_retry') });
  const box = el('div#pending.notice.warn', { role: 'status' },
    el('span', t('pending_waiting', { seq: d.seq, kind: d.kind, id: d.id.slice(0, 12) })), again);
  again.addEventListener('click', async () => {
    try {
      await resendPending();
      notice(t('pending_sent'));
    } catch (e) {
      notice(errorText(e), 'error');
    }
    showPending();
  });
  document.getElementById('notices').prepend(box);
}

function drawNav() {
  const nav = clear(document.getElementById('nav'));
  const links = session.author
    ? [['#/groups', t('nav_groups')], ['#/new-group', t('nav_found')], ['#/profile', t('nav_profile')], ['#/key', t('nav_key')]]
    : [];
  if (session.operator) links.push(['#/node', t('nav_node')]);
  const ul = el('ul');
  for (const [href, text] of links) ul.appendChild(el('li', el('a', { href }, text)));
  const other = LANGS.find((l) => l !== lang());
  const sw = el('button.lang', { type: 'button', lang: other, 'aria-label': t('switch_lang'), text: other.toUpperCase() });
  sw.addEventListener('click', () => {
    setLang(other);
    document.documentElement.lang = other;
    drawNav();
    // the same page in the other language (the welcome page when no one is in)
    (session.author ? route() : start()).then(() => document.querySelector('#nav button.lang').focus());
  });
  ul.appendChild(el('li', sw));
  if (session.author) {
    const out = el('button', { type: 'button', text: t('logout') });
    out.addEventListener('click', async () => {
      try {
        await api.post('logout', {});
      } catch {
        /* the session ends anyway */
      }
      session.author = null;
      drawNav();
      showSignedOut();
    });
    ul.appendChild(el('li', out));
  }
  nav.appendChild(ul);
  document.querySelector('.skip').textContent = t('skip');
}

function nodeDown(e) {
  const main = clear(document.getElementById('main'));
  heading(main, t('down_title'));
  main.appendChild(el('p', t('down_text')));
  main.appendChild(el('p.detail', errorText(e)));
  const b = el('button.primary', { type: 'button', text: t('retry') });
  b.addEventListener('click', () => start());
  main.appendChild(b);
  main.querySelector('h1').focus();
}

function showSignedOut() {
  const main = clear(document.getElementById('main'));
  heading(main, t('signed_out'));
  const b = el('button.primary', { type: 'button', text: t('login') });
  b.addEventListener('click', () => start());
  main.appendChild(b);
}

const ROUTES = [
  [/^#\/groups$/, (m) => groupsPage(m)],
  [/^#\/group\/([0-9a-f]{64})$/, (m, g) => groupPage(m, g)],
  [/^#\/group\/([0-9a-f]{64})\/timeline(?:\/([a-z0-9-]+))?$/, (m, g, mission) => timelinePage(m, g, mission || '')],
  [/^#\/group\/([0-9a-f]{64})\/report$/, (m, g) => reportPage(m, g)],
  [/^#\/group\/([0-9a-f]{64})\/amend$/, (m, g) => charterPage(m, g)],
  [/^#\/new-group$/, (m) => charterPage(m, null)],
  [/^#\/profile$/, (m) => profilePage(m, false)],
  [/^#\/welcome-profile$/, (m) => profilePage(m, true)],
  [/^#\/backup$/, (m) => backupPage(m)],
  [/^#\/key$/, (m) => keyPage(m)],
  [/^#\/node$/, (m) => nodePage(m)],
];

// route(): draws the page of location.hash.
export async function route() {
  if (cleanup) {
    try {
      cleanup();
    } catch {
      /* a page's cleanup never stops the next */
    }
    cleanup = null;
  }
  const main = clear(document.getElementById('main'));
  if (!session.author) return;
  const h = location.hash || '#/groups';
  for (const [re, page] of ROUTES) {
    const m = re.exec(h);
    if (!m) continue;
    try {
      cleanup = (await page(main, ...m.slice(1))) || null;
    } catch (e) {
      if (e instanceof api.ApiError && (e.status === 502 || e.status === 503 || e.status === 0)) return nodeDown(e);
      if (e instanceof api.ApiError && e.status === 401) return start();
      main.appendChild(el('p.error', { role: 'alert' }, errorText(e)));
    }
    const h1 = main.querySelector('h1');
    if (h1) h1.focus();
    showPending();
    return;
  }
  navigate('#/groups');
}

// start(): the first thing the page does, and again after a failure.
async function start() {
  const m = /^\/invite\/([A-Za-z0-9_-]+)$/.exec(location.pathname);
  if (m) invite = m[1];
  document.documentElement.lang = lang();
  drawNav();
  let me = null;
  try {
    me = await api.get('me');
  } catch (e) {
    if (!(e instanceof api.ApiError) || e.status !== 401) return nodeDown(e);
  }
  const k = await keys.loadKey();
  if (me && k && me.author === k.author) {
    await enter(me);
    return route();
  }
  if (me) await api.post('logout', {}).catch(() => {});
  if (!k) return welcomePage(clear(document.getElementById('main')), { invite });
  try {
    await login();
  } catch (e) {
    const main = clear(document.getElementById('main'));
    heading(main, t('login_failed'));
    main.appendChild(el('p.error', { role: 'alert' }, errorText(e)));
    const b = el('button', { type: 'button', text: t('retry') });
    b.addEventListener('click', () => start());
    main.appendChild(b);
    return;
  }
  return route();
}

window.addEventListener('hashchange', () => route());
onPendingChange(() => showPending());
start();
