// proto_test.mjs — the page's encoder (node/web/static/proto.js) against the
// C encoder: for each vector of tests/web/proto_vectors (protobuf-c, as every
// node packs), proto.js must produce the same bytes from the same fields and
// decode them back to those fields; the signed vector's id and signature must
// come out the same from WebCrypto (SHA-256, Ed25519 over the signing input).
// Run: node tests/web/proto_test.mjs VECTORS.json (Node 20's test runner).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as P from '../../node/web/static/proto.js';

const file = process.argv[2];
if (!file) throw new Error('usage: node proto_test.mjs VECTORS.json');
const vectors = JSON.parse(readFileSync(file, 'utf8'));

const hex = (u8) => Buffer.from(u8).toString('hex');
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'));
const BYTES = new Set(['author', 'prev', 'body_hash', 'group', 'supersedes', 'member', 'charter', 'answers', 'reply_to', 'target', 'owners']);

// JSON fields -> the page's message objects (hex strings to bytes)
function toMsg(fields) {
  const out = {};
  for (const [k, v] of Object.entries(fields)) {
    if (k === 'owners') out[k] = v.map(unhex);
    else if (BYTES.has(k)) out[k] = unhex(v);
    else out[k] = v;
  }
  return out;
}

const enc = {
  entry: P.encodeEntry, charter: P.encodeCharter, membership: P.encodeMembership,
  post: P.encodePost, profile: P.encodeProfile, retraction: P.encodeRetraction,
};
const dec = {
  entry: P.decodeEntry, charter: P.decodeCharter, membership: P.decodeMembership,
  post: P.decodePost, profile: P.decodeProfile, retraction: P.decodeRetraction,
};

test('there are vectors of every message', () => {
  const types = new Set(vectors.map((v) => v.type));
  for (const t of Object.keys(enc)) assert.ok(types.has(t), t);
});

vectors.forEach((v, i) => {
  test(`vector ${i}: ${v.type} encodes as protobuf-c does`, () => {
    const msg = toMsg(v.fields);
    assert.equal(hex(enc[v.type](msg)), v.hex);
  });
  test(`vector ${i}: ${v.type} decodes back`, () => {
    const got = dec[v.type](unhex(v.hex));
    for (const [k, want] of Object.entries(v.fields)) {
      let g = got[k];
      if (k === 'owners') g = g.map(hex);
      else if (BYTES.has(k)) g = hex(g);
      else if (k === 'data_policy') {
        const w = { readers: '', use: '', retention_days: 0, ...want };
        assert.deepEqual(g, w, k);
        continue;
      } else if (k === 'missions') g = g.map((m) => ({ key: m.key, goal: m.goal }));
      assert.deepEqual(g, want, k);
    }
  });
});

test('the signed vector: same id and signature from WebCrypto', async () => {
  const v = vectors.find((x) => x.signature);
  assert.ok(v, 'a signed vector');
  const entry = unhex(v.hex);
  const id = new Uint8Array(await crypto.subtle.digest('SHA-256', entry));
  assert.equal(hex(id), v.id);
  const b64u = (u8) => Buffer.from(u8).toString('base64url');
  const key = await crypto.subtle.importKey('jwk',
    { kty: 'OKP', crv: 'Ed25519', d: b64u(unhex(v.seed)), x: b64u(unhex(v.fields.author)) },
    { name: 'Ed25519' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, P.entrySigningInput(entry)));
  assert.equal(hex(sig), v.signature);
});

test('malformed input is refused, not misread', () => {
  assert.throws(() => P.decodeEntry(unhex('0a20')), /truncated/);
  assert.throws(() => P.decodeEntry(unhex('08')), /truncated varint/);
  assert.throws(() => P.decodeEntry(unhex('0d00000000')), /wire type/);
  assert.throws(() => P.decodePost(unhex('1a02c328')), TypeError); // invalid UTF-8 text
  assert.throws(() => P.encodeEntry({ author: new Uint8Array(31), seq: 1 }), /author/);
});

test('the login signing input is the contract\'s', () => {
  const ch = new Uint8Array(32).fill(9);
  const got = P.loginSigningInput('http://127.0.0.1:8080', ch);
  const want = Buffer.concat([Buffer.from('raison-web-login-v1\0http://127.0.0.1:8080\0'), Buffer.from(ch)]);
  assert.equal(hex(got), want.toString('hex'));
});
