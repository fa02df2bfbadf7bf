// <ovoz-phone> on a page of another origin (a small HTTP server on
// loopback, listed in [http] origins so it may frame the phone): it signs
// in with setCredentials, click-to-call reaches another web phone, and the
// element fires registered, ringing, answered, ended and unregistered.
// The host page signs the phone in with ephemeral credentials (minted by
// POST /api/credentials); an expired one is refused, by the phone before
// it connects and by Ovoz when the browser's clock says otherwise, and the
// phone says the credential has expired.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, tempDir } from '../integration/lib/ovoz.mjs';
import { startWeb, signIn, statusText, consoleErrors } from './lib/webphone.mjs';

let env, host, hostUrl, otherUrl;
const SECRET = 'embed-test-ephemeral-secret-0123';
const hostPage = (ovoz) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>CRM</title>
<link rel="icon" href="data:,"></head><body>
<button id="c2c" type="button">Call</button>
<ovoz-phone id="ph" lang="en"></ovoz-phone>
<script src="${ovoz}/embed.js"></script>
<script>
  window.events = [];
  const ph = document.getElementById('ph');
  for (const n of ['registered', 'unregistered', 'ringing', 'answered', 'ended'])
    ph.addEventListener(n, (e) => window.events.push({ name: n, detail: e.detail }));
</script></body></html>`;

before(async () => {
  const port = await freePort();
  hostUrl = `http://127.0.0.1:${port}`;
  const other = await freePort();
  otherUrl = `http://127.0.0.1:${other}`;
  const dir = tempDir('ovoz-embed-');
  const ini = path.join(dir, 'ovoz.ini');
  writeFileSync(ini, `[http]\norigins = ${hostUrl}\n[auth]\nephemeral_secret = ${SECRET}\n`);
  env = await startWeb({ config: ini, firstExt: 4500 });
  host = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(hostPage(env.base));
  });
  await new Promise((r) => host.listen(port, '127.0.0.1', r));
});
after(async () => {
  host?.close();
  await env?.stop();
});

const events = (page) => page.evaluate(() => window.events.map((e) => e.name));
const waitEvent = (page, name, ms = 10000) =>
  page.waitForFunction((n) => window.events.some((e) => e.name === n), name, { timeout: ms });

test('<ovoz-phone> on another origin: setCredentials, click-to-call, events', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const crm = await env.phone({ url: hostUrl + '/' });
  const pb = await env.phone({ url: '/phone/?lang=en' });
  await signIn(pb.page, b.ext, b.password);

  await crm.page.evaluate(([u, p]) => document.getElementById('ph').setCredentials({ username: u, password: p }),
    [a.ext, a.password]);
  await waitEvent(crm.page, 'registered');
  const reg = await crm.page.evaluate(() => window.events.find((e) => e.name === 'registered').detail);
  assert.deepEqual(reg, { extension: a.ext });
  const st = (await env.o.api('GET', `/api/extensions/${a.ext}/status`)).json;
  assert.equal(st.registered, true, JSON.stringify(st));

  // Click-to-call from the host page's own button.
  await crm.page.evaluate((n) => {
    document.getElementById('c2c').onclick = () => document.getElementById('ph').call(n);
  }, b.ext);
  await crm.page.click('#c2c');
  await pb.page.waitForSelector('body[data-call="incoming"]', { timeout: 8000 });
  await waitEvent(crm.page, 'ringing');
  await pb.page.getByRole('button', { name: 'Answer' }).click();
  await waitEvent(crm.page, 'answered');
  const ans = await crm.page.evaluate(() => window.events.find((e) => e.name === 'answered').detail);
  assert.deepEqual(ans, { direction: 'out', number: b.ext, name: '' });
  await crm.page.evaluate(() => document.getElementById('ph').hangup());
  await waitEvent(crm.page, 'ended');
  await pb.page.waitForSelector('body[data-call="ended"]', { timeout: 8000 });
  assert.deepEqual(await events(crm.page), ['registered', 'ringing', 'answered', 'ended']);

  // The phone inside is the real page, framed with the microphone allowed.
  const frame = crm.page.frames().find((f) => f.url().startsWith(env.base + '/phone/'));
  assert.ok(frame, 'the /phone/ iframe');
  assert.equal(await crm.page.evaluate(() => document.getElementById('ph').shadowRoot.querySelector('iframe').allow),
    'microphone; autoplay');
  assert.deepEqual(consoleErrors(crm), [], crm.consoleLog());
});

