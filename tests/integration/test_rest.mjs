// The admin REST API over real HTTPS: every endpoint, every error path,
// what is stored (through the API and the sqlite file itself), and the
// effect on live registrations.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { startOvoz, stopClean, HOST, waitFor } from './lib/ovoz.mjs';
import { hash } from './lib/sip.mjs';
import { udpRegister, sqlite, dbBytes, assertAlive } from './lib/util.mjs';
import { wsUa } from './lib/calls.mjs';

let o;
const peers = [];
const PASSWORDS = ['first-pass-1001', 'second-pass-1001', 'pw-for-1002', 'pw-for-1003'];
before(async () => { o = await startOvoz(); });
after(async () => {
  for (const p of peers) p.close();
  await stopClean(o, assert);
  o.cleanup();
});

const list = async () => (await o.api('GET', '/api/extensions')).json.extensions;
const rows = () => sqlite(o.db, 'SELECT extension, display_name, ha1_md5, ha1_sha256, created_at, updated_at FROM extensions ORDER BY extension');
const snapshot = async () => ({ api: await list(), db: rows(), loc: sqlite(o.db, 'SELECT * FROM locations ORDER BY extension, contact') });

/** Assert that nothing stored changed across @fn (errors must be side-effect free). */
async function unchanged(fn) {
  const before = await snapshot();
  await fn();
  assert.deepEqual(await snapshot(), before, 'stored state changed');
}

/** A raw HTTP/1.1 request over TLS; resolves with the status or null on timeout. */
function rawHttps(text, ms = 2000) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: HOST, port: o.httpsPort, rejectUnauthorized: false }, () => s.write(text));
    let buf = '';
    const t = setTimeout(() => { s.destroy(); resolve(null); }, ms);
    s.on('data', (d) => {
      buf += d;
      const m = /^HTTP\/1\.1 (\d{3})/.exec(buf);
      if (m && buf.includes('\r\n\r\n')) { clearTimeout(t); s.destroy(); resolve(Number(m[1])); }
    });
    s.on('error', () => { clearTimeout(t); resolve(null); });
  });
}

test('create, list, get: 201 then the stored rows hold HA1s, never the password', async () => {
  const r = await o.api('POST', '/api/extensions', { extension: '1001', password: PASSWORDS[0], displayName: 'Front desk' });
  assert.equal(r.status, 201);
  assert.match(r.headers['content-type'], /^application\/json/);
  assert.equal(r.json.extension, '1001');
  assert.equal(r.json.displayName, 'Front desk');
  assert.ok(Number.isInteger(r.json.createdAt) && Math.abs(r.json.createdAt - Date.now() / 1000) < 60);
  assert.equal(r.json.password, undefined);
  assert.equal(JSON.stringify(r.json).includes(PASSWORDS[0]), false);
  assert.equal((await o.api('POST', '/api/extensions', { extension: '1002', password: PASSWORDS[2] })).status, 201);

  const l = await list();
  assert.deepEqual(l.map((e) => e.extension), ['1001', '1002']);
  assert.equal(l[1].displayName, '');
  const g = await o.api('GET', '/api/extensions/1001');
  assert.equal(g.status, 200);
  assert.deepEqual(g.json, r.json);

  const [row] = rows();
  assert.equal(row.ha1_md5, hash('MD5', `1001:ovoz.test:${PASSWORDS[0]}`));
  assert.equal(row.ha1_sha256, hash('SHA-256', `1001:ovoz.test:${PASSWORDS[0]}`));
  assert.equal(sqlite(o.db, 'PRAGMA journal_mode')[0].journal_mode, 'wal');
});

test('401 without a token and with a wrong one, on every route', async () => {
  await unchanged(async () => {
    for (const [m, p, b] of [['GET', '/api/extensions'], ['POST', '/api/extensions', { extension: '7777', password: 'abcdefgh' }],
      ['GET', '/api/extensions/1001'], ['PUT', '/api/extensions/1001', { password: 'hijacked1' }],
      ['DELETE', '/api/extensions/1001'], ['GET', '/api/extensions/1001/status'], ['GET', '/api/extensions/1001/attempts'],
      ['GET', '/api/nothing-here'], ['GET', '/metrics']]) {
      for (const tok of [null, 'wrong-token-0123456789', o.token.slice(0, -1)]) {
        const r = await o.api(m, p, b, tok);
        assert.equal(r.status, 401, `${m} ${p} token=${tok}`);
        assert.equal(r.headers['www-authenticate'], 'Bearer');
        if (p !== '/metrics') assert.ok(r.json?.error, r.text);
      }
    }
    // Basic instead of Bearer.
    assert.equal((await o.api('GET', '/api/extensions', undefined, null).then(() =>
      rawHttps(`GET /api/extensions HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from('admin:' + o.token).toString('base64')}\r\n\r\n`))), 401);
  });
});

