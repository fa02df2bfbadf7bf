// The admin page as an operator uses it: sign in (a wrong token refused),
// create an extension and see it offline, register it with SIP.js and
// see it online with its User-Agent, a wrong password shown by the doctor
// in plain words, delete it; the call log filtered and exported as CSV;
// the web phone tab opening /phone/ with a minted credential in the
// fragment (never on the page) and the softphone settings with a QR code.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { stopClean, waitFor } from '../integration/lib/ovoz.mjs';
import { sipjsPhone, sipjsCall, RegistererState, SessionState } from '../interop/lib/sipjs.mjs';
import { sippUas } from '../interop/lib/peers.mjs';
import { startAdmin, signIn, unnamedControls, shotPath } from './lib/admin.mjs';

let env;
let page;
const stops = [];

before(async () => {
  env = await startAdmin();
  page = env.page;
  page.on('dialog', (d) => d.accept());
});

after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  await env?.browser.close();
  if (env) {
    try { await stopClean(env.o, assert); } finally { env.o.cleanup(); }
  }
});

const row = (ext) => page.locator(`#ext-table tbody tr[data-ext="${ext}"]`);

test('a wrong token is refused; the right one opens the extensions tab', async () => {
  await page.fill('#token', 'not-the-token-at-all');
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#sign-in-error:not([hidden])');
  assert.match(await page.textContent('#sign-in-error'), /token/i);
  assert.equal(await page.isHidden('#app'), true);
  await signIn(page, env.o.token);
  assert.equal(await page.isHidden('#sign-in'), true);
  assert.deepEqual(await unnamedControls(page), []);
});

test('create, see offline, register with SIP.js, see online with its User-Agent, doctor, delete', async () => {
  await page.fill('#create-form [name=extension]', '5101');
  await page.fill('#create-form [name=displayName]', 'Reception');
  await page.fill('#create-form [name=password]', 'first-pw-5101');
  await page.click('#create-form button[type=submit]');
  await row('5101').waitFor();
  assert.match(await row('5101').textContent(), /Reception/);
  assert.equal(await row('5101').locator('.badge.offline').count(), 1);

  const p = await sipjsPhone(env.o, { ext: '5101', password: 'first-pw-5101' });
  stops.push(() => p.stop());
  await p.register();
  await p.waitState(RegistererState.Registered);
  await page.click('#ext-refresh');
  await waitFor(async () => (await row('5101').locator('.badge.online').count()) === 1, 5000, 'online badge');
  const text = await row('5101').textContent();
  assert.match(text, /SIP\.js\/0\.21/, text);
  assert.match(text, /127\.0\.0\.1:\d+/, text);

  const bad = await sipjsPhone(env.o, { ext: '5101', password: 'wrong-pw-5101' });
  stops.push(() => bad.stop());
  await bad.register();
  await waitFor(() => bad.rejected.length > 0, 5000, 'SIP.js 403');
  await row('5101').getByRole('button', { name: /5101/ }).nth(1).click(); // Doctor
  await page.waitForSelector('#panel-doctor:not([hidden])');
  const wrong = '#doctor-list li[data-code="wrong_password"]';
  await page.waitForSelector(wrong);
  // Uzbek by default, built from the finding's fields...
  assert.match(await page.textContent(wrong), /^noto'g'ri parol \(127\.0\.0\.1 manzilidan\) \(SIP\.js\/0\.21\.\d\): telefonda qayta kiriting/);
  await page.screenshot({ path: shotPath('admin-doctor-uz'), fullPage: true });
  // ...and in English the server's own words, as in its log.
  await page.selectOption('#lang', 'en');
  await waitFor(async () => /^wrong password/.test(await page.textContent(wrong)), 3000, 'English finding');
  assert.match(await page.textContent(wrong), /^wrong password from 127\.0\.0\.1 \(SIP\.js\/0\.21\.\d\): retype it on the phone/);
  assert.match(await page.textContent('#doctor-list'), /registered from a web phone at 127\.0\.0\.1:\d+ over WebSocket/);
  await env.o.waitLog(/doctor: 5101: wrong password from 127\.0\.0\.1 \(SIP\.js\/0\.21\.\d\): retype it on the phone/);
  await page.screenshot({ path: shotPath('admin-doctor-en'), fullPage: true });
  await page.selectOption('#lang', 'uz');

  await page.click('#tab-extensions');
  await row('5101').waitFor();
  // Edit: a new display name and a password reset; the new one works.
  await row('5101').getByRole('button', { name: /5101/ }).first().click();
  await page.waitForSelector('#edit-dialog[open]');
  assert.equal(await page.inputValue('#edit-form [name=displayName]'), 'Reception');
  await page.fill('#edit-form [name=displayName]', 'Front desk');
  await page.fill('#edit-form [name=password]', 'second-pw-5101');
  await page.click('#edit-form button[type=submit]');
  await waitFor(async () => /Front desk/.test(await row('5101').textContent()), 5000, 'new display name');
  const again = await sipjsPhone(env.o, { ext: '5101', password: 'second-pw-5101' });
  stops.push(() => again.stop());
  await again.register();
  await again.waitState(RegistererState.Registered);
  assert.equal((await env.o.api('GET', '/api/extensions/5101')).json.srtp, false);

  // "Encrypted audio (SRTP)": stored on the extension, shown in the list,
  // and the edit dialog shows it set when opened again.
  await row('5101').getByRole('button', { name: /5101/ }).first().click();
  await page.waitForSelector('#edit-dialog[open]');
  assert.equal(await page.isChecked('#edit-form [name=srtp]'), false);
  await page.check('#edit-form [name=srtp]');
  await page.click('#edit-form button[type=submit]');
  await waitFor(async () => (await row('5101').locator('.badge.srtp').count()) === 1, 5000, 'SRTP badge');
  assert.equal((await env.o.api('GET', '/api/extensions/5101')).json.srtp, true);
  await row('5101').getByRole('button', { name: /5101/ }).first().click();
  await page.waitForSelector('#edit-dialog[open]');
  assert.equal(await page.isChecked('#edit-form [name=srtp]'), true);
  await page.click('#edit-cancel');

  await row('5101').locator('button.danger').click();
  await row('5101').waitFor({ state: 'detached' });
  assert.equal((await env.o.api('GET', '/api/extensions/5101')).status, 404);
});

