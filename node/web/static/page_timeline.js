// page_timeline.js — a group's timeline, per mission or all together:
// posts newest first with their replies threaded under them, a post form
// that requires a mission, replies, retracting and erasing one's own posts
// (the confirmation says what erasure does), new posts arriving without a
// reload (EventSource on /api/events), and older pages as one scrolls.

import { el, unhex, fmtTime, short, pageSize, inView } from './util.js';
import { t, lang } from './i18n.js';
import * as api from './api.js';
import { Kind } from './proto.js';
import { publish } from './publish.js';
import { session, heading, errorText, notice, confirmDialog, field, busy, displayName } from './ui.js';

const PAGE = pageSize(30); // posts per page
const TEXT_MAX = 60000; // under the 64 KiB body, with room for the rest of the Post

function postsOf(doc) {
  if (Array.isArray(doc)) return { posts: doc, next: null };
  return { posts: doc.posts || [], next: doc.next_cursor || null };
}

export async function timelinePage(main, g, mission) {
  const gdoc = await api.get('group', { g, members_limit: 1, history_limit: 1 });
  const c = gdoc.charter || gdoc;
  const missions = c.missions || [];
  heading(main, t('timeline_of', { name: c.name }));
  main.appendChild(el('nav.group-nav', { 'aria-label': t('group_sections') },
    el('a', { href: '#/group/' + g }, t('charter')), ' ', el('a', { href: '#/group/' + g + '/report' }, t('report'))));

  // mission filter: links, so each view has its address
  const mnav = el('ul.mission-filter', { 'aria-label': t('missions') });
  const link = (key, label) => el('li', el('a', { href: '#/group/' + g + '/timeline' + (key ? '/' + key : ''), 'aria-current': key === mission ? 'page' : null }, label));
  mnav.append(link('', t('all_missions')), ...missions.map((m) => link(m.key, m.key)));
  main.appendChild(el('nav', { 'aria-label': t('missions') }, mnav));

  const list = el('ol.timeline#timeline', { 'aria-live': 'polite', 'aria-label': t('posts'), tabindex: '-1' });
  const byId = new Map(); // id -> {post, li, replies <ol>}
  main.appendChild(composer(g, missions, mission, null, (r) => { if (r) fetchNew(); }));
  main.appendChild(list);
  const more = el('button#more-posts', { type: 'button', text: t('older'), hidden: true });
  const empty = el('p.muted#no-posts', { hidden: true }, t('no_posts'));
  main.append(empty, more);

  function render(p) {
    const mine = p.author === session.author;
    const text = p.erased ? el('p.text.erased', t('erased')) : el('p.text', p.text);
    const replies = el('ol.replies');
    const actions = el('div.post-actions');
    const li = el('li.post', { 'data-id': p.id, id: 'post-' + p.id },
      el('article', { 'aria-label': t('post_by', { who: displayName(p.author, p.author_name, p.author_site) }) },
        el('header', el('span.author', displayName(p.author, p.author_name, p.author_site)), ' ',
          el('span.mission', p.mission), ' ', el('time', { datetime: new Date(Number(p.timestamp)).toISOString() }, fmtTime(p.timestamp, lang()))),
        text, actions),
      replies);
    if (!p.erased) {
      const reply = el('button.small.reply', { type: 'button', text: t('reply'), 'aria-expanded': 'false' });
      reply.addEventListener('click', () => {
        const open = li.querySelector(':scope > .composer');
        if (open) {
          open.remove();
          reply.setAttribute('aria-expanded', 'false');
          reply.focus();
          return;
        }
        reply.setAttribute('aria-expanded', 'true');
        const form = composer(g, missions, p.mission, p, () => {
          form.remove();
          reply.setAttribute('aria-expanded', 'false');
          reply.focus();
          fetchNew();
        });
        li.insertBefore(form, replies);
        form.querySelector('textarea').focus();
      });
      actions.appendChild(reply);
    }
    if (mine && !p.erased) {
      const retract = el('button.small', { type: 'button', text: t('retract') });
      const erase = el('button.small.danger', { type: 'button', text: t('erase') });
      retract.addEventListener('click', () => withdraw(p, false, li));
      erase.addEventListener('click', () => withdraw(p, true, li));
      actions.append(retract, erase);
    }
    return { post: p, li, replies };
  }

  // place(p, atTop): puts a post where it belongs (under its parent when
  // the parent is shown; new posts at the top, older pages at the bottom).
  function place(p, atTop) {
    if (byId.has(p.id)) return false;
    if (mission && p.mission !== mission) return false;
    const node = render(p);
    byId.set(p.id, node);
    const parent = p.reply_to ? byId.get(p.reply_to) : null;
    if (parent) {
      // replies read oldest first under their post
      if (atTop) parent.replies.appendChild(node.li);
      else parent.replies.prepend(node.li);
    } else {
      if (p.reply_to) node.li.querySelector('header').append(' ', el('span.muted', t('reply_to', { id: short(p.reply_to) })));
      if (atTop) list.prepend(node.li);
      else list.appendChild(node.li);
    }
    // replies that arrived before their parent move under it
    for (const other of byId.values()) {
      if (other.post.reply_to === p.id && other.li.parentNode === list) node.replies.appendChild(other.li);
    }
    empty.hidden = true;
    return true;
  }

  async function withdraw(p, erase, li) {
    const ok = await confirmDialog({
      title: erase ? t('erase_q') : t('retract_q'),
      body: [el('p', erase ? t('erase_text') : t('retract_text'))],
      confirm: erase ? t('erase_yes') : t('retract_yes'),
      danger: erase,
    });
    if (!ok) return;
    try {
      await publish(Kind.RETRACTION, { target: unhex(p.id), erase });
      notice(erase ? t('erased_done') : t('retracted_done'));
      drop(p.id);
      list.focus();
    } catch (e) {
      notice(errorText(e), 'error');
    }
  }

  // drop(id): a post withdrawn (retracted or erased) leaves every view; its
  // replies stay, shown as replies to a post no longer there.
  function drop(id) {
    const n = byId.get(id);
    if (!n) return;
    for (const r of [...n.replies.children]) {
      r.querySelector('header').append(' ', el('span.muted', t('reply_to_gone')));
      n.li.after(r);
    }
    n.li.remove();
    byId.delete(id);
    if (!byId.size) empty.hidden = false;
  }

  let cursor = null;
  let loading = false;
  async function load(first) {
    if (loading) return;
    loading = true;
    try {
      const doc = await api.get('timeline', { g, mission, limit: PAGE, cursor: first ? null : cursor });
      const { posts, next } = postsOf(doc);
      // a page is newest first; oldest first keeps parents before replies
      for (const p of first ? [...posts].reverse() : posts) place(p, first);
      cursor = next;
      more.hidden = !next;
      if (!byId.size) empty.hidden = false;
    } finally {
      loading = false;
    }
    if (cursor && inView(more)) setTimeout(() => load(false).catch(() => {}), 0); // the page is not filled yet
  }
  // the first page: placed oldest first at the top, so the newest ends first
  await load(true);
  more.addEventListener('click', () => load(false).catch((e) => notice(errorText(e), 'error')));
  const io = new IntersectionObserver((es) => {
    if (es.some((x) => x.isIntersecting) && cursor && !loading) load(false).catch(() => {});
  });
  io.observe(more);

  // live: this group's new entries, and the retractions of its posts (the
  // node sends a retraction to the subscriptions of its target's group:
  // docs/api.md, "Subscriptions")
  const es = new EventSource('/api/events?g=' + encodeURIComponent(g));
  const live = el('p.muted.live#live', { role: 'status' });
  main.insertBefore(live, list);
  es.addEventListener('open', () => { live.textContent = t('live_on'); });
  es.addEventListener('error', () => { live.textContent = t('live_off'); });
  es.addEventListener('entry', (ev) => {
    let d;
    try {
      d = JSON.parse(ev.data);
    } catch {
      return;
    }
    const p = d.post || null;
    if (p && p.group === g) {
      if (place(p, true)) {
        const n = byId.get(p.id);
        n.li.classList.add('new');
      }
      return;
    }
    const info = d.entry || d;
    if (info && info.kind === 'retraction') {
      const target = info.body && info.body.target;
      if (target && byId.has(target)) drop(target);
      else refreshTop();
    }
  });
  // fetchNew(): the newest page again, placing what is not shown yet (after
  // one's own post, whether or not the stream brought it).
  async function fetchNew() {
    const doc = await api.get('timeline', { g, mission, limit: PAGE }).catch(() => null);
    if (doc) for (const p of [...postsOf(doc).posts].reverse()) place(p, true);
  }
  // refreshTop(): the newest page again; a shown post within its span that
  // the node no longer shows was withdrawn.
  async function refreshTop() {
    const doc = await api.get('timeline', { g, mission, limit: PAGE }).catch(() => null);
    if (!doc) return;
    const { posts, next } = postsOf(doc);
    const ids = new Set(posts.map((p) => p.id));
    const oldest = next && posts.length ? Math.min(...posts.map((p) => Number(p.timestamp))) : 0;
    for (const [id, n] of [...byId.entries()]) if (!ids.has(id) && Number(n.post.timestamp) >= oldest) drop(id);
    for (const p of [...posts].reverse()) place(p, true);
  }
  return () => {
    es.close();
    io.disconnect();
  };
}

