// proto.js — the few protobuf messages the page writes, encoded by hand.
//
// The page signs entries itself, so it must serialize the Entry header and
// the bodies (Charter with Mission and DataPolicy, Membership, Post, Profile,
// Retraction) exactly as proto/raison.proto numbers and types them. Nodes
// store and relay the bytes they are given and never re-encode, so any valid
// encoding would do; this one writes what protobuf-c writes (fields in number
// order, proto3 defaults left out, a present sub-message always written), and
// tests/web/proto_test.mjs checks it byte for byte against the C encoder.
// The decoder reads what the page needs back: an Entry header, and any of
// these messages, for the tests.

export const Kind = { CHARTER: 1, MEMBERSHIP: 2, POST: 3, PROFILE: 4, RETRACTION: 5 };
export const Access = { OPEN: 1, MEMBERS_ONLY: 2 };
export const Action = { JOIN: 1, LEAVE: 2, ADD: 3, REMOVE: 4 };

const VARINT = 0;
const LEN = 2;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

// A growing byte buffer with the protobuf wire primitives.
class Writer {
  constructor() {
    this.parts = [];
    this.size = 0;
  }
  bytes(u8) {
    this.parts.push(u8);
    this.size += u8.length;
  }
  varint(n) {
    let v = BigInt(n);
    if (v < 0n || v > 0xffffffffffffffffn) throw new RangeError('varint out of range: ' + n);
    const out = [];
    while (v >= 0x80n) {
      out.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    out.push(Number(v));
    this.bytes(Uint8Array.from(out));
  }
  tag(field, wire) {
    this.varint(field * 8 + wire);
  }
  // proto3: a zero scalar is not written
  uint(field, n) {
    if (n === undefined || n === null || BigInt(n) === 0n) return;
    this.tag(field, VARINT);
    this.varint(n);
  }
  bool(field, b) {
    if (!b) return;
    this.tag(field, VARINT);
    this.varint(1);
  }
  lenDelim(field, u8) {
    this.tag(field, LEN);
    this.varint(u8.length);
    this.bytes(u8);
  }
  blob(field, u8) {
    if (!u8 || u8.length === 0) return;
    this.lenDelim(field, u8);
  }
  str(field, s) {
    if (!s) return;
    this.lenDelim(field, utf8.encode(s));
  }
  finish() {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }
}

function checkKey(name, u8, lengths) {
  if (u8 && u8.length && !lengths.includes(u8.length))
    throw new RangeError(name + ': ' + u8.length + ' bytes, expected ' + lengths.join(' or '));
}

// Entry header: {author, seq, prev, timestamp, kind, body_hash, body_size}.
export function encodeEntry(e) {
  checkKey('author', e.author, [32]);
  checkKey('prev', e.prev, [32]);
  checkKey('body_hash', e.body_hash, [32]);
  const w = new Writer();
  w.blob(1, e.author);
  w.uint(2, e.seq);
  w.blob(3, e.prev);
  w.uint(4, e.timestamp);
  w.uint(5, e.kind);
  w.blob(6, e.body_hash);
  w.uint(7, e.body_size);
  return w.finish();
}

// SignedEntry {entry, signature, body}: the page does not send it (the web
// API takes the three fields apart), but tests and backups may.
export function encodeSignedEntry(s) {
  const w = new Writer();
  w.blob(1, s.entry);
  w.blob(2, s.signature);
  w.blob(3, s.body);
  return w.finish();
}

function encodeMission(m) {
  const w = new Writer();
  w.str(1, m.key);
  w.str(2, m.goal);
  return w.finish();
}

function encodeDataPolicy(d) {
  const w = new Writer();
  w.str(1, d.readers);
  w.str(2, d.use);
  w.uint(3, d.retention_days);
  return w.finish();
}

// Charter {group, version, supersedes, name, purpose, missions[], benefits[],
// data_policy, access, owners[]}.
export function encodeCharter(c) {
  const w = new Writer();
  w.blob(1, c.group);
  w.uint(2, c.version);
  w.blob(3, c.supersedes);
  w.str(4, c.name);
  w.str(5, c.purpose);
  for (const m of c.missions || []) w.lenDelim(6, encodeMission(m));
  for (const b of c.benefits || []) w.lenDelim(7, utf8.encode(b));
  if (c.data_policy) w.lenDelim(8, encodeDataPolicy(c.data_policy));
  w.uint(9, c.access);
  for (const o of c.owners || []) {
    checkKey('owner', o, [32]);
    w.lenDelim(10, o);
  }
  return w.finish();
}

// Membership {group, action, member, charter, member_seq, answers}.
export function encodeMembership(m) {
  const w = new Writer();
  w.blob(1, m.group);
  w.uint(2, m.action);
  w.blob(3, m.member);
  w.blob(4, m.charter);
  w.uint(5, m.member_seq);
  w.blob(6, m.answers);
  return w.finish();
}

// Post {group, mission, text, reply_to, charter}.
export function encodePost(p) {
  const w = new Writer();
  w.blob(1, p.group);
  w.str(2, p.mission);
  w.str(3, p.text);
  w.blob(4, p.reply_to);
  w.blob(5, p.charter);
  return w.finish();
}

// Profile {name, site, role}.
export function encodeProfile(p) {
  const w = new Writer();
  w.str(1, p.name);
  w.str(2, p.site);
  w.str(3, p.role);
  return w.finish();
}

// Retraction {target, erase}.
export function encodeRetraction(r) {
  const w = new Writer();
  w.blob(1, r.target);
  w.bool(2, r.erase);
  return w.finish();
}

// encodeBody(kind, message): the body of an entry of that kind.
export function encodeBody(kind, msg) {
  switch (kind) {
    case Kind.CHARTER: return encodeCharter(msg);
    case Kind.MEMBERSHIP: return encodeMembership(msg);
    case Kind.POST: return encodePost(msg);
    case Kind.PROFILE: return encodeProfile(msg);
    case Kind.RETRACTION: return encodeRetraction(msg);
    default: throw new RangeError('unknown kind ' + kind);
  }
}

// ------------------------------------------------------------- decoding --

// readFields(u8): [{field, wire, value}] with value a BigInt (varint) or a
// Uint8Array (length-delimited). Throws on anything malformed or on the wire
// types these messages never use.
export function readFields(u8) {
  const out = [];
  let off = 0;
  const varint = () => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (off >= u8.length) throw new RangeError('truncated varint');
      const b = u8[off++];
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7n;
      if (shift > 63n) throw new RangeError('varint too long');
    }
    return v;
  };
  while (off < u8.length) {
    const key = varint();
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new RangeError('field 0');
    if (wire === VARINT) {
      out.push({ field, wire, value: varint() });
    } else if (wire === LEN) {
      const n = Number(varint());
      if (n > u8.length - off) throw new RangeError('truncated field ' + field);
      out.push({ field, wire, value: u8.subarray(off, off + n) });
      off += n;
    } else {
      throw new RangeError('unsupported wire type ' + wire);
    }
  }
  return out;
}