test('an origin not in [http] origins cannot frame the phone', async () => {
  const srv = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(hostPage(env.base));
  });
  await new Promise((r) => srv.listen(Number(new URL(otherUrl).port), '127.0.0.1', r));
  try {
    const p = await env.phone({ url: otherUrl + '/' });
    await p.page.waitForTimeout(1500);
    const framed = p.page.frames().find((f) => f.url().startsWith(env.base + '/phone/'));
    const hasPhone = framed ? await framed.evaluate(() => !!window.ovozPhone).catch(() => false) : false;
    assert.equal(hasPhone, false, 'the phone page did not load inside the frame');
    assert.match(p.consoleLog(), /frame-ancestors/);
  } finally {
    srv.close();
  }
});

/** Credentials for @ext expiring at @expiresAt, signed like Ovoz's own. */
function ephemeral(ext, expiresAt) {
  const username = `${expiresAt}:${ext}`;
  return { username, password: createHmac('sha1', SECRET).update(username).digest('base64') };
}

const phoneFrame = (page) => page.frames().find((f) => f.url().startsWith(env.base + '/phone/'));

test('<ovoz-phone> with ephemeral credentials from POST /api/credentials: click-to-call', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const pb = await env.phone({ url: '/phone/?lang=en' });
  await signIn(pb.page, b.ext, b.password);
  // What the CRM's server does: mint with the admin token, hand over.
  const r = await env.o.api('POST', '/api/credentials', { extension: a.ext, ttl: 600 });
  assert.equal(r.status, 201, r.text);
  assert.match(r.json.username, new RegExp(`^\\d+:${a.ext}$`));
  const crm = await env.phone({ url: hostUrl + '/' });
  await crm.page.evaluate((c) => {
    const ph = document.getElementById('ph');
    ph.setCredentials(c);
    document.getElementById('c2c').onclick = () => ph.call(c.number);
  }, { username: r.json.username, password: r.json.password, number: b.ext });
  await waitEvent(crm.page, 'registered');
  const reg = await crm.page.evaluate(() => window.events.find((e) => e.name === 'registered').detail);
  assert.deepEqual(reg, { extension: a.ext });
  const st = (await env.o.api('GET', `/api/extensions/${a.ext}/status`)).json;
  assert.equal(st.registered, true, JSON.stringify(st));
  assert.equal(await statusText(phoneFrame(crm.page)), `Ready: extension ${a.ext}`);

  await crm.page.click('#c2c');
  await pb.page.waitForSelector('body[data-call="incoming"]', { timeout: 8000 });
  assert.equal(await statusText(pb.page), `Incoming call from ${a.ext}`);
  await pb.page.getByRole('button', { name: 'Answer' }).click();
  await waitEvent(crm.page, 'answered');
  await pb.page.getByRole('button', { name: 'Hang up' }).click();
  await waitEvent(crm.page, 'ended');
  assert.deepEqual(await events(crm.page), ['registered', 'ringing', 'answered', 'ended']);
  assert.deepEqual(consoleErrors(crm), [], crm.consoleLog());
});

test('<ovoz-phone> with an expired credential: refused, and the phone says it has expired', async () => {
  const a = await env.exts.make();
  const expired = ephemeral(a.ext, Math.floor(Date.now() / 1000) - 600);
  const text = 'The sign-in credential has expired. Ask for a new one.';

  // The phone sees the expiry has passed and does not even connect.
  const crm = await env.phone({ url: hostUrl + '/' });
  await crm.page.evaluate((c) => document.getElementById('ph').setCredentials(c), expired);
  await waitEvent(crm.page, 'unregistered');
  assert.deepEqual(await crm.page.evaluate(() => window.events.map((e) => [e.name, e.detail])),
    [['unregistered', { reason: 'expired' }]]);
  const frame = phoneFrame(crm.page);
  await frame.selectOption('#lang', 'en');
  assert.equal(await statusText(frame), text);
  const none = (await env.o.api('GET', `/api/extensions/${a.ext}/attempts`)).json.attempts;
  assert.deepEqual(none, [], 'nothing was sent to Ovoz');

  // A browser whose clock is an hour behind tries anyway: Ovoz refuses it.
  const late = await env.phone({ url: hostUrl + '/' });
  await late.context.clock.setFixedTime(Date.now() - 3600 * 1000);
  await late.page.reload();
  await late.page.waitForFunction(() => customElements.get('ovoz-phone'));
  await late.page.evaluate((c) => document.getElementById('ph').setCredentials(c), expired);
  await waitEvent(late.page, 'unregistered');
  assert.deepEqual(await late.page.evaluate(() => window.events.map((e) => [e.name, e.detail])),
    [['unregistered', { reason: 'expired' }]]);
  const lateFrame = phoneFrame(late.page);
  await lateFrame.selectOption('#lang', 'en');
  assert.equal(await statusText(lateFrame), text);
  const att = (await env.o.api('GET', `/api/extensions/${a.ext}/attempts?limit=1`)).json.attempts[0];
  assert.equal(att?.outcome, 'credential_expired', JSON.stringify(att));
  assert.equal(att.status, 403);
});
