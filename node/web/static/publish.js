// publish.js — docs/api.md "The publish sequence", in the browser.
//
// A client must never sign two entries for one seq: a second one is a fork
// and freezes the person's feed for good. So, for every entry:
//  1. the lock of the key (Web Locks: one signer at a time across every tab
//     of this origin; given up after LOCK_WAIT_MS with a message);
//  2. anything pending is settled first: `head` says whether the node holds
//     that seq; if it does, `entry` says whether it is ours (stored: forget
//     it) or another (keep it, refuse to publish, say why); if not, the same
//     bytes are sent again;
//  3. the draft (unsigned) gets seq, prev and the charter version to name,
//     or the rule it breaks, before anything is signed;
//  4. a draft at or below a seq a node already acknowledged means this node
//     is behind: refused;
//  5. the entry is built, signed, written to IndexedDB as pending (the
//     transaction committed) and only then sent; after any failure it stays
//     pending and is resent as the same bytes, here or on the next visit.

import { get, post, ApiError } from './api.js';
import { dbGet, dbPut, dbDelete } from './db.js';
import * as P from './proto.js';
import { loadKey, sign } from './keys.js';
import { b64, unb64, hex, unhex, sha256 } from './util.js';

const LOCK_WAIT_MS = 10000;
const KIND_NAMES = { 1: 'charter', 2: 'membership', 3: 'post', 4: 'profile', 5: 'retraction' };
const listeners = new Set();

// Errors the page shows as they are (they say what to do).
export class PublishError extends Error {
  constructor(message, { pending = false, cause = null, stage = '' } = {}) {
    super(message);
    this.pending = pending; // a signed entry is kept and will be resent
    this.cause = cause;
    this.stage = stage; // 'lock', 'settle', 'draft', 'behind', 'send'
  }
}

// onPendingChange(f): f(pending|null) whenever the pending entry changes.
export function onPendingChange(f) {
  listeners.add(f);
  return () => listeners.delete(f);
}

async function setPending(author, rec) {
  if (rec) await dbPut('pending', author, rec);
  else await dbDelete('pending', author);
  for (const f of listeners) f(rec);
}

export const pendingOf = (author) => dbGet('pending', author);

async function withLock(author, fn) {
  if (!navigator.locks) return fn(); // no Web Locks: one tab can still not sign twice, see settle
  try {
    return await navigator.locks.request('raison-key-' + author, { signal: AbortSignal.timeout(LOCK_WAIT_MS) }, fn);
  } catch (e) {
    if (e && (e.name === 'TimeoutError' || e.name === 'AbortError'))
      throw new PublishError('another tab of this page is signing with your key: try again when it is done', { stage: 'lock' });
    throw e;
  }
}

async function acked(author, seq, id) {
  const old = await dbGet('acked', author);
  if (!old || old.seq < seq) await dbPut('acked', author, { seq, id });
}

async function send(rec) {
  return post('publish', { entry: rec.entry, signature: rec.signature, body: rec.body });
}

// Step 2: settles the pending entry of AUTHOR, if any. Returns the publish
// answer of a resend, {stored: true} when the node held it, or null when
// nothing was pending. Throws (keeping it) when it cannot be settled.
async function settle(author) {
  const rec = await dbGet('pending', author);
  if (!rec) return null;
  let head;
  try {
    head = await get('head', { author });
  } catch (e) {
    throw new PublishError('an entry you signed earlier is waiting to be sent; the node cannot be reached now (' + e.message + ')', { pending: true, cause: e, stage: 'settle' });
  }
  if (Number(head.seq) >= rec.seq) {
    let stored = false;
    try {
      const info = await get('entry', { id: rec.id });
      stored = !!info;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404)
        throw new PublishError('an entry you signed earlier is waiting to be sent: ' + e.message, { pending: true, cause: e, stage: 'settle' });
    }
    if (!stored)
      throw new PublishError(`the node holds another entry at seq ${rec.seq} of your feed than the one this browser signed: your key was used elsewhere. Nothing more is signed here; the entry is kept.`, { pending: true, stage: 'settle' });
    await acked(author, rec.seq, rec.id);
    await setPending(author, null);
    return { stored: true, id: rec.id, seq: rec.seq, duplicate: true };
  }
  let reply;
  try {
    reply = await send(rec);
  } catch (e) {
    throw new PublishError('an entry you signed earlier is still waiting to be sent: ' + e.message, { pending: true, cause: e, stage: 'settle' });
  }
  if (reply.id !== rec.id) throw new PublishError('the node answered another id than the entry\'s', { pending: true, stage: 'settle' });
  await acked(author, rec.seq, rec.id);
  await setPending(author, null);
  return reply;
}

