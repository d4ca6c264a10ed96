// run.mjs — the browser test of raison web's page: headless Debian Chromium
// driven by playwright-core, against real nodes and real `raison web`
// servers (tests/integration/test_web_browser.sh starts paris and lyon,
// federated, and gives this script a config file). The story of issue 11:
// Alice at paris opens her invite, creates her key, backs it up, fills her
// profile and founds a group in the charter form (its errors first); Bob at
// lyon (a 360 px phone) opens his invite, finds the group in the directory
// by its purpose, reads the charter, joins under the version shown, posts to
// a mission; Alice sees it arrive without reloading and replies; the report
// at lyon shows the cross-site reply in its SVG and its text; an injected
// <img onerror> renders as text; an entry signed while the network fails
// survives a reload and a restart of the server and is resent as the same
// bytes (same id); Bob erases a post and paris shows it erased; Bob's
// backup restored in a fresh context publishes again without forking his
// feed; Carol does the main path with the keyboard alone. Screenshots of
// each page at desktop and phone width go to the artifacts folder.
//
// Usage: node run.mjs CONFIG.json; CONFIG: {"raison": PATH, "artifacts": DIR,
// "sites": {"paris": {"socket", "port", "state"}, "lyon": {...}}}.
// Prints "N passed, N failed" and exits 1 on any failure.

import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ART = cfg.artifacts;
mkdirSync(ART, { recursive: true });
const T0 = Date.now();
const WAIT = 20000;
let passed = 0;
let failed = 0;
const log = (...a) => console.log(`[${((Date.now() - T0) / 1000).toFixed(1)}s]`, ...a);

// ------------------------------------------------------------ servers --

const servers = {};

function webArgs(site) {
  const s = cfg.sites[site];
  return ['--socket', s.socket, 'web', '--listen', '127.0.0.1:' + s.port, '--state', s.state, '--json'];
}

// startWeb(site): `raison web` for SITE; resolves to its first invite URL.
function startWeb(site) {
  return new Promise((resolve, reject) => {
    const p = spawn(cfg.raison, webArgs(site), { stdio: ['ignore', 'pipe', 'pipe'] });
    servers[site] = p;
    let err = '';
    p.stderr.on('data', (d) => {
      err += d;
      if (err.length > 20000) err = err.slice(-10000);
    });
    p.serverLog = () => err;
    const rl = createInterface({ input: p.stdout });
    const timer = setTimeout(() => reject(new Error(`raison web ${site} printed no URL in 15 s: ${err}`)), 15000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line).url);
      } catch {
        reject(new Error(`raison web ${site}: first line is not {"url"}: ${line}`));
      }
    });
    p.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`raison web ${site} exited ${code}: ${err}`));
    });
  });
}