test('400: bad JSON, short password, bad extension id, wrong types, missing fields', async () => {
  await unchanged(async () => {
    const bad = [
      ['POST', '/api/extensions', '{"extension":"1003",', /invalid JSON/],
      ['POST', '/api/extensions', 'not json at all', /invalid JSON/],
      ['POST', '/api/extensions', '[1,2,3]', /JSON object/],
      ['POST', '/api/extensions', '', /empty body|invalid JSON/],
      ['POST', '/api/extensions', { extension: '1003', password: '12345' }, /at least 6/],
      ['POST', '/api/extensions', { extension: '1003' }, /password is required/],
      ['POST', '/api/extensions', { password: 'longenough' }, /extension must be/],
      ['POST', '/api/extensions', { extension: '10 03', password: 'longenough' }, /extension must be/],
      ['POST', '/api/extensions', { extension: '1003@x', password: 'longenough' }, /extension must be/],
      ['POST', '/api/extensions', { extension: 'a'.repeat(33), password: 'longenough' }, /extension must be/],
      ['POST', '/api/extensions', { extension: '', password: 'longenough' }, /extension must be/],
      ['POST', '/api/extensions', { extension: 1003, password: 'longenough' }, /extension must be a string/],
      ['POST', '/api/extensions', { extension: '1003', password: 12345678 }, /password must be a string/],
      ['POST', '/api/extensions', { extension: '1003', password: 'longenough', displayName: 7 }, /displayName must be a string/],
      ['POST', '/api/extensions', { extension: '1003', password: 'longenough', displayName: 'a\u0001b' }, /displayName/],
      ['POST', '/api/extensions', { extension: '.', password: 'longenough' }, /not only dots/],
      ['POST', '/api/extensions', { extension: '..', password: 'longenough' }, /not only dots/],
      // JSON.stringify writes U+0000 as \u0000: cut at the NUL in C, it would store "long".
      ['POST', '/api/extensions', { extension: '1003', password: 'long\u0000enough' }, /u0000 is not allowed/],
      ['POST', '/api/extensions', { extension: '1003', password: 'long\u001b[31menough' }, /control characters/],
      ['POST', '/api/extensions', { extension: '1003', password: 'long\nenough' }, /control characters/],
      ['PUT', '/api/extensions/1001', { password: 'second\u0000' }, /u0000 is not allowed/],
      ['PUT', '/api/extensions/1001', { password: 'second\tpass' }, /control characters/],
      ['PUT', '/api/extensions/1001', {}, /nothing to update/],
      ['PUT', '/api/extensions/1001', { password: 'short' }, /at least 6/],
      ['PUT', '/api/extensions/1001', { password: null }, /password must be a string/],
      ['PUT', '/api/extensions/1001', '{bad', /invalid JSON/],
      ['GET', '/api/extensions/bad%20id', undefined, /extension must be/],
      ['GET', '/api/extensions/' + 'x'.repeat(40), undefined, /extension must be/],
    ];
    for (const [m, p, b, re] of bad) {
      const r = await o.api(m, p, b);
      assert.equal(r.status, 400, `${m} ${p} ${JSON.stringify(b)} -> ${r.status} ${r.text}`);
      assert.match(r.json?.error ?? '', re, `${m} ${p} ${JSON.stringify(b)}`);
    }
  });
});