test('live calls: a SIP.js call to a sipp UAS shows while it lasts, then goes', async () => {
  for (const [ext, password] of [['5501', 'pw-5501-live'], ['5502', 'pw-5502-live']]) {
    assert.equal((await env.o.api('POST', '/api/extensions', { extension: ext, password })).status, 201);
  }
  const p = await sipjsPhone(env.o, { ext: '5501', password: 'pw-5501-live' });
  stops.push(() => p.stop());
  await p.register();
  await p.waitState(RegistererState.Registered);
  const sipp = await sippUas(env.o, { ext: '5502', password: 'pw-5502-live' });
  stops.push(() => sipp.stop());
  await page.click('#tab-calls');
  const { inviter } = await sipjsCall(p, '5502');
  assert.equal(inviter.state, SessionState.Established);
  const live = page.locator('#live-table tbody tr');
  await waitFor(async () => (await live.count()) === 1, 5000, 'the live call on the page');
  const cells = await live.locator('td').allTextContents();
  assert.deepEqual(cells.slice(0, 3), ['5501', '5502', 'suhbat']); // Uzbek: "answered"
  assert.equal(await page.isHidden('#live-empty'), true);
  await inviter.bye();
  await waitFor(async () => (await live.count()) === 0, 5000, 'the call gone from the page');
  assert.equal(await page.isVisible('#live-empty'), true);
});

