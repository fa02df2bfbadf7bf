// The admin page and the web phone together, as an operator uses them:
// create an extension, sign the Phone tab's phone in as it from the
// picker (a minted credential, never shown), see it online, call a
// softphone and read the relay's packet counts in Live calls, then delete
// the extension and watch the phone say it was deleted. A softphone that
// sends no audio is flagged as one-way in Live calls and the call log.
// A wrong password: the phone says so, and the doctor shows that attempt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean, waitFor, sleep } from '../integration/lib/ovoz.mjs';
import { startAdmin, signIn, unnamedControls, shotPath } from './lib/admin.mjs';
import { startBaresip } from './lib/baresip.mjs';
import { signIn as phoneSignIn, statusText } from './lib/webphone.mjs';

let env;
let page;
const stops = [];

before(async () => {
  env = await startAdmin();
  page = env.page;
  page.on('dialog', (d) => d.accept());
  await signIn(page, env.o.token);
  await page.selectOption('#lang', 'en');
});

after(async () => {
  for (const s of stops.reverse()) await s().catch(() => {});
  await env?.browser.close();
  if (env) {
    try { await stopClean(env.o, assert); } finally { env.o.cleanup(); }
  }
});

const row = (ext) => page.locator(`#ext-table tbody tr[data-ext="${ext}"]`);

async function softphone(ext, password, opts = {}) {
  assert.equal((await env.o.api('POST', '/api/extensions', { extension: ext, password })).status, 201);
  const b = await startBaresip(env.o, { ext, password, freq: 1000, ...opts });
  stops.push(() => b.stop());
  return b;
}

/** Open the Phone tab's phone as @ext; resolves with its frame, registered, in English. */
async function openPhoneAs(ext) {
  await page.click('#tab-extensions');
  await row(ext).waitFor();
  await page.click('#tab-phone');
  await page.selectOption('#phone-ext', ext);
  const iframe = page.locator('#phone-holder iframe');
  const before = await iframe.count() ? await iframe.getAttribute('src') : null;
  await page.click('#phone-form button[type=submit]');
  await waitFor(async () => (await iframe.count()) === 1 && (await iframe.getAttribute('src')) !== before, 5000, 'a new phone frame');
  const frame = await (await iframe.elementHandle()).contentFrame();
  await frame.waitForSelector('body[data-conn="registered"]', { timeout: 10000 });
  await frame.selectOption('#lang', 'en');
  return frame;
}

async function dialFrom(frame, number) {
  await frame.fill('#number', number);
  await frame.getByRole('button', { name: 'Call', exact: true }).click();
  await frame.waitForSelector('body[data-call="answered"]', { timeout: 10000 });
}

/** The live call row's media lines: { caller: {rx, tx, lost}, callee: {...} } or null. */
async function liveMedia() {
  const legs = await page.locator('#live-table tbody tr .leg').allTextContents();
  const out = {};
  for (const text of legs) {
    const m = /^(Caller|Callee) \((web phone|RTP)\): received (\d+), sent (\d+) packets, loss (\d+), jitter (\d+) ms$/.exec(text);
    if (!m) return null;
    out[m[1].toLowerCase()] = { kind: m[2], rx: Number(m[3]), tx: Number(m[4]), lost: Number(m[5]) };
  }
  return out.caller && out.callee ? out : null;
}

test('Phone tab signs in as a new extension, calls a softphone with live media stats; deleting the extension signs it out', async () => {
  await page.click('#tab-extensions');
  await page.fill('#create-form [name=extension]', '5601');
  await page.fill('#create-form [name=password]', 'pw-5601-admin');
  await page.click('#create-form button[type=submit]');
  await row('5601').waitFor();
  const sip = await softphone('5602', 'pw-5602-admin');

  const frame = await openPhoneAs('5601');
  const src = await page.locator('#phone-holder iframe').getAttribute('src');
  const password = decodeURIComponent(/&p=([^&]+)$/.exec(src)[1]);
  assert.ok(!(await page.textContent('body')).includes(password), 'the minted password is never shown');
  assert.equal(await statusText(frame), 'Ready: extension 5601');

  // The extensions list shows it online, from a web phone.
  await page.click('#tab-extensions');
  await waitFor(async () => (await row('5601').locator('.badge.online').count()) === 1, 5000, 'online badge');
  assert.match(await row('5601').textContent(), /web phone \(127\.0\.0\.1:\d+\)/);

  // A relayed call: Live calls shows each leg's packets, loss and jitter.
  await page.click('#tab-phone');
  await dialFrom(frame, '5602');
  await sip.waitEvent('CALL_ESTABLISHED');
  await page.click('#tab-calls');
  let media;
  await waitFor(async () => {
    media = await liveMedia();
    return media && media.caller.rx > 50 && media.callee.rx > 50;
  }, 8000, 'packet counts on the live call').catch((e) => { throw new Error(`${e.message}: ${JSON.stringify(media)}`); });
  const cells = await page.locator('#live-table tbody tr td').allTextContents();
  assert.deepEqual(cells.slice(0, 3), ['5601', '5602', 'answered']);
  assert.equal(media.caller.kind, 'web phone');
  assert.equal(media.callee.kind, 'RTP');
  assert.ok(media.caller.tx > 50 && media.callee.tx > 50, JSON.stringify(media));
  assert.equal(await page.locator('#live-table .badge.oneway').count(), 0, 'no one-way flag on a two-way call');
  // The page shows what the API says (the same counters, a moment apart).
  const api = (await env.o.api('GET', '/api/calls/active')).json.calls[0].media.find((m) => m.answered);
  assert.ok(Math.abs(api.caller.rxPackets - media.caller.rx) < 250, JSON.stringify({ api, media }));
  assert.deepEqual(await unnamedControls(page), []);
  await page.screenshot({ path: shotPath('admin-live-media'), fullPage: true });
  await sip.hangup();
  await frame.waitForSelector('body[data-call="ended"]', { state: 'attached', timeout: 5000 });

  // Delete the extension: its phone is told at once, and does not retry.
  await page.click('#tab-extensions');
  await row('5601').locator('button.danger').click();
  await row('5601').waitFor({ state: 'detached' });
  await frame.waitForSelector('body[data-conn="failed"]', { state: 'attached', timeout: 5000 });
  await page.click('#tab-phone');
  assert.equal(await statusText(frame), 'This extension was deleted by the administrator. The phone is signed out.');
  await env.o.waitLog(/closing WebSocket \(4410 extension deleted\)/);
  await sleep(2500);
  assert.equal(await frame.evaluate(() => document.body.dataset.conn), 'failed', 'no reconnection');
  assert.equal((await env.o.api('GET', '/api/extensions/5601/status')).status, 404);
  assert.doesNotMatch(env.o.logs.split('extension 5601 deleted')[1] ?? '', /REGISTER 5601/, 'no REGISTER after the deletion');
  await page.screenshot({ path: shotPath('admin-phone-deleted'), fullPage: true });
});