test('404 unknown extension or route, 405 wrong method, 409 duplicate, 413 too large', async () => {
  await unchanged(async () => {
    for (const [m, p, b] of [['GET', '/api/extensions/4040'], ['PUT', '/api/extensions/4040', { displayName: 'x' }],
      ['DELETE', '/api/extensions/4040'], ['GET', '/api/extensions/4040/status'], ['GET', '/api/nothing'],
      ['GET', '/api/extensions/1001/nothing']]) {
      const r = await o.api(m, p, b);
      assert.equal(r.status, 404, `${m} ${p}: ${r.text}`);
      assert.ok(r.json?.error, r.text);
    }
    for (const [m, p, b] of [['DELETE', '/api/extensions'], ['PUT', '/api/extensions', { password: 'whatever1' }],
      ['POST', '/api/extensions/1001', {}], ['PATCH', '/api/extensions/1001', { displayName: 'x' }],
      ['POST', '/api/extensions/1001/status', {}], ['POST', '/metrics', {}]]) {
      const r = await o.api(m, p, b);
      assert.equal(r.status, 405, `${m} ${p}: ${r.text}`);
      assert.ok(r.json?.error, r.text);
    }
    const dup = await o.api('POST', '/api/extensions', { extension: '1001', password: 'other-password', displayName: 'Intruder' });
    assert.equal(dup.status, 409);
    assert.match(dup.json.error, /1001 already exists/);
    const big = JSON.stringify({ extension: '1003', password: 'longenough', displayName: 'x'.repeat(70 * 1024) });
    const r = await o.api('POST', '/api/extensions', big);
    assert.equal(r.status, 413);
    assert.ok(r.json?.error, r.text);
    // Too large and no token: 401 first, nothing learnt.
    assert.equal((await o.api('POST', '/api/extensions', big, null)).status, 401);
  });
  // Still serving normally afterwards.
  await assertAlive(o, assert);
});