async function stopWeb(site) {
  const p = servers[site];
  if (!p || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await gone;
}

function invite(site, name) {
  const s = cfg.sites[site];
  const out = execFileSync(cfg.raison, ['--socket', s.socket, 'web', 'invite', '--name', name, '--state', s.state, '--listen', '127.0.0.1:' + s.port, '--json'], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()).url;
}

const base = (site) => 'http://127.0.0.1:' + cfg.sites[site].port;

// ------------------------------------------------------------ browser --

const browser = await chromium.launch({
  executablePath: process.env.RSN_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
  headless: true,
});

const problems = []; // dialogs, page errors, unexpected console errors, missing headers

async function person(name, phone) {
  const ctx = await browser.newContext(phone ? { viewport: { width: 360, height: 740 }, deviceScaleFactor: 1, isMobile: false } : { viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.setDefaultTimeout(WAIT);
  page.on('dialog', async (d) => {
    problems.push(`${name}: a ${d.type()} dialog opened: ${d.message()}`);
    await d.dismiss();
  });
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    // /api/me before login, the operator-only probe, settle asking /api/entry
    if (/Failed to load resource: the server responded with a status of (401|403|404|409)/.test(text)) return;
    if (page.allowNetErrors && /status of 50[23]/.test(text)) return; // the node down, on purpose
    if (page.allowNetErrors && /Failed to load resource|ERR_FAILED|ERR_CONNECTION_REFUSED|net::/.test(text)) return;
    problems.push(`${name}: console error: ${text}`);
  });
  page.on('request', (r) => {
    if (/\/x$/.test(r.url())) problems.push(`${name}: the page requested ${r.url()} (an injected <img> ran)`);
  });
  page.on('response', (r) => {
    const url = r.url();
    if (!url.startsWith('http://127.0.0.1')) return;
    const h = r.headers();
    const ct = h['content-type'] || '';
    if (/text\/html|javascript|text\/css/.test(ct)) {
      const csp = h['content-security-policy'] || '';
      if (!/default-src 'self'/.test(csp) || !/frame-ancestors 'none'/.test(csp)) problems.push(`${name}: ${url}: no strict CSP (${csp})`);
      if (h['x-content-type-options'] !== 'nosniff') problems.push(`${name}: ${url}: no X-Content-Type-Options: nosniff`);
    }
  });
  return { name, ctx, page };
}

async function shot(p, label) {
  await p.page.screenshot({ path: `${ART}/${label}.png`, fullPage: true });
}

async function step(what, fn) {
  const t = Date.now();
  try {
    await fn();
    passed++;
    log(`ok   ${what} (${Date.now() - t} ms)`);
  } catch (e) {
    failed++;
    log(`FAIL ${what}: ${e && e.stack ? e.stack : e}`);
    throw e;
  }
}

const main = (p) => p.page.locator('main');
const h1 = (p) => p.page.locator('main h1');

async function expectText(locator, re, what) {
  const deadline = Date.now() + WAIT;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent().catch(() => '')) || '';
    if (re.test(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: ${re} not in ${JSON.stringify(last.slice(0, 400))}`);
}

// The first visit through an invite: key, backup (kept as text), profile.
async function firstVisit(p, url, prof, { backup = true } = {}) {
  await p.page.goto(url);
  await expectText(h1(p), /Welcome/, 'the welcome page');
  await expectText(main(p), /why its backup matters/i, 'the page says why the backup matters before it is needed');
  await p.page.click('#create-key');
  await expectText(h1(p), /backup/i, 'the backup page');
  let text = null;
  if (backup) {
    await p.page.fill('#backup-pass', 'short');
    await p.page.click('#make-backup');
    await expectText(main(p), /at least 10 characters/, 'a short passphrase is refused');
    await p.page.fill('#backup-pass', prof.pass);
    await p.page.fill('#backup-pass2', prof.pass);
    await p.page.click('#make-backup');
    await p.page.waitForSelector('#backup-text');
    text = await p.page.inputValue('#backup-text');
    assert.match(text, /raison-key-backup-v1/);
    assert.ok(await p.page.locator('#backup-download').getAttribute('download'));
    await p.page.click('#backup-done');
  } else {
    await p.page.click('#skip-backup');
    await p.page.click('dialog button.danger');
  }
  await expectText(h1(p), /who you are/i, 'the profile is asked for');
  await p.page.fill('#profile-name', prof.name);
  await p.page.fill('#profile-site', prof.site);
  await p.page.fill('#profile-role', prof.role || '');
  await p.page.click('#profile-save');
  await expectText(h1(p), /^Groups$/, 'the directory after the profile');
  assert.doesNotMatch(p.page.url(), /invite/, 'the used invite is not kept in the address');
  const author = await p.page.evaluate(async () => (await (await fetch('/api/me')).json()).author);
  assert.match(author, /^[0-9a-f]{64}$/);
  return { backup: text, author };
}

async function api(p, path) {
  return p.page.evaluate(async (u) => {
    const r = await fetch(u);
    return { status: r.status, body: await r.json().catch(() => null) };
  }, path);
}

// ------------------------------------------------------------ the story --

let alice;
let bob;
let G;
let G2;
const PURPOSE = 'Keep the build fast for every site';
let exit = 0;
try {
  const inviteA = await startWeb('paris');
  const inviteB0 = await startWeb('lyon');
  log('servers up', inviteA, inviteB0);
  const inviteB = invite('lyon', 'Bob');

  alice = await person('alice', false);
  bob = await person('bob', true);
  let aliceKey;
  let bobKey;
  let bobBackup;

  await step('alice: invite, key, backup, profile', async () => {
    const r = await firstVisit(alice, inviteA, { name: 'Alice Martin', site: 'paris', role: 'engineer', pass: 'correct horse battery' });
    aliceKey = r.author;
    await shot(alice, 'desktop-groups-empty');
  });

  await step('alice: the charter form refuses what the node would, clearly', async () => {
    await alice.page.click('#nav a[href="#/new-group"]');
    await expectText(h1(alice), /Found a group/, 'the charter form');
    await alice.page.click('#charter-submit');
    const sum = await expectText(alice.page.locator('.error-summary'), /name/, 'errors listed');
    assert.match(sum, /purpose/);
    assert.match(sum, /Mission 1: the key/);
    assert.equal(await alice.page.getAttribute('#c-name', 'aria-invalid'), 'true');
    await alice.page.fill('#c-mission-key-0', 'Bad Key!');
    await alice.page.click('#charter-submit');
    await expectText(alice.page.locator('.error-summary'), /1 to 32 of a-z/, 'a bad mission key is explained');
    await shot(alice, 'desktop-charter-errors');
  });

  await step('alice: founds the group', async () => {
    await alice.page.fill('#c-name', 'platform');
    await alice.page.fill('#c-purpose', PURPOSE);
    await alice.page.fill('#c-mission-key-0', 'onboarding');
    await alice.page.fill('#c-mission-goal-0', 'Get newcomers productive in a week');
    await alice.page.click('#add-missions');
    await alice.page.fill('#c-mission-key-1', 'tooling');
    await alice.page.fill('#c-mission-goal-1', 'Share build tools between sites');
    await alice.page.fill('#c-benefit-0', 'Answers within a day');
    await alice.page.click('#add-benefits');
    await alice.page.fill('#c-benefit-1', 'Fewer broken builds');
    await alice.page.fill('#c-readers', 'all engineers');
    await alice.page.fill('#c-use', 'Used to improve our tools, never to rate people');
    await alice.page.fill('#c-retention', '0');
    await alice.page.click('#charter-submit');
    await expectText(h1(alice), /^platform$/, 'the new group page');
    G = alice.page.url().match(/#\/group\/([0-9a-f]{64})/)[1];
    await expectText(main(alice), /Answers within a day/, 'the charter shows the benefits');
    await expectText(main(alice), /never to rate people/, 'the charter shows the data policy');
    await shot(alice, 'desktop-group');
  });

  await step('bob (360 px, lyon): invite, key, backup, profile', async () => {
    const r = await firstVisit(bob, inviteB, { name: 'Bob Durand', site: 'lyon', role: 'designer', pass: 'lyon is lovely in june' });
    bobKey = r.author;
    bobBackup = r.backup;
    assert.notEqual(aliceKey, bobKey);
    assert.equal((await api(bob, '/api/status')).status, 403, 'status is for the operator only');
    assert.equal(await bob.page.locator('#nav a[href="#/node"]').count(), 0, 'no node page in a person\'s menu');
  });

  await step('bob: finds the group in the directory by its purpose (federated to lyon)', async () => {
    const deadline = Date.now() + WAIT;
    for (;;) {
      await bob.page.fill('#group-filter', 'build fast');
      try {
        await bob.page.waitForSelector(`li.group-card[data-group="${G}"]`, { timeout: 1500 });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await bob.page.fill('#group-filter', '');
      }
    }
    const card = bob.page.locator(`li.group-card[data-group="${G}"]`);
    await expectText(card, /Keep the build fast/, 'the card shows the purpose');
    await expectText(card, /Fewer broken builds/, 'the card shows the benefits');
    await expectText(card, /tooling/, 'the card shows the missions');
    await expectText(card, /0 posts by 0 people from 0 sites in the last 30 days/, 'the card shows what it delivered');
    await bob.page.fill('#group-filter', 'no such purpose at all');
    await expectText(bob.page.locator('main'), /No group matches/, 'the filter narrows');
    await bob.page.fill('#group-filter', 'build fast');
    await bob.page.waitForSelector(`li.group-card[data-group="${G}"]`);
    await shot(bob, 'phone-groups');
  });

  await step('bob: reads the charter, joins under the version shown, confirmed', async () => {
    await bob.page.click(`li.group-card[data-group="${G}"] h2 a`);
    await expectText(h1(bob), /^platform$/, 'the group page');
    await expectText(main(bob), /Charter, version 1/, 'the version');
    await expectText(main(bob), /all engineers/, 'who reads');
    await shot(bob, 'phone-group');
    await bob.page.click('#join');
    const dlg = bob.page.locator('dialog.confirm');
    await expectText(dlg, /version 1/, 'the dialog names the version');
    await expectText(dlg, new RegExp(G), 'the dialog shows the charter version id');
    await shot(bob, 'phone-join-dialog');
    await dlg.locator('button.primary').click();
    await bob.page.waitForSelector('#leave');
    await expectText(bob.page.locator('#members'), /Bob Durand/, 'bob among the members');
  });

  await step('alice opens the timeline; bob posts to a mission; alice sees it arrive without reload', async () => {
    await alice.page.goto(base('paris') + '/#/group/' + G + '/timeline');
    await expectText(h1(alice), /timeline/, 'alice on the timeline');
    await expectText(alice.page.locator('#live'), /appear/, 'the stream is open');
    await bob.page.click('a[href="#/group/' + G + '/timeline"]');
    await expectText(h1(bob), /timeline/, 'bob on the timeline');
    await bob.page.fill('form.composer textarea', 'Our lyon build cache halves CI time');
    await bob.page.click('form.composer button.primary');
    await expectText(bob.page.locator('form.composer'), /Choose a mission/, 'a post must choose a mission');
    await bob.page.selectOption('form.composer select', 'tooling');
    await bob.page.click('form.composer button.primary');
    await expectText(bob.page.locator('#timeline'), /halves CI time/, 'bob sees his post');
    await expectText(alice.page.locator('#timeline'), /halves CI time/, 'alice sees bob\'s post arrive');
    assert.equal(await alice.page.evaluate(() => performance.getEntriesByType('navigation').length), 1);
    await shot(bob, 'phone-timeline');
  });

  await step('alice replies; bob sees the reply threaded', async () => {
    const post = alice.page.locator('li.post', { hasText: 'halves CI time' }).first();
    await post.locator('button.reply').first().click();
    await post.locator('form.composer textarea').fill('Paris wants it too: can you share the config?');
    await post.locator('form.composer button.primary').click();
    await expectText(alice.page.locator('#timeline'), /Paris wants it too/, 'alice sees her reply');
    await bob.page.locator('li.post', { hasText: 'halves CI time' }).locator('ol.replies li.post', { hasText: 'Paris wants it too' }).waitFor();
    await shot(alice, 'desktop-timeline');
  });

  await step('an injected <img onerror> post renders as text and runs nothing', async () => {
    const evil = '<img src=x onerror=alert(1)>';
    await bob.page.selectOption('form.composer select', 'onboarding');
    await bob.page.fill('form.composer textarea', evil);
    await bob.page.click('form.composer button.primary');
    await expectText(bob.page.locator('#timeline'), /<img src=x onerror=alert\(1\)>/, 'bob sees the characters');
    await expectText(alice.page.locator('#timeline'), /<img src=x onerror=alert\(1\)>/, 'alice sees the characters');
    for (const p of [alice, bob]) assert.equal(await p.page.locator('main img').count(), 0, p.name + ': no <img> in the page');
  });

  await step('the report at lyon shows the cross-site reply in its SVG and its text', async () => {
    await bob.page.click('a[href="#/group/' + G + '/report"]');
    await expectText(h1(bob), /value report/, 'the report');
    await expectText(bob.page.locator('#report-summary'), /3 posts by 2 people from 2 sites; replies: 1, across sites: 1;/, 'the summary');
    const cross = bob.page.locator('#chart-cross_site_replies');
    const vals = await cross.locator('text.value').allTextContents();
    assert.deepEqual(vals.map(Number).sort(), [0, 1], 'cross-site replies per mission in the SVG');
    const posts = await bob.page.locator('#chart-posts text.value').allTextContents();
    assert.deepEqual(posts.map(Number).sort(), [1, 2]);
    await expectText(bob.page.locator('figure', { has: cross }).locator('table'), /tooling\s*1/, 'the same figure as text');
    assert.ok(await bob.page.locator('#chart-activity rect.bar').count() >= 1, 'activity over time');
    await shot(bob, 'phone-report');
    await alice.page.click('a[href="#/group/' + G + '/report"]');
    await expectText(h1(alice), /value report/, 'the report at paris');
    await shot(alice, 'desktop-report');
  });

  await step('the directory: figures of the last 30 days, the group active at one\'s own site first', async () => {
    // a second group at paris, without posts
    await alice.page.goto(base('paris') + '/#/new-group');
    await expectText(h1(alice), /Found a group/, 'the charter form');
    await alice.page.fill('#c-name', 'aardvark');
    await alice.page.fill('#c-purpose', 'Quiet corner for build fast chat');
    await alice.page.fill('#c-mission-key-0', 'chat');
    await alice.page.fill('#c-mission-goal-0', 'Talk');
    await alice.page.fill('#c-benefit-0', 'Company');
    await alice.page.fill('#c-readers', 'everyone');
    await alice.page.fill('#c-use', 'Chat only');
    await alice.page.check('#c-access-members');
    await alice.page.click('#charter-submit');
    await expectText(h1(alice), /^aardvark$/, 'the second group');
    await expectText(main(alice), /for members only/, 'a members-only group says so');
    await expectText(alice.page.locator('.members-only'), /Alice Martin/, 'and names its owners');
    G2 = alice.page.url().match(/#\/group\/([0-9a-f]{64})/)[1];
    await bob.page.goto(base('lyon') + '/#/groups');
    const deadline = Date.now() + WAIT;
    for (;;) {
      await bob.page.fill('#group-filter', 'build fast');
      await bob.page.waitForSelector(`li.group-card[data-group="${G}"]`);
      if (await bob.page.locator(`li.group-card[data-group="${G2}"]`).count()) break;
      if (Date.now() > deadline) throw new Error('the second group never reached lyon');
      await bob.page.fill('#group-filter', '');
      await new Promise((r) => setTimeout(r, 300));
    }
    const order = await bob.page.locator('li.group-card').evaluateAll((l) => l.map((e) => e.dataset.group));
    assert.deepEqual(order, [G, G2], 'platform (active at lyon) before aardvark, whatever their ids');
    const card = bob.page.locator(`li.group-card[data-group="${G}"]`);
    await expectText(card, /Active at your site/, 'marked active here');
    await expectText(card, /3 posts by 2 people from 2 sites in the last 30 days, 1 reply across sites/, 'the window\'s figures');
    await shot(bob, 'phone-groups-two');
  });

  await step('members-only: alice adds bob, bob joins under the charter, alice removes him', async () => {
    await alice.page.goto(base('paris') + '/#/group/' + G2);
    await expectText(h1(alice), /^aardvark$/, 'the members-only group');
    await alice.page.fill('#add-key', 'not a key');
    await alice.page.click('#add-member');
    await expectText(alice.page.locator('form.add'), /64 hexadecimal/, 'a bad key is refused');
    await alice.page.fill('#add-key', bobKey);
    await alice.page.click('#add-member');
    await expectText(alice.page.locator('#notices'), /Added/, 'bob is added');
    await bob.page.goto(base('lyon') + '/#/group/' + G2);
    await expectText(main(bob), /for members only/, 'bob is told it is for members only');
    const deadline = Date.now() + WAIT;
    for (;;) {
      await bob.page.click('#join');
      await bob.page.locator('dialog.confirm button.primary').click();
      try {
        await bob.page.waitForSelector('#leave', { timeout: 2000 });
        break;
      } catch (e) {
        if (Date.now() > deadline) throw new Error('bob could not join the members-only group: ' + (await main(bob).textContent()));
        await bob.page.reload();
        await bob.page.waitForSelector('#join');
      }
    }
    // paris sees bob as a member, and removes him
    const until = Date.now() + WAIT;
    for (;;) {
      await alice.page.reload();
      await alice.page.waitForSelector('#members');
      if (await alice.page.locator(`#members li[data-key="${bobKey}"]`).count()) break;
      if (Date.now() > until) throw new Error('paris never showed bob as a member');
      await new Promise((r) => setTimeout(r, 300));
    }
    await alice.page.locator(`#members li[data-key="${bobKey}"] button`).click();
    await expectText(alice.page.locator('dialog.confirm'), /Remove Bob Durand/, 'the removal is confirmed');
    await alice.page.locator('dialog.confirm button.danger').click();
    await expectText(alice.page.locator('#notices'), /Removed/, 'bob is removed');
    await alice.page.reload();
    await alice.page.waitForSelector('#members');
    assert.equal(await alice.page.locator(`#members li[data-key="${bobKey}"]`).count(), 0, 'bob is no longer a member');
  });

  await step('alice amends the charter: version 2, its history, bob sees it', async () => {
    await alice.page.goto(base('paris') + '/#/group/' + G);
    await alice.page.click('a[href="#/group/' + G + '/amend"]');
    await expectText(h1(alice), /Amend the charter of platform/, 'the amend form');
    assert.equal(await alice.page.inputValue('#c-purpose'), PURPOSE, 'the form starts from the current charter');
    await alice.page.click('#add-benefits');
    await alice.page.locator('input.benefit').last().fill('A monthly build report');
    await alice.page.click('#charter-submit');
    await expectText(main(alice), /Charter, version 2/, 'version 2');
    await expectText(main(alice), /A monthly build report/, 'the new benefit');
    await expectText(alice.page.locator('#history'), /version 1[\s\S]*version 2/, 'the history lists both versions');
    await shot(alice, 'desktop-group-amended');
    const deadline = Date.now() + WAIT;
    for (;;) {
      await bob.page.goto(base('lyon') + '/#/group/' + G);
      await bob.page.waitForSelector('main .charter');
      if (/Charter, version 2/.test((await main(bob).textContent()) || '')) break;
      if (Date.now() > deadline) throw new Error('lyon never showed version 2');
      await new Promise((r) => setTimeout(r, 300));
    }
  });

  await step('a pending entry survives a failed send, a server restart and a reload: resent, same id', async () => {
    await bob.page.goto(base('lyon') + '/#/group/' + G + '/timeline');
    await expectText(h1(bob), /timeline/, 'timeline');
    bob.page.allowNetErrors = true;
    // the server dies between the signature and the acknowledgement
    await bob.page.route('**/api/publish', async (route) => {
      await stopWeb('lyon');
      await route.continue();
    });
    await bob.page.selectOption('form.composer select', 'tooling');
    await bob.page.fill('form.composer textarea', 'Signed while the network failed');
    await bob.page.click('form.composer button.primary');
    await expectText(bob.page.locator('form.composer'), /signed and kept/, 'the page says the entry is kept');
    const pending = await bob.page.evaluate(() => new Promise((res, rej) => {
      const r = indexedDB.open('raison-web');
      r.onsuccess = () => {
        const g = r.result.transaction('pending').objectStore('pending').getAll();
        g.onsuccess = () => res(g.result);
        g.onerror = () => rej(g.error);
      };
    }));
    assert.equal(pending.length, 1, 'one pending entry');
    const { id, seq } = pending[0];
    await expectText(bob.page.locator('#pending'), new RegExp('seq ' + seq), 'the waiting notice');
    await bob.page.unroute('**/api/publish');
    await startWeb('lyon');
    await bob.page.reload();
    await expectText(bob.page.locator('#timeline'), /Signed while the network failed/, 'the entry is resent after the reload');
    bob.page.allowNetErrors = false;
    const head = await api(bob, '/api/head?author=' + bobKey);
    assert.equal(Number(head.body.seq), seq, 'the node\'s head is the pending seq');
    assert.equal(head.body.id, id, 'the same entry (same id) was stored');
    assert.equal(await bob.page.locator('#pending').count(), 0, 'nothing pending any more');
  });

  await step('bob erases a post (the confirmation says what erasure does); paris shows it erased', async () => {
    await alice.page.goto(base('paris') + '/#/group/' + G + '/timeline');
    await expectText(alice.page.locator('#timeline'), /Signed while the network failed/, 'paris has it');
    const pid = await bob.page.locator('li.post', { hasText: 'Signed while the network failed' }).first().getAttribute('data-id');
    const post = bob.page.locator(`#post-${pid} > article`);
    await post.locator('button.danger').click();
    await expectText(bob.page.locator('dialog.confirm'), /deletes the text of this post on every node/, 'what erasure does');
    await shot(bob, 'phone-erase-dialog');
    await bob.page.locator('dialog.confirm button.danger').click();
    await expectText(bob.page.locator('#notices'), /erased/, 'bob is told it is erased');
    await bob.page.locator(`#post-${pid}`).waitFor({ state: 'detached' });
    // paris, without a reload: the post leaves the timeline, and its text is gone from the node
    await alice.page.locator(`#post-${pid}`).waitFor({ state: 'detached' });
    assert.doesNotMatch((await alice.page.locator('#timeline').textContent()) || '', /Signed while the network failed/);
    const e = await api(alice, '/api/entry?id=' + pid);
    assert.equal(e.status, 200);
    assert.equal(e.body.erased ?? (e.body.entry || {}).erased, true, 'the entry is erased at paris');
  });

  await step('bob\'s backup restored in a fresh context publishes again without forking', async () => {
    const fresh = await person('bob-restored', false);
    await fresh.page.goto(base('lyon') + '/');
    await expectText(h1(fresh), /Welcome/, 'no key in the fresh browser');
    await fresh.page.click('details.restore-box summary');
    await fresh.page.fill('details.restore-box textarea', bobBackup);
    await fresh.page.fill('details.restore-box input[type=password]', 'wrong passphrase!');
    await fresh.page.click('details.restore-box button.primary');
    await expectText(fresh.page.locator('details.restore-box'), /wrong passphrase/, 'a wrong passphrase is refused');
    await fresh.page.fill('details.restore-box input[type=password]', 'lyon is lovely in june');
    await fresh.page.click('details.restore-box button.primary');
    await expectText(h1(fresh), /^Groups$/, 'logged in with the restored key');
    const me = await api(fresh, '/api/me');
    assert.equal(me.body.author, bobKey, 'the same key');
    const before = await api(fresh, '/api/head?author=' + bobKey);
    await fresh.page.goto(base('lyon') + '/#/group/' + G + '/timeline');
    await fresh.page.selectOption('form.composer select', 'tooling');
    await fresh.page.fill('form.composer textarea', 'Posted from my new laptop');
    await fresh.page.click('form.composer button.primary');
    await expectText(fresh.page.locator('#timeline'), /from my new laptop/, 'the post shows');
    const after = await api(fresh, '/api/head?author=' + bobKey);
    assert.equal(Number(after.body.seq), Number(before.body.seq) + 1, 'the next seq');
    assert.ok(!after.body.frozen, 'the feed is not frozen (no fork)');
    await shot(fresh, 'desktop-restored-timeline');
    await fresh.ctx.close();
  });

  await step('French from Accept-Language, and switchable', async () => {
    const ctx = await browser.newContext({ locale: 'fr-FR', viewport: { width: 360, height: 740 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => problems.push('fr: page error: ' + e.message));
    await page.goto(base('paris') + '/');
    await expectText(page.locator('main h1'), /Bienvenue sur raison/, 'the welcome page in French');
    await expectText(page.locator('main'), /pourquoi la sauvegarder/, 'why the backup matters, in French');
    await page.screenshot({ path: `${ART}/phone-welcome-fr.png`, fullPage: true });
    await page.click('#nav button.lang');
    await expectText(page.locator('main h1'), /Welcome to raison/, 'switched to English');
    await ctx.close();
  });

  await step('a clear page when the node is not running', async () => {
    const url = await startWeb('down');
    const p = await person('down', true);
    p.page.allowNetErrors = true;
    await p.page.goto(url);
    await p.page.click('#create-key');
    await expectText(h1(p), /backup/i, 'in without the node (login needs only the server)');
    await p.page.goto(url.replace(/\/invite\/.*$/, '/#/groups'));
    await expectText(h1(p), /node is not running/, 'the page says the node is down');
    await expectText(main(p), /Nothing you wrote is lost/, 'and what it means');
    await shot(p, 'phone-node-down');
    await p.ctx.close();
    await stopWeb('down');
  });

  await step('carol: the main path with the keyboard alone (360 px)', async () => {
    const carol = await person('carol', true);
    const k = carol.page.keyboard;
    const focused = () => carol.page.evaluate(() => {
      const e = document.activeElement;
      return e ? (e.id || '') + '|' + (e.textContent || '').trim().slice(0, 60) + '|' + e.tagName : '';
    });
    // Tab until the focused element matches RE (at most 80 presses).
    const tabTo = async (re, what) => {
      for (let i = 0; i < 80; i++) {
        await k.press('Tab');
        if (re.test(await focused())) return;
      }
      throw new Error('the keyboard never reaches ' + what + ' (last: ' + (await focused()) + ')');
    };
    await carol.page.goto(invite('paris', 'Carol'));
    await expectText(h1(carol), /Welcome/, 'welcome');
    await tabTo(/^create-key\|/, 'the create-key button');
    await k.press('Enter');
    await expectText(h1(carol), /backup/i, 'backup page');
    await tabTo(/^skip-backup\|/, 'not now');
    await k.press('Enter');
    await k.press('Tab'); // the dialog focuses Cancel first
    await k.press('Enter');
    await expectText(h1(carol), /who you are/i, 'profile');
    await tabTo(/^profile-name\|/, 'the name field');
    await k.type('Carol Keys');
    await k.press('Tab');
    await k.type('paris');
    await k.press('Enter');
    await expectText(h1(carol), /^Groups$/, 'the directory');
    await tabTo(/^group-filter\|/, 'the filter');
    await k.type('build fast');
    await carol.page.waitForSelector(`li.group-card[data-group="${G}"]`);
    await tabTo(/\|platform\|A$/, 'the group link');
    await k.press('Enter');
    await expectText(h1(carol), /^platform$/, 'the group page');
    await tabTo(/^join\|/, 'join');
    await k.press('Enter');
    await k.press('Tab'); // from Cancel to the confirm button
    await k.press('Enter');
    await carol.page.waitForSelector('#leave');
    await tabTo(/\|Timeline\|A$/, 'the timeline link');
    await k.press('Enter');
    await expectText(h1(carol), /timeline/, 'the timeline');
    await tabTo(/\|\|SELECT$|^f\d+\|/, 'the mission select');
    await k.press('ArrowDown');
    await k.press('ArrowDown'); // the second mission: tooling
    await k.press('Tab');
    await k.type('Typed with the keyboard alone');
    await k.press('Tab');
    await k.press('Enter');
    await expectText(carol.page.locator('#timeline'), /keyboard alone/, 'the keyboard post');
    await carol.ctx.close();
  });

  await step('two tabs posting at once take turns on the key (Web Locks): two seqs, no fork', async () => {
    const url = base('paris') + '/#/group/' + G + '/timeline';
    const tab2 = await alice.ctx.newPage();
    tab2.on('pageerror', (e) => problems.push('alice tab 2: page error: ' + e.message));
    await alice.page.goto(url);
    await tab2.goto(url);
    const before = Number((await api(alice, '/api/head?author=' + aliceKey)).body.seq);
    for (const [p, text] of [[alice.page, 'From the first tab'], [tab2, 'From the second tab']]) {
      await p.waitForSelector('form.composer select');
      await p.selectOption('form.composer select', 'tooling');
      await p.fill('form.composer textarea', text);
    }
    // the node answers the first tab's draft at once, but the answer is held
    // 1.5 s on the way back: the second tab must wait for the key's lock, not
    // draft (and sign) the same seq meanwhile, which would fork the feed
    await alice.page.route('**/api/draft', async (route) => {
      try {
        const res = await route.fetch();
        await new Promise((r) => setTimeout(r, 1500));
        await route.fulfill({ response: res });
      } catch (e) {
        problems.push('holding the draft: ' + e.message);
      }
    });
    await alice.page.click('form.composer button.primary');
    await new Promise((r) => setTimeout(r, 400));
    await tab2.click('form.composer button.primary');
    await expectText(alice.page.locator('#timeline'), /From the second tab/, 'the second tab\'s post');
    await expectText(alice.page.locator('#timeline'), /From the first tab/, 'the first tab\'s post');
    const head = (await api(alice, '/api/head?author=' + aliceKey)).body;
    assert.equal(Number(head.seq), before + 2, 'two entries, one seq each');
    assert.ok(!head.frozen, 'no fork');
    await alice.page.unroute('**/api/draft');
    await tab2.close();
  });

  await step('long lists page: the timeline as one scrolls, members with Show more, the directory as one scrolls', async () => {
    await alice.page.evaluate(() => localStorage.setItem('raison-test-page-size', '2'));
    const pages = [];
    const onReq = (r) => {
      if (r.url().includes('/api/timeline?')) pages.push(new URL(r.url()).searchParams);
    };
    alice.page.on('request', onReq);
    await alice.page.goto(base('paris') + '/#/group/' + G + '/timeline');
    await alice.page.reload(); // the modules again, with the small page size
    await alice.page.waitForSelector('#timeline li.post');
    const all = (await api(alice, '/api/timeline?g=' + G + '&limit=100')).body.posts.length;
    assert.ok(all >= 5, 'enough posts to page: ' + all);
    const shown = () => alice.page.locator('#timeline li.post').count();
    const deadline = Date.now() + WAIT;
    while ((await shown()) < all) {
      await alice.page.mouse.wheel(0, 5000); // the "older posts" sentinel comes into view
      await new Promise((r) => setTimeout(r, 150));
      if (Date.now() > deadline) throw new Error(`scrolling showed ${await shown()} of ${all} posts`);
    }
    assert.equal(await alice.page.locator('#more-posts').isVisible(), false, 'no more pages');
    alice.page.off('request', onReq);
    const paged = pages.filter((q) => q.get('limit') === '2');
    assert.ok(paged.length >= Math.ceil(all / 2), `pages of 2: ${paged.length} requests for ${all} posts`);
    assert.ok(paged.filter((q) => q.get('cursor')).length >= Math.ceil(all / 2) - 1, 'each later page asks with the cursor');
    const ids = await alice.page.locator('#timeline li.post').evaluateAll((l) => l.map((e) => e.dataset.id));
    assert.equal(new Set(ids).size, ids.length, 'no post twice');
    // the group page in pages of 2: members and versions come with "Show more"
    await alice.page.goto(base('paris') + '/#/group/' + G);
    await alice.page.waitForSelector('#members li');
    const total = Number((await alice.page.locator('#members-h').textContent()).match(/\((\d+)\)/)[1]);
    assert.ok(total >= 3, 'members to page through: ' + total);
    assert.equal(await alice.page.locator('#members li').count(), 2, 'the first page of members');
    for (let i = 0; i < 20 && (await alice.page.locator('#more-members').isVisible()); i++) {
      const n = await alice.page.locator('#members li').count();
      await alice.page.click('#more-members');
      await alice.page.waitForFunction((k) => document.querySelectorAll('#members li').length > k, n);
    }
    assert.equal(await alice.page.locator('#members li').count(), total, 'every member after Show more');
    const keys = await alice.page.locator('#members li').evaluateAll((l) => l.map((e) => e.dataset.key));
    assert.equal(new Set(keys).size, total, 'no member twice');
    // the directory in pages of 1: the second group comes as one scrolls
    await alice.page.goto(base('paris') + '/#/groups');
    await alice.page.waitForSelector('li.group-card');
    await alice.page.evaluate(() => localStorage.setItem('raison-test-page-size', '1'));
    await alice.page.reload();
    await alice.page.waitForSelector('li.group-card');
    const until = Date.now() + WAIT;
    while ((await alice.page.locator('li.group-card').count()) < 2) {
      await alice.page.mouse.wheel(0, 5000);
      await new Promise((r) => setTimeout(r, 150));
      if (Date.now() > until) throw new Error('the directory did not page');
    }
    await alice.page.evaluate(() => localStorage.removeItem('raison-test-page-size'));
    await alice.page.reload();
  });

  await step('log out, and back in by signing a challenge (no password)', async () => {
    await alice.page.goto(base('paris') + '/#/groups');
    await alice.page.click('#nav button:has-text("Log out")');
    await expectText(h1(alice), /logged out/, 'logged out');
    assert.equal((await api(alice, '/api/me')).status, 401, 'no session');
    await alice.page.click('main button.primary');
    await expectText(h1(alice), /^Groups$/, 'back in');
    assert.equal((await api(alice, '/api/me')).body.author, aliceKey, 'the same key');
  });

  await step('screenshots of each page at phone and desktop width', async () => {
    const sizes = [['phone', { width: 360, height: 740 }], ['desktop', { width: 1280, height: 900 }]];
    for (const [label, vp] of sizes) {
      await alice.page.setViewportSize(vp);
      for (const [name, hash] of [['groups', '#/groups'], ['group', '#/group/' + G], ['timeline', '#/group/' + G + '/timeline'], ['report', '#/group/' + G + '/report'], ['charter-form', '#/new-group'], ['profile', '#/profile'], ['key', '#/key'], ['node', '#/node']]) {
        await alice.page.goto(base('paris') + '/' + hash);
        await alice.page.waitForSelector('main h1');
        await alice.page.waitForLoadState('networkidle').catch(() => {});
        if (name === 'node') {
          await expectText(main(alice), /Peers \(1\)/, 'the operator sees the peers');
          await expectText(alice.page.locator('li.peer-card'), /lyon connected/, 'lyon\'s link, up');
          await expectText(main(alice), /0 bodies missing/, 'bodies missing');
          await expectText(alice.page.locator('li.peer-card'), /size \d+/, 'the last checkpoint witnessed');
        }
        await shot(alice, `${label}-${name}`);
      }
      // nothing wider than the viewport at 360 px
      if (label === 'phone') {
        const wide = await alice.page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(wide <= 360, 'the phone layout scrolls sideways: ' + wide + ' px');
      }
    }
  });

  await step('no dialog, page error, console error or missing security header in the whole run', async () => {
    assert.deepEqual(problems, []);
  });
} catch (e) {
  exit = 1;
  if (!failed) {
    failed++;
    log('FAIL setup: ' + (e && e.stack ? e.stack : e));
  }
  for (const [site, p] of Object.entries(servers)) writeFileSync(`${ART}/web-${site}.log`, p.serverLog ? p.serverLog() : '');
  for (const p of [alice, bob]) if (p) await shot(p, 'failure-' + p.name).catch(() => {});
  if (problems.length) log('problems seen:\n  ' + problems.join('\n  '));
} finally {
  await browser.close().catch(() => {});
  for (const site of Object.keys(servers)) await stopWeb(site);
}
log(`browser stage took ${((Date.now() - T0) / 1000).toFixed(1)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(exit || failed ? 1 : 0);