test('a softphone that sends no audio is flagged one-way in Live calls and in the call log', async () => {
  assert.equal((await env.o.api('POST', '/api/extensions', { extension: '5603', password: 'pw-5603-admin' })).status, 201);
  const mute = await softphone('5604', 'pw-5604-admin', { source: 'aubridge,mute' });
  const frame = await openPhoneAs('5603');
  await dialFrom(frame, '5604');
  await mute.waitEvent('CALL_ESTABLISHED');
  await page.click('#tab-calls');
  const flag = page.locator('#live-table tbody tr .oneway-note');
  await flag.waitFor({ timeout: 12000 }).catch(async (e) => {
    throw new Error(`${e.message}\nactive: ${JSON.stringify((await env.o.api('GET', '/api/calls/active')).json)}\n${mute.log().slice(-1500)}`);
  });
  const live = (await env.o.api('GET', '/api/calls/active')).json.calls[0];
  assert.ok(live.mediaNote, JSON.stringify(live));
  assert.equal((await flag.textContent()).trim(), `one-way audio ${live.mediaNote}`);
  const media = await liveMedia();
  assert.ok(media && media.caller.rx > 50, `the browser's audio arrives: ${JSON.stringify(media)}`);
  assert.equal(media.callee.rx, 0, `the softphone sends nothing: ${JSON.stringify(media)}`);
  await mute.hangup();
  await frame.waitForSelector('body[data-call="ended"]', { state: 'attached', timeout: 5000 });

  await page.click('#tab-log');
  const logRow = page.locator('#log-table tbody tr', { hasText: '5604' }).first();
  await logRow.waitFor();
  const rowApi = (await env.o.api('GET', '/api/calls?extension=5604')).json.calls[0];
  assert.equal(rowApi.mediaNote, live.mediaNote);
  assert.match(await logRow.textContent(), new RegExp(`one-way audio ${rowApi.mediaNote.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  await page.screenshot({ path: shotPath('admin-log-oneway'), fullPage: true });
});

test('a wrong password: the phone says so and the doctor shows the same attempt in plain words', async () => {
  assert.equal((await env.o.api('POST', '/api/extensions', { extension: '5605', password: 'pw-5605-admin' })).status, 201);
  const phone = await env.browser.context.newPage();
  stops.push(() => phone.close());
  await phone.goto(`https://127.0.0.1:${env.o.httpsPort}/phone/?lang=en`);
  await phoneSignIn(phone, '5605', 'not-the-password', 'failed');
  assert.equal(await statusText(phone), 'Wrong extension or password.');
  const ua = await phone.evaluate(() => window.ovozPhone.phone.ua === null);
  assert.equal(ua, true, 'the phone stopped after the refusal');

  const attempts = (await env.o.api('GET', '/api/extensions/5605/attempts?limit=1')).json.attempts;
  assert.equal(attempts[0].outcome, 'wrong_password', JSON.stringify(attempts));
  await page.click('#tab-extensions');
  await row('5605').waitFor();
  await page.click('#tab-doctor');
  await page.selectOption('#doctor-ext', '5605');
  await page.click('#doctor-form button[type=submit]');
  const finding = page.locator('#doctor-list li[data-code="wrong_password"]');
  await finding.waitFor();
  const text = await finding.textContent();
  assert.match(text, /^wrong password from 127\.0\.0\.1 \(SIP\.js\/0\.21\.\d+\): retype it on the phone/, text);
  assert.ok(text.includes(attempts[0].userAgent), `the doctor names the phone's User-Agent: ${text}`);
  await page.screenshot({ path: shotPath('admin-doctor-phone'), fullPage: true });
});