// resendPending(): on each visit, the entry left pending is sent again.
export async function resendPending() {
  const k = await loadKey();
  if (!k) return null;
  return withLock(k.author, () => settle(k.author));
}

// The body message with what the draft named filled in.
function complete(kind, msg, d) {
  const m = { ...msg };
  if (kind === P.Kind.POST && d.charter && !(m.charter && m.charter.length)) m.charter = unhex(d.charter);
  if (kind === P.Kind.MEMBERSHIP) {
    if ((m.action === P.Action.ADD || m.action === P.Action.REMOVE) && d.charter) m.charter = unhex(d.charter);
    if ((m.action === P.Action.ADD || m.action === P.Action.REMOVE) && d.member_seq) m.member_seq = d.member_seq;
    if (m.action === P.Action.JOIN && d.answers) m.answers = unhex(d.answers);
  }
  return m;
}

// publish(kind, msg, {beforeSend}): the whole sequence for one entry.
// Resolves to {id, seq, duplicate, broken_rule, resent} or throws a
// PublishError (an ApiError's message at the draft: nothing was signed).
// beforeSend(rec) runs after the pending entry is kept, before sending
// (tests use it to cut the network there).
export async function publish(kind, msg, opts = {}) {
  const k = await loadKey();
  if (!k) throw new PublishError('no key in this browser', { stage: 'lock' });
  const author = k.author;
  return withLock(author, async () => {
    const resent = await settle(author);
    let d;
    try {
      d = await post('draft', { kind: KIND_NAMES[kind], body: b64(P.encodeBody(kind, msg)) });
    } catch (e) {
      throw new PublishError(e.message, { cause: e, stage: 'draft' });
    }
    const last = await dbGet('acked', author);
    if (last && Number(d.seq) <= last.seq)
      throw new PublishError(`this node is behind: it offers seq ${d.seq}, and a node already stored your entry ${last.seq}. Wait for it to catch up.`, { stage: 'behind' });
    const body = P.encodeBody(kind, complete(kind, msg, d));
    const entry = P.encodeEntry({
      author: unhex(author), seq: Number(d.seq), prev: d.prev ? unhex(d.prev) : null,
      timestamp: Date.now(), kind, body_hash: await sha256(body), body_size: body.length,
    });
    const signature = await sign(P.entrySigningInput(entry));
    const id = hex(await sha256(entry));
    const rec = { seq: Number(d.seq), id, kind, entry: b64(entry), signature: b64(signature), body: b64(body), signed_at: Date.now() };
    await setPending(author, rec); // durably, before sending: from here on this is the only entry for seq
    if (opts.beforeSend) await opts.beforeSend(rec);
    let reply;
    try {
      reply = await send(rec);
    } catch (e) {
      throw new PublishError('your entry is signed and kept in this browser; sending it failed (' + e.message + '). It is sent again, as it is, on your next action or visit.', { pending: true, cause: e, stage: 'send' });
    }
    if (reply.id !== id) throw new PublishError('the node answered another id than the entry\'s', { pending: true, stage: 'send' });
    await acked(author, rec.seq, id);
    await setPending(author, null);
    return { ...reply, resent };
  });
}

// Decodes a pending record back (for the page's "waiting" notice and tests).
export function describePending(rec) {
  const e = P.decodeEntry(unb64(rec.entry));
  return { seq: e.seq, kind: KIND_NAMES[e.kind], id: rec.id };
}