test('call log: filter by result, export the filtered rows as CSV', async () => {
  const now = Math.floor(Date.now() / 1000);
  const rows = [
    ['e2e-1', '5201', '5202', now - 300, 'busy', 486],
    ['e2e-2', '5201', '5203', now - 200, 'answered', 200],
    ['e2e-3', '5204', '5202', now - 100, 'busy', 486],
  ].map(([id, a, b, t, d, s]) => `('${id}','${a}','udp','${b}','udp',${t},${t + 5},0,'${d}',${s})`).join(',');
  execFileSync('sqlite3', [env.o.db, '.timeout 2000',
    `INSERT INTO calls (call_id, caller, caller_transport, callee, callee_transport, started_at, ended_at, duration, disposition, status) VALUES ${rows}`]);
  await page.click('#tab-log');
  await page.selectOption('#log-form [name=disposition]', 'busy');
  await page.click('#log-form button[type=submit]');
  await waitFor(async () => (await page.locator('#log-table tbody tr').count()) === 2, 5000, 'two busy calls');
  assert.match(await page.textContent('#log-table tbody'), /5204/);
  assert.doesNotMatch(await page.textContent('#log-table tbody'), /5203/);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#log-csv')]);
  const csv = readFileSync(await download.path(), 'utf8').split('\r\n');
  assert.equal(csv[0], 'callId,caller,callerTransport,callee,calleeTransport,startedAt,answeredAt,endedAt,duration,disposition,status,hangupBy,reason,mediaNote');
  assert.match(csv[1], /^e2e-3,5204,udp,5202,udp,\d{4}-\d\d-\d\dT[\d:]+Z,,[^,]+,0,busy,486,,,$/);
  assert.match(csv[2], /^e2e-1,5201,/);
  assert.equal(csv.length, 4, csv.join('|')); // header, 2 rows, final empty
});

// A call a phone refused with 488 (as an SRTP-mandatory phone refuses a
// plain offer: test_sdes_browser) says what to do about it.
test('call log: a call refused with 488 carries the hint to check codecs or turn on SRTP', async () => {
  const now = Math.floor(Date.now() / 1000);
  execFileSync('sqlite3', [env.o.db, '.timeout 2000',
    'INSERT INTO calls (call_id, caller, caller_transport, callee, callee_transport, started_at, ended_at, duration, disposition, status)'
    + ` VALUES ('e2e-488','5211','wss','5212','udp',${now - 30},${now - 30},0,'failed',488),`
    + ` ('e2e-480','5211','wss','5213','udp',${now - 20},${now - 20},0,'failed',480)`]);
  await page.click('#tab-log');
  await page.selectOption('#log-form [name=disposition]', 'failed');
  await page.click('#log-form button[type=submit]');
  const r488 = page.locator('#log-table tbody tr', { hasText: '5212' });
  const r480 = page.locator('#log-table tbody tr', { hasText: '5213' });
  await r488.waitFor();
  // The page speaks Uzbek by default; the hint names 488 and SRTP in every language.
  assert.match(await r488.textContent(), /488: .*SRTP/);
  assert.doesNotMatch(await r480.textContent(), /SRTP|488/);
});

test('phone tab: /phone/ in an iframe signed in by a minted credential; settings with a QR code', async () => {
  const r = await env.o.api('POST', '/api/extensions', { extension: '5301', password: 'pw-5301-phone' });
  assert.equal(r.status, 201);
  await page.click('#tab-extensions');
  await row('5301').waitFor();
  await page.click('#tab-phone');
  await page.selectOption('#phone-ext', '5301');
  await page.click('#phone-form button[type=submit]');
  const frame = page.locator('#phone-holder iframe');
  await frame.waitFor({ state: 'attached' });
  const src = await frame.getAttribute('src');
  assert.equal(await frame.getAttribute('allow'), 'microphone; autoplay');
  const m = /^\/phone\/#u=(\d+)%3A5301&p=([^&]+)$/.exec(src);
  assert.ok(m, src);
  const password = decodeURIComponent(m[2]);
  assert.ok(!(await page.textContent('body')).includes(password), 'the password is never shown');
  assert.ok(Number(m[1]) > Date.now() / 1000 + 3500);

  await page.click('#phone-settings');
  await page.waitForSelector('#settings-dialog[open]');
  const settings = await page.textContent('#settings-text');
  assert.match(settings, new RegExp(`: ${env.o.udpPort}\\n`));
  assert.match(settings, /UDP/);
  assert.match(settings, /5301/);
  assert.equal(await page.locator('#settings-qr svg').count(), 1, 'QR code drawn');
  assert.deepEqual(await unnamedControls(page), []);
  await page.screenshot({ path: shotPath('admin-settings') });
  await page.click('#settings-close');
});