// composer: the post form (a mission must be chosen), or a reply's form.
function composer(g, missions, mission, parent, done) {
  const sel = el('select', { required: true },
    el('option', { value: '' }, t('choose_mission')),
    missions.map((m) => el('option', { value: m.key, selected: m.key === mission ? true : null }, m.key + (m.goal ? ' — ' + m.goal : ''))));
  if (mission) sel.value = mission;
  const text = el('textarea', { rows: parent ? 3 : 4, maxlength: TEXT_MAX, required: true });
  const fMission = field(t('mission'), sel);
  const fText = field(parent ? t('your_reply') : t('your_post'), text);
  const send = el('button.primary', { type: 'submit', text: parent ? t('send_reply') : t('send_post') });
  const form = el('form.composer', { novalidate: true, 'aria-label': parent ? t('reply_form') : t('post_form') }, fMission.wrap, fText.wrap, send);
  if (parent) {
    sel.value = parent.mission;
    const cancel = el('button', { type: 'button', text: t('cancel') });
    cancel.addEventListener('click', () => done(null));
    form.appendChild(cancel);
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    fMission.setError(null);
    fText.setError(null);
    if (!sel.value) {
      fMission.setError(t('mission_required'));
      sel.focus();
      return;
    }
    if (!text.value.trim()) {
      fText.setError(t('text_required'));
      text.focus();
      return;
    }
    busy(send, async () => {
      const msg = { group: unhex(g), mission: sel.value, text: text.value };
      if (parent) msg.reply_to = unhex(parent.id);
      try {
        const r = await publish(Kind.POST, msg);
        if (r.broken_rule) notice(t('broken_rule', { m: r.broken_rule.message }), 'error');
        else notice(parent ? t('reply_sent') : t('post_sent'));
        text.value = '';
        done(r);
      } catch (e) {
        fText.setError(errorText(e));
        text.focus();
      }
    });
  });
  return form;
}