// A schema maps a field number to [name, type, repeated?, sub-schema].
function decodeWith(schema, u8) {
  const msg = {};
  for (const [, [name, type, rep]] of Object.entries(schema)) {
    if (rep) msg[name] = [];
    else msg[name] = type === 'bytes' ? new Uint8Array(0) : type === 'string' ? '' : type === 'bool' ? false : type === 'msg' ? null : 0;
  }
  for (const f of readFields(u8)) {
    const d = schema[f.field];
    if (!d) continue; // unknown fields are skipped, as protobuf does
    const [name, type, rep, sub] = d;
    const want = type === 'bytes' || type === 'string' || type === 'msg' ? LEN : VARINT;
    if (f.wire !== want) throw new RangeError('field ' + name + ': wrong wire type');
    let v;
    if (type === 'bytes') v = f.value.slice();
    else if (type === 'string') v = utf8d.decode(f.value);
    else if (type === 'msg') v = decodeWith(sub, f.value);
    else if (type === 'bool') v = f.value !== 0n;
    else v = f.value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(f.value) : f.value;
    if (rep) msg[name].push(v);
    else msg[name] = v;
  }
  return msg;
}

const S = {
  entry: { 1: ['author', 'bytes'], 2: ['seq', 'uint'], 3: ['prev', 'bytes'], 4: ['timestamp', 'uint'], 5: ['kind', 'uint'], 6: ['body_hash', 'bytes'], 7: ['body_size', 'uint'] },
  signed: { 1: ['entry', 'bytes'], 2: ['signature', 'bytes'], 3: ['body', 'bytes'] },
  mission: { 1: ['key', 'string'], 2: ['goal', 'string'] },
  policy: { 1: ['readers', 'string'], 2: ['use', 'string'], 3: ['retention_days', 'uint'] },
  membership: { 1: ['group', 'bytes'], 2: ['action', 'uint'], 3: ['member', 'bytes'], 4: ['charter', 'bytes'], 5: ['member_seq', 'uint'], 6: ['answers', 'bytes'] },
  post: { 1: ['group', 'bytes'], 2: ['mission', 'string'], 3: ['text', 'string'], 4: ['reply_to', 'bytes'], 5: ['charter', 'bytes'] },
  profile: { 1: ['name', 'string'], 2: ['site', 'string'], 3: ['role', 'string'] },
  retraction: { 1: ['target', 'bytes'], 2: ['erase', 'bool'] },
};
S.charter = {
  1: ['group', 'bytes'], 2: ['version', 'uint'], 3: ['supersedes', 'bytes'], 4: ['name', 'string'],
  5: ['purpose', 'string'], 6: ['missions', 'msg', true, S.mission], 7: ['benefits', 'string', true],
  8: ['data_policy', 'msg', false, S.policy], 9: ['access', 'uint'], 10: ['owners', 'bytes', true],
};

