// SIP over WSS (RFC 7118) against a running ovoz: digest REGISTER like
// SIP.js, keep-alives, connection-bound contacts, path, subprotocol and
// Origin checks, and the message-size limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, tempDir, waitFor } from './lib/ovoz.mjs';
import { WsPeer, rand } from './lib/sip.mjs';
import { wsRegister, sqlite, assertAlive, options, within } from './lib/util.mjs';

let o;
const peers = [];
before(async () => {
  const dir = tempDir();
  const config = path.join(dir, 'ovoz.ini');
  writeFileSync(config, '[http]\norigins = https://panel.example.com\n');
  o = await startOvoz({ dir, extraArgs: ['--config', config] });
  for (const [ext, pw] of [['1001', 'secret1001'], ['1002', 'secret1002']]) {
    const r = await o.api('POST', '/api/extensions', { extension: ext, password: pw });
    assert.equal(r.status, 201);
  }
});
after(async () => {
  for (const p of peers) p.ws.terminate();
  await stopClean(o, assert);
  o.cleanup();
});

const status = async (ext) => (await o.api('GET', `/api/extensions/${ext}/status`)).json;
const wssRows = () => sqlite(o.db, "SELECT * FROM locations WHERE transport <> 'udp'");

/** Whether the server accepts a WebSocket upgrade with @opts. */
async function opens(opts) {
  const p = await tryOpen(opts);
  if (p) await p.close();
  return p !== null;
}

/** Open a WebSocket; null if the server refused it. */
async function tryOpen(opts) {
  try {
    const p = await WsPeer.open(o.httpsPort, opts);
    peers.push(p);
    return p;
  } catch (e) {
    return null;
  }
}

test('full digest REGISTER (MD5, SIP.js style) over /ws gets 200; status shows wss and the source', async () => {
  const { peer, challenge, final } = await wsRegister(o, '1001', 'secret1001');
  peers.push(peer);
  assert.equal(challenge.status, 401);
  assert.equal(final.status, 200, final.raw);
  assert.match(final.header('via'), new RegExp(`SIP/2\\.0/WSS ${peer.host.replace('.', '\\.')};`));
  assert.ok(final.headers('contact').some((c) => c.includes(`@${peer.host};transport=ws>;expires=300`)),
    final.headers('contact').join(' | '));
  const st = await status('1001');
  assert.equal(st.registered, true);
  assert.equal(st.contacts.length, 1);
  const c = st.contacts[0];
  assert.equal(c.transport, 'wss');
  const local = peer.ws._socket.localPort;
  assert.equal(c.source, `127.0.0.1:${local}`);
  assert.equal(c.userAgent, 'OvozTest/1.0');
  assert.ok(c.expires > 290 && c.expires <= 300, String(c.expires));
  await o.waitLog(new RegExp(`REGISTER 1001 from 127\\.0\\.0\\.1:${local} \\(wss, OvozTest/1\\.0\\): 200 registered`), 3000);
  assert.deepEqual(wssRows(), [], 'a WebSocket contact is never stored in sqlite');

  // Double-CRLF keep-alive gets a single CRLF back (RFC 5626 4.4.1).
  peer.send('\r\n\r\n');
  assert.equal(await peer.recvRaw(2000), '\r\n');

  // Closing the connection removes the contact.
  await peer.close();
  await waitFor(async () => (await status('1001')).registered === false, 3000, 'contact removed on close');
  assert.deepEqual((await status('1001')).contacts, []);
  assert.deepEqual(wssRows(), []);
});

test('binary frames carry SIP too', async () => {
  const { peer, final } = await wsRegister(o, '1002', 'secret1002', { binary: true });
  peers.push(peer);
  assert.equal(final.status, 200, final?.raw);
  peer.send(options({ transport: 'WSS', host: peer.host }), true);
  const r = await peer.recv();
  assert.equal(r.status, 200);
  await peer.close();
  await waitFor(async () => (await status('1002')).registered === false, 3000, 'contact removed on close');
});