test('a POST/PUT with "Content-Length: 0" is answered (400), not left hanging', async () => {
    const st = await rawHttps(`PUT /api/extensions/1001 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${o.token}\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(st, 400);
    const st2 = await rawHttps(`POST /api/extensions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${o.token}\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(st2, 400);
  });

test('update password and displayName: the new password registers, the old one does not', async () => {
  const before = rows().find((r) => r.extension === '1001');
  const r1 = await udpRegister(o, '1001', PASSWORDS[0]);
  peers.push(r1.peer);
  assert.equal(r1.final.status, 200);
  const u = await o.api('PUT', '/api/extensions/1001', { password: PASSWORDS[1], displayName: 'Back office' });
  assert.equal(u.status, 200);
  assert.equal(u.json.displayName, 'Back office');
  assert.ok(u.json.updatedAt >= before.updated_at);
  const after = rows().find((r) => r.extension === '1001');
  assert.equal(after.ha1_md5, hash('MD5', `1001:ovoz.test:${PASSWORDS[1]}`));
  assert.equal(after.ha1_sha256, hash('SHA-256', `1001:ovoz.test:${PASSWORDS[1]}`));
  assert.equal(after.created_at, before.created_at);
  for (const alg of ['MD5', 'SHA-256']) {
    const old = await udpRegister(o, '1001', PASSWORDS[0], { alg });
    peers.push(old.peer);
    assert.equal(old.final.status, 403, `old password still works (${alg})`);
    const neu = await udpRegister(o, '1001', PASSWORDS[1], { alg });
    peers.push(neu.peer);
    assert.equal(neu.final.status, 200, `new password refused (${alg})`);
  }
  // displayName only keeps the password.
  assert.equal((await o.api('PUT', '/api/extensions/1001', { displayName: 'Only name' })).status, 200);
  assert.equal(rows().find((r) => r.extension === '1001').ha1_md5, after.ha1_md5);
  assert.equal((await o.api('GET', '/api/extensions/1001')).json.displayName, 'Only name');
});

test('status and attempts: a registered UDP contact, ?limit', async () => {
  const r = await udpRegister(o, '1002', PASSWORDS[2], { userAgent: 'MicroSIP/3.21.3', expires: 120 });
  peers.push(r.peer);
  assert.equal(r.final.status, 200);
  const st = await o.api('GET', '/api/extensions/1002/status');
  assert.equal(st.status, 200);
  assert.equal(st.json.extension, '1002');
  assert.equal(st.json.registered, true);
  assert.equal(st.json.contacts.length, 1);
  const c = st.json.contacts[0];
  assert.equal(c.contact, `<sip:1002@127.0.0.1:${r.peer.port}>`);
  assert.equal(c.transport, 'udp');
  assert.equal(c.source, `127.0.0.1:${r.peer.port}`);
  assert.equal(c.userAgent, 'MicroSIP/3.21.3');
  assert.ok(c.expires > 110 && c.expires <= 120, String(c.expires));
  assert.ok(Math.abs(c.expiresAt - (Date.now() / 1000 + 120)) < 10);
  const loc = sqlite(o.db, "SELECT * FROM locations WHERE extension = '1002'");
  assert.equal(loc.length, 1);
  assert.equal(loc[0].transport, 'udp');
  assert.equal(loc[0].expires_at, c.expiresAt);

  const bad = await udpRegister(o, '1002', 'wrong-one-x');
  peers.push(bad.peer);
  const all = await o.api('GET', '/api/extensions/1002/attempts');
  assert.equal(all.status, 200);
  assert.equal(all.json.extension, '1002');
  assert.deepEqual(all.json.attempts.slice(0, 4).map((a) => [a.outcome, a.status]),
    [['wrong_password', 403], ['challenged', 401], ['registered', 200], ['challenged', 401]]);
  const a0 = all.json.attempts[0];
  assert.equal(a0.source, `127.0.0.1:${bad.peer.port}`);
  assert.equal(a0.transport, 'udp');
  const two = await o.api('GET', '/api/extensions/1002/attempts?limit=2');
  assert.equal(two.json.attempts.length, 2);
  assert.deepEqual(two.json.attempts, all.json.attempts.slice(0, 2));
  for (const q of ['limit=0', 'limit=abc', 'limit=-1']) {
    const x = await o.api('GET', `/api/extensions/1002/attempts?${q}`);
    assert.ok(x.status === 400 || (x.status === 200 && x.json.attempts.length > 0), `${q}: ${x.status}`);
  }
  // Unknown extensions have attempts too (that is the diagnosis).
  const u = await o.api('GET', '/api/extensions/4041/attempts');
  assert.equal(u.status, 200);
  assert.deepEqual(u.json.attempts, []);
});

test('DELETE removes the extension, its live registrations and its location rows', async () => {
  assert.equal((await o.api('GET', '/api/extensions/1002/status')).json.registered, true);
  assert.equal(sqlite(o.db, "SELECT count(*) AS n FROM locations WHERE extension = '1002'")[0].n, 1);
  const d = await o.api('DELETE', '/api/extensions/1002');
  assert.equal(d.status, 204);
  assert.equal(d.text, '');
  assert.equal((await o.api('GET', '/api/extensions/1002')).status, 404);
  const st = await o.api('GET', '/api/extensions/1002/status');
  assert.ok(st.status === 404 || st.json.registered === false, st.text);
  await waitFor(() => sqlite(o.db, "SELECT count(*) AS n FROM locations WHERE extension = '1002'")[0].n === 0, 2000, 'location rows gone');
  assert.deepEqual((await list()).map((e) => e.extension), ['1001']);
  // The deleted extension cannot register; re-creating it works afresh.
  const r = await udpRegister(o, '1002', PASSWORDS[2]);
  peers.push(r.peer);
  assert.equal(r.final.status, 403);
  assert.equal((await o.api('DELETE', '/api/extensions/1002')).status, 404);
  assert.equal((await o.api('POST', '/api/extensions', { extension: '1002', password: PASSWORDS[3] })).status, 201);
  assert.equal((await o.api('GET', '/api/extensions/1002/status')).json.registered, false);
});

test('DELETE closes the WebSocket connections registered as the extension (4410), not the others', async () => {
  for (const [ext, password] of [['1501', 'pw-for-1501'], ['1502', 'pw-for-1502']]) {
    assert.equal((await o.api('POST', '/api/extensions', { extension: ext, password })).status, 201);
  }
  const gone = await wsUa(o, { ext: '1501', password: 'pw-for-1501' });
  const stays = await wsUa(o, { ext: '1502', password: 'pw-for-1502' });
  peers.push(gone.peer, stays.peer);
  let closed = null;
  gone.peer.closed.then((c) => { closed = c; });
  assert.equal((await o.api('DELETE', '/api/extensions/1501')).status, 204);
  await waitFor(() => closed, 3000, 'the deleted extension\'s WebSocket closed');
  assert.deepEqual(closed, { code: 4410, reason: 'extension deleted' });
  await o.waitLog(/wss-\d+: closing WebSocket \(4410 extension deleted\)/);
  // The other extension's connection and registration are untouched.
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(stays.peer.ws.readyState, 1, 'the other WebSocket is still open');
  assert.equal((await o.api('GET', '/api/extensions/1502/status')).json.registered, true);
});

test('the sqlite file (and WAL) never contains a plain password', async () => {
  const bytes = dbBytes(o.db);
  assert.ok(bytes.length > 4096);
  for (const pw of [...PASSWORDS, 'wrong-one-x', 'other-password']) {
    assert.equal(bytes.includes(Buffer.from(pw)), false, `"${pw}" found in the db`);
  }
  assert.equal(bytes.includes(Buffer.from(o.token)), false, 'admin token in the db');
});