export const decodeEntry = (u8) => decodeWith(S.entry, u8);
export const decodeSignedEntry = (u8) => decodeWith(S.signed, u8);
export const decodeCharter = (u8) => decodeWith(S.charter, u8);
export const decodeMembership = (u8) => decodeWith(S.membership, u8);
export const decodePost = (u8) => decodeWith(S.post, u8);
export const decodeProfile = (u8) => decodeWith(S.profile, u8);
export const decodeRetraction = (u8) => decodeWith(S.retraction, u8);

// decodeBody(kind, u8): the body message of an entry of that kind.
export function decodeBody(kind, u8) {
  switch (kind) {
    case Kind.CHARTER: return decodeCharter(u8);
    case Kind.MEMBERSHIP: return decodeMembership(u8);
    case Kind.POST: return decodePost(u8);
    case Kind.PROFILE: return decodeProfile(u8);
    case Kind.RETRACTION: return decodeRetraction(u8);
    default: throw new RangeError('unknown kind ' + kind);
  }
}

// The bytes an entry's signature covers: "raison-entry-v1" 0x00 entry.
export function entrySigningInput(entryBytes) {
  const tag = utf8.encode('raison-entry-v1');
  const out = new Uint8Array(tag.length + 1 + entryBytes.length);
  out.set(tag, 0);
  out[tag.length] = 0;
  out.set(entryBytes, tag.length + 1);
  return out;
}

// The bytes a login signature covers: "raison-web-login-v1" 0x00 ORIGIN 0x00 CHALLENGE.
export function loginSigningInput(origin, challenge) {
  const tag = utf8.encode('raison-web-login-v1');
  const o = utf8.encode(origin);
  const out = new Uint8Array(tag.length + 1 + o.length + 1 + challenge.length);
  out.set(tag, 0);
  out.set(o, tag.length + 1);
  out.set(challenge, tag.length + 1 + o.length + 1);
  return out;
}