test('wrong password over WSS gets 403', async () => {
  const { peer, final } = await wsRegister(o, '1002', 'not-the-one');
  peers.push(peer);
  assert.equal(final.status, 403);
  const a = await o.api('GET', '/api/extensions/1002/attempts?limit=1');
  assert.equal(a.json.attempts[0].outcome, 'wrong_password');
  assert.equal(a.json.attempts[0].transport, 'wss');
  await peer.close();
});

test('two WebSocket clients of the same extension are both listed; each leaves with its connection', async () => {
  const a = await wsRegister(o, '1001', 'secret1001');
  const b = await wsRegister(o, '1001', 'secret1001');
  peers.push(a.peer, b.peer);
  assert.equal(a.final.status, 200);
  assert.equal(b.final.status, 200);
  let st = await status('1001');
  assert.equal(st.contacts.length, 2, JSON.stringify(st));
  const sources = st.contacts.map((c) => c.source).sort();
  assert.deepEqual(sources, [a.peer, b.peer].map((p) => `127.0.0.1:${p.ws._socket.localPort}`).sort());
  assert.deepEqual(wssRows(), []);
  await a.peer.close();
  await waitFor(async () => (await status('1001')).contacts.length === 1, 3000, 'one contact left');
  st = await status('1001');
  assert.equal(st.contacts[0].source, `127.0.0.1:${b.peer.ws._socket.localPort}`);
  await b.peer.close();
  await waitFor(async () => (await status('1001')).registered === false, 3000, 'no contact left');
});

test('a wrong path and a wrong subprotocol are refused', async () => {
  assert.equal(await opens({ path: '/foo' }), false, '/foo accepted');
  assert.equal(await opens({ path: '/ws/x' }), false, '/ws/x accepted');
  assert.equal(await opens({ protocol: 'xmpp' }), false, 'subprotocol xmpp accepted');
  const ok = await tryOpen({});
  assert.ok(ok, '/ws with sip refused');
  assert.equal(ok.ws.protocol, 'sip');
  await ok.close();
  await assertAlive(o, assert);
});

test('a WebSocket without any subprotocol is refused', async () => {
  assert.equal(await opens({ protocol: [], origin: 'https://evil.example' }), false,
    'upgrade without subprotocol (and a foreign Origin) accepted');
});

test('Origin allow-list: foreign refused; none, localhost, same host and configured accepted', async () => {
  assert.equal(await opens({ origin: 'https://evil.example' }), false, 'evil.example accepted');
  assert.equal(await opens({ origin: 'https://panel.example.com.evil.example' }), false);
  await o.waitLog(/WebSocket from 127\.0\.0\.1 refused: Origin https:\/\/evil\.example not allowed/, 3000);
  const accepted = [
    {},
    { origin: 'https://localhost:8443' },
    { origin: `https://127.0.0.1:${o.httpsPort}` },
    { origin: 'https://gw.example.net', headers: { Host: `gw.example.net:${o.httpsPort}` } },
    { origin: 'https://panel.example.com' },
  ];
  for (const opts of accepted) {
    const p = await tryOpen(opts);
    assert.ok(p, `refused: ${JSON.stringify(opts)}`);
    // And it really speaks SIP.
    p.send(options({ transport: 'WSS', host: p.host }));
    assert.equal((await p.recv()).status, 200);
    await p.close();
  }
});

test('a message over the size limit closes with 1009 and ovoz stays up', async () => {
  const p = await tryOpen({});
  const closed = p.closed;
  p.ws.send(Buffer.alloc(70000, 'A'));
  const r = await within(closed, 3000);
  assert.ok(r, 'connection not closed');
  assert.equal(r.code, 1009);
  await o.waitLog(/message over 65535 bytes/, 3000);
  // Just under the limit is fine (gets an answer or nothing, but no close).
  const q = await tryOpen({});
  const big = options({ transport: 'WSS', host: q.host }).replace('Accept:', `X-Pad: ${'x'.repeat(60000)}\r\nAccept:`);
  q.send(big);
  const ans = await q.recv(3000);
  assert.ok(ans, 'no answer to a 60 kB OPTIONS');
  assert.equal(ans.status, 200);
  await q.close();
  await assertAlive(o, assert);
  const st = await status('1001');
  assert.equal(st.registered, false);
  void rand;
});
