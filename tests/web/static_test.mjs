// static_test.mjs — checks of the page's files that need no browser:
// every interface string used (t('key')) is in the English and the French
// table, both tables have the same keys, every placeholder of an English
// string is in its French one; and no module puts text into the page as
// HTML (innerHTML, outerHTML, insertAdjacentHTML, document.write), evaluates
// strings (eval, new Function, string timers) or loads anything from
// another origin. Run: node --test tests/web/static_test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const STATIC = join(dirname(fileURLToPath(import.meta.url)), '../../node/web/static');
globalThis.navigator = { languages: ['en'] };
globalThis.localStorage = { getItem: () => null, setItem: () => {} };
const i18n = await import(join(STATIC, 'i18n.js'));
const files = readdirSync(STATIC).filter((f) => /\.(js|html|css)$/.test(f));
const js = files.filter((f) => f.endsWith('.js')).map((f) => [f, readFileSync(join(STATIC, f), 'utf8')]);

test('both tables have the same keys', () => {
  assert.deepEqual(i18n.missingKeys(), { fr: [], en: [] });
});

test('every key the modules use is in the tables', () => {
  const missing = [];
  for (const [f, src] of js) {
    for (const m of src.matchAll(/(?<![\w.])t\('([a-z_0-9]+)'/g)) {
      i18n.setLang('en');
      const en = i18n.t(m[1]);
      i18n.setLang('fr');
      const fr = i18n.t(m[1]);
      if (en === m[1] && !/^[a-z]+$/.test(en)) missing.push(f + ': ' + m[1]);
      if (fr === m[1] && en !== m[1]) missing.push(f + ' (fr): ' + m[1]);
    }
  }
  assert.deepEqual(missing, []);
});

test('French strings keep the English placeholders', () => {
  const src = readFileSync(join(STATIC, 'i18n.js'), 'utf8');
  const bad = [];
  const keys = [...src.matchAll(/([a-z_0-9]+): '/g)].map((m) => m[1]);
  for (const k of new Set(keys)) {
    i18n.setLang('en');
    const en = (i18n.t(k).match(/\{\w+\}/g) || []).sort().join();
    i18n.setLang('fr');
    const fr = (i18n.t(k).match(/\{\w+\}/g) || []).sort().join();
    if (en !== fr) bad.push(`${k}: en ${en} fr ${fr}`);
  }
  assert.deepEqual(bad, []);
});

test('counts take the plural their language gives them', () => {
  i18n.setLang('en');
  assert.equal(i18n.t('recent_line', { posts: 1, people: 1, sites: 2, days: 30, cross: 1 }),
    '1 post by 1 person from 2 sites in the last 30 days, 1 reply across sites');
  assert.equal(i18n.t('recent_line', { posts: 0, people: 0, sites: 0, days: 1, cross: 0 }),
    '0 posts by 0 people from 0 sites in the last 1 day, 0 replies across sites');
  assert.equal(i18n.t('members_n', { n: 1 }), '1 member');
  i18n.setLang('fr');
  // French counts 0 and 1 in the singular
  assert.equal(i18n.t('recent_line', { posts: 0, people: 1, sites: 2, days: 30, cross: 3 }),
    '0 message de 1 personne de 2 sites sur 30 jours, 3 réponses entre sites');
  assert.equal(i18n.t('members_n', { n: 2 }), '2 membres');
  i18n.setLang('en');
});

test('no module writes HTML, evaluates strings, or reaches another origin', () => {
  const bad = [];
  for (const [f, src] of js) {
    const code = src.replace(/^\s*\/\/.*$/gm, '');
    for (const re of [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\(/, /new Function\b/, /setTimeout\(\s*['"`]/, /https?:\/\/(?!www\.w3\.org\/2000\/svg)/]) {
      if (re.test(code)) bad.push(`${f}: ${re}`);
    }
  }
  const html = readFileSync(join(STATIC, 'index.html'), 'utf8');
  if (/<script(?![^>]*\bsrc=)[^>]*>/.test(html)) bad.push('index.html: an inline script');
  if (/\sstyle=|\son[a-z]+=/.test(html)) bad.push('index.html: an inline style or handler');
  assert.deepEqual(bad, []);
});
