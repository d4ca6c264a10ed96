// keys.js — the person's Ed25519 key, held by this browser only.
//
// The trade-off (docs/web-page.md, "The key"): WebCrypto can keep a private
// key non-extractable, so no script, not even the page's own, can read it
// out of IndexedDB; but such a key can never be backed up. So the key is
// created extractable, lives extractable in memory only while the first
// visit offers its passphrase-protected backup (PBKDF2-SHA-256, 600,000
// rounds, 16-byte salt → AES-GCM-256, `wrapKey('pkcs8')`), and what is stored
// in IndexedDB is a non-extractable copy (the pkcs8 bytes imported again with
// extractable = false, then dropped). Once the person saves a backup, skips
// it, or leaves the page, no backup can be made any more: the page says so
// before, and the key must then be replaced on a lost browser (a later
// capability). A restored backup is unwrapped straight to a non-extractable
// key. The server never sees a secret key: it sees public keys and
// signatures.

import { dbGet, dbPut, dbDelete } from './db.js';
import { b64, unb64, hex, unhex, equalBytes } from './util.js';

const ED = { name: 'Ed25519' };
const KDF_ROUNDS = 600000;
export const BACKUP_FORMAT = 'raison-key-backup-v1';
export const PASSPHRASE_MIN = 10;

let current = null; // {author: hex, publicKey, privateKey (non-extractable)}
let exportable = null; // the extractable private key, this visit only, until backed up

// The key this browser holds, or null.
export async function loadKey() {
  if (current) return current;
  const rec = await dbGet('keys', 'me');
  if (!rec) return null;
  current = { author: rec.author, publicKey: rec.publicKey, privateKey: rec.privateKey, backedUp: rec.backedUp, created: rec.created };
  return current;
}

// Whether this visit can still make a backup (the key was created in it).
export const canBackUp = () => exportable !== null;

async function keep(author, publicKey, privateKey, backedUp) {
  const rec = { author, publicKey, privateKey, backedUp, created: Date.now() };
  await dbPut('keys', 'me', rec);
  current = { ...rec };
  return current;
}

// Creates the person's key: extractable in memory for the backup offer,
// a non-extractable copy in IndexedDB. Refuses when a key is held already.
export async function createKey() {
  if (await loadKey()) throw new Error('this browser already holds a key');
  const pair = await crypto.subtle.generateKey(ED, true, ['sign', 'verify']);
  const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const pkcs8 = await crypto.subtle.exportKey('pkcs8', pair.privateKey);
  const fixed = await crypto.subtle.importKey('pkcs8', pkcs8, ED, false, ['sign']);
  new Uint8Array(pkcs8).fill(0);
  exportable = pair.privateKey;
  return keep(hex(raw), pair.publicKey, fixed, false);
}

// Signs MSG (Uint8Array) with the held key: 64 bytes.
export async function sign(msg) {
  const k = await loadKey();
  if (!k) throw new Error('no key in this browser');
  return new Uint8Array(await crypto.subtle.sign(ED, k.privateKey, msg));
}

async function passKey(passphrase, salt, usage) {
  const base = await crypto.subtle.importKey('raw', new TextEncoder().encode(passphrase), 'PBKDF2', false, ['deriveKey']);
  return crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: KDF_ROUNDS }, base,
    { name: 'AES-GCM', length: 256 }, false, usage);
}

// The backup of the key created in this visit, wrapped under PASSPHRASE: a
// JSON text to save as a file. The author key is bound as AES-GCM's
// additional data, so a backup cannot be relabelled.
export async function makeBackup(passphrase) {
  if (!exportable) throw new Error('this key can no longer be backed up (it was created in an earlier visit)');
  if (typeof passphrase !== 'string' || passphrase.length < PASSPHRASE_MIN) throw new Error('passphrase too short');
  const k = await loadKey();
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const wk = await passKey(passphrase, salt, ['wrapKey']);
  const aad = unhex(k.author);
  const wrapped = new Uint8Array(await crypto.subtle.wrapKey('pkcs8', exportable, wk, { name: 'AES-GCM', iv, additionalData: aad }));
  return JSON.stringify({
    format: BACKUP_FORMAT,
    author: k.author,
    kdf: { name: 'PBKDF2', hash: 'SHA-256', iterations: KDF_ROUNDS, salt: b64(salt) },
    cipher: { name: 'AES-GCM', iv: b64(iv) },
    wrapped_key: b64(wrapped),
  }, null, 1);
}

// After the backup is saved (or refused): drop the extractable key.
export async function finishBackup(saved) {
  exportable = null;
  const k = await loadKey();
  if (k && saved) await keep(k.author, k.publicKey, k.privateKey, true);
}

// Restores a backup made by makeBackup into this browser (replacing nothing:
// refused when a key is held). Throws "wrong passphrase or damaged backup"
// when AES-GCM refuses, and checks the key signs for the author it claims.
export async function restoreBackup(text, passphrase) {
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('not a raison key backup');
  }
  if (!doc || doc.format !== BACKUP_FORMAT || !/^[0-9a-f]{64}$/.test(doc.author || '') || !doc.kdf || !doc.cipher)
    throw new Error('not a raison key backup');
  if (doc.kdf.name !== 'PBKDF2' || doc.kdf.hash !== 'SHA-256' || doc.kdf.iterations !== KDF_ROUNDS || doc.cipher.name !== 'AES-GCM')
    throw new Error('a backup of an unknown kind');
  if (await loadKey()) throw new Error('this browser already holds a key');
  const wk = await passKey(passphrase, unb64(doc.kdf.salt), ['unwrapKey']);
  let priv;
  try {
    priv = await crypto.subtle.unwrapKey('pkcs8', unb64(doc.wrapped_key), wk,
      { name: 'AES-GCM', iv: unb64(doc.cipher.iv), additionalData: unhex(doc.author) }, ED, false, ['sign']);
  } catch {
    throw new Error('wrong passphrase or damaged backup');
  }
  const pub = await crypto.subtle.importKey('raw', unhex(doc.author), ED, true, ['verify']);
  const probe = crypto.getRandomValues(new Uint8Array(32));
  const sig = await crypto.subtle.sign(ED, priv, probe);
  if (!(await crypto.subtle.verify(ED, pub, sig, probe))) throw new Error('the backup\'s key does not match its author');
  return keep(doc.author, pub, priv, true);
}

// Forgets the key of this browser (the person asked, knowing what it means).
export async function forgetKey() {
  current = null;
  exportable = null;
  await dbDelete('keys', 'me');
}

export function sameAuthor(a, b) {
  return equalBytes(unhex(a), unhex(b));
}
