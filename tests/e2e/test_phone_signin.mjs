// The web phone's sign-in: what a user sees when the password is right,
// when it is wrong, and when Ovoz restarts under an idle phone; and the
// headers and redirects that bring a browser to /phone/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import https from 'node:https';
import { startWeb, signIn, statusText, waitFor } from './lib/webphone.mjs';

let env;
before(async () => { env = await startWeb({ firstExt: 4300 }); });
after(async () => { await env?.stop(); });

function get(path) {
  return new Promise((resolve, reject) => {
    https.get({ host: '127.0.0.1', port: env.o.httpsPort, path, rejectUnauthorized: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers }));
    }).on('error', reject);
  });
}

test('/ and /phone redirect to /phone/, which is served with its security headers', async () => {
  assert.deepEqual([(await get('/')).status, (await get('/')).headers.location], [302, '/phone/']);
  assert.deepEqual([(await get('/phone')).status, (await get('/phone')).headers.location], [302, '/phone/']);
  const r = await get('/phone/');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/html/);
  assert.match(r.headers['content-security-policy'], /frame-ancestors 'self'(;|$)/);
  assert.match(r.headers['content-security-policy'], /script-src 'self'/);
  assert.equal(r.headers['permissions-policy'].split(',')[0], 'microphone=(self)');
  assert.equal(r.headers['x-content-type-options'], 'nosniff');
  assert.equal((await get('/phone/nope.html')).status, 404);
  assert.equal((await get('/embed.js')).status, 200);
});

test('sign in with extension and password: the status says registered, Ovoz agrees', async () => {
  const a = await env.exts.make();
  const p = await env.phone();
  await signIn(p.page, a.ext, a.password);
  assert.match(await statusText(p.page), new RegExp(`Tayyor: ichki raqam ${a.ext}`));
  const st = (await env.o.api('GET', `/api/extensions/${a.ext}/status`)).json;
  assert.equal(st.registered, true, JSON.stringify(st));
  // The extension is remembered, the password is not (no "remember" ticked).
  const kept = await p.page.evaluate(() => [localStorage.getItem('ovoz.ext'), localStorage.getItem('ovoz.pw')]);
  assert.deepEqual(kept, [a.ext, null]);

  // Ovoz restarts while the phone is idle: it reconnects and registers again by itself.
  await env.restart();
  await p.page.waitForSelector('body[data-conn="reconnecting"]', { timeout: 5000 })
    .catch(() => { /* may already be registered again */ });
  await p.page.waitForSelector('body[data-conn="registered"]', { timeout: 20000 });
  await waitFor(async () => (await env.o.api('GET', `/api/extensions/${a.ext}/status`)).json?.registered, 5000,
    'registered again at the restarted ovoz');
});

test('a restart shows the reconnecting status in words before registering again', async () => {
  const a = await env.exts.make();
  const p = await env.phone({ url: '/phone/?lang=en' });
  await signIn(p.page, a.ext, a.password);
  const seen = p.page.waitForFunction(() => document.body.dataset.conn === 'reconnecting'
    && /Reconnecting in \d+ s/.test(document.querySelector('[role=status]').textContent), null, { timeout: 15000 });
  await env.o.stop();
  await seen;
  await env.restart();
  await p.page.waitForSelector('body[data-conn="registered"]', { timeout: 20000 });
  assert.match(await statusText(p.page), new RegExp(`Ready: extension ${a.ext}`));
});

test('a wrong password is shown in plain words, and nothing is registered', async () => {
  const a = await env.exts.make();
  const p = await env.phone({ url: '/phone/?lang=en' });
  await signIn(p.page, a.ext, 'not-the-password', 'failed');
  assert.equal(await statusText(p.page), 'Wrong extension or password.');
  assert.equal(await p.page.getByRole('button', { name: 'Sign in' }).isVisible(), true);
  const st = (await env.o.api('GET', `/api/extensions/${a.ext}/status`)).json;
  assert.equal(st.registered, false, JSON.stringify(st));
});
