// Restarts: credentials and UDP contacts survive kill -9; WebSocket
// contacts do not; a generated admin token is printed once and survives.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, tempDir } from './lib/ovoz.mjs';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { udpRegister, wsRegister, sqlite, dbBytes } from './lib/util.mjs';

const running = new Set();
const dirs = new Set();
async function start(opts) {
  const o = await startOvoz(opts);
  running.add(o);
  dirs.add(o.dir);
  return o;
}
async function stop(o) { await stopClean(o, assert); running.delete(o); }
async function kill9(o) { await o.kill9(); running.delete(o); }
after(async () => {
  for (const o of running) await o.kill9();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('kill -9: the extension registers at once with its old password and the UDP contact is still listed', async () => {
  let o = await start();
  const { dir, udpPort, httpsPort, token } = o;
  const c = await o.api('POST', '/api/extensions', { extension: '1001', password: 'survives1', displayName: 'Desk' });
  assert.equal(c.status, 201);
  const r1 = await udpRegister(o, '1001', 'survives1', { expires: 600, userAgent: 'MicroSIP/3.21' });
  assert.equal(r1.final.status, 200);
  const before = (await o.api('GET', '/api/extensions/1001/status')).json;
  assert.equal(before.contacts.length, 1);
  await kill9(o);

  o = await start({ dir, udpPort, httpsPort, token });
  assert.doesNotMatch(o.logs, /schema migration 1 applied/, 'migrations ran again on an existing db');
  // The contact is listed before the phone registers again.
  const st = (await o.api('GET', '/api/extensions/1001/status')).json;
  assert.equal(st.registered, true, JSON.stringify(st));
  assert.equal(st.contacts.length, 1);
  const [was, now] = [before.contacts[0], st.contacts[0]];
  assert.equal(now.contact, was.contact);
  assert.equal(now.transport, 'udp');
  assert.equal(now.source, `127.0.0.1:${r1.peer.port}`);
  assert.equal(now.userAgent, 'MicroSIP/3.21');
  assert.equal(now.expiresAt, was.expiresAt);
  const ext = (await o.api('GET', '/api/extensions/1001')).json;
  assert.equal(ext.displayName, 'Desk');

  // The old password works at once: no 403 "password not available".
  r1.peer.close();
  const r2 = await udpRegister(o, '1001', 'survives1', { localPort: r1.peer.port, expires: 600, userAgent: 'MicroSIP/3.21' });
  assert.equal(r2.challenge.status, 401);
  assert.equal(r2.final.status, 200, r2.final.raw);
  const a = await o.api('GET', '/api/extensions/1001/attempts?limit=1');
  assert.equal(a.json.attempts[0].outcome, 'registered');
  // Re-registering the same contact does not duplicate it.
  assert.equal((await o.api('GET', '/api/extensions/1001/status')).json.contacts.length, 1);
  r2.peer.close();
  await stop(o);
});

test('a WSS contact does not survive a restart', async () => {
  let o = await start();
  const { dir, udpPort, httpsPort, token } = o;
  assert.equal((await o.api('POST', '/api/extensions', { extension: '2001', password: 'websock1' })).status, 201);
  const w = await wsRegister(o, '2001', 'websock1');
  assert.equal(w.final.status, 200);
  assert.equal((await o.api('GET', '/api/extensions/2001/status')).json.registered, true);
  await kill9(o);
  w.peer.ws.terminate();
  o = await start({ dir, udpPort, httpsPort, token });
  const st = (await o.api('GET', '/api/extensions/2001/status')).json;
  assert.equal(st.registered, false, JSON.stringify(st));
  assert.deepEqual(sqlite(o.db, "SELECT extension FROM locations WHERE extension = '2001'"), []);
  // It can register again over a new connection.
  const w2 = await wsRegister(o, '2001', 'websock1');
  assert.equal(w2.final.status, 200);
  await w2.peer.close();
  await stop(o);
});

test('generated admin token: printed once, works, survives restart, only its hash is stored', async () => {
  const dir = tempDir();
  dirs.add(dir);
  let o = await start({ dir, token: null });
  const m = /^Ovoz admin token \(shown once, keep it safe\): (\S+)$/m.exec(o.stdout);
  assert.ok(m, 'token not printed on stdout: ' + JSON.stringify(o.stdout));
  const token = m[1];
  assert.ok(token.length >= 16, token);
  assert.doesNotMatch(o.logs, new RegExp(token.replace(/[^\w]/g, '.')), 'token written to the log');
  assert.equal((await o.api('GET', '/api/extensions', undefined, token)).status, 200);
  assert.equal((await o.api('GET', '/api/extensions', undefined, token + 'x')).status, 401);
  assert.equal((await o.api('GET', '/api/extensions', undefined, null)).status, 401);
  const settings = sqlite(o.db, 'SELECT key, value FROM settings');
  const sha = createHash('sha256').update(token).digest('hex');
  assert.ok(settings.some((s) => s.value === sha), JSON.stringify(settings));
  assert.ok(!dbBytes(o.db).includes(Buffer.from(token)), 'plain token in the db file');
  const { udpPort, httpsPort } = o;
  await stop(o);

  o = await start({ dir, udpPort, httpsPort, token: null });
  assert.doesNotMatch(o.stdout, /admin token/, 'token printed again: ' + o.stdout);
  assert.equal((await o.api('GET', '/api/extensions', undefined, token)).status, 200);
  assert.ok(!dbBytes(o.db).includes(Buffer.from(token)), 'plain token in the db file');
  await kill9(o);
  // Even after a crash it is the same token.
  o = await start({ dir, udpPort, httpsPort, token: null });
  assert.equal(o.stdout, '');
  assert.equal((await o.api('GET', '/api/extensions', undefined, token)).status, 200);
  await stop(o);
});
