// Abuse limits: failed-authentication bans per (source, user), per source
// for scanners and per address when nothing from it authenticates, the
// office-NAT exemption, garbage input, and the per-address WebSocket limit.
// Small numbers from an INI config. test_lockout.mjs has the attacks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { startOvoz, stopClean, tempDir, sleep, waitFor } from './lib/ovoz.mjs';
import { UdpPeer, WsPeer, register, registerWithAuth } from './lib/sip.mjs';
import { udpRegister, sqlite, assertAlive, options, within } from './lib/util.mjs';

const BAN_TIME = 5;
let o;
const peers = [];
before(async () => {
  const dir = tempDir();
  const config = path.join(dir, 'ovoz.ini');
  writeFileSync(config, [
    '[security]', 'ban_failures = 3', 'ban_window = 60', `ban_time = ${BAN_TIME}`,
    '[http]', 'ws_max_connections_per_ip = 3', '',
  ].join('\n'));
  o = await startOvoz({ dir, extraArgs: ['--config', config] });
  for (const [ext, pw] of [['1001', 'secret1001'], ['1002', 'secret1002']]) {
    assert.equal((await o.api('POST', '/api/extensions', { extension: ext, password: pw })).status, 201);
  }
});
after(async () => {
  for (const p of peers) { if (p.ws) p.ws.terminate(); else p.close(); }
  await stopClean(o, assert);
  o.cleanup();
});

async function reg(user, password, opts) {
  const r = await udpRegister(o, user, password, opts);
  peers.push(r.peer);
  return r;
}
async function metric(name) {
  const m = (await o.api('GET', '/metrics')).text;
  const line = m.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}
const stored = () => ({
  ext: sqlite(o.db, 'SELECT * FROM extensions ORDER BY extension'),
  loc: sqlite(o.db, 'SELECT extension, contact, transport, source, expires_at FROM locations ORDER BY extension, contact'),
});
const isBanned = (r) => r.final?.status === 403 && /too many failed attempts/.test(r.final.raw);

test('garbage changes nothing stored and ovoz stays up', async () => {
  const before = stored();
  const api = (await o.api('GET', '/api/extensions')).json;
  const peer = await UdpPeer.open();
  peers.push(peer);
  const valid = register({ user: '1001', viaHost: '127.0.0.1', viaPort: peer.port, contact: `<sip:1001@127.0.0.1:${peer.port}>` });
  const junk = [
    randomBytes(1), randomBytes(200), randomBytes(1400), randomBytes(65000), Buffer.alloc(65000, 'A'),
    Buffer.from(valid.slice(0, 40)), Buffer.from(valid.slice(0, valid.length - 30)),
    Buffer.from(valid.replace('Content-Length: 0', 'Content-Length: 500')),
    Buffer.from('SIP/2.0 200 OK\r\n\r\n'), Buffer.from('REGISTER\r\n\r\n'), Buffer.from('\0\0\0\0'),
    Buffer.from(valid.replace(/\r\n/g, '\n')), Buffer.from(`${valid}${randomBytes(300).toString('latin1')}`, 'latin1'),
  ];
  for (let i = 0; i < 50; i++) junk.push(randomBytes(1 + Math.floor(Math.random() * 3000)));
  for (const j of junk) await peer.send(o.udpPort, j);
  await assertAlive(o, assert, 'after UDP garbage');

  // Over WSS: random frames, truncated SIP, and a 70000-byte frame.
  const w = await WsPeer.open(o.httpsPort);
  peers.push(w);
  for (const j of junk.slice(0, 20)) if (j.length < 60000) w.ws.send(j, { binary: true });
  w.send(valid.slice(0, 50));
  w.send(options({ transport: 'WSS', host: w.host }));
  let r;
  while ((r = await w.recv(2000)) && r.status !== 200) { /* skip 400s for the junk */ }
  assert.equal(r?.status, 200, 'WS connection dead after junk frames');
  const closed = w.closed;
  w.ws.send(randomBytes(70000), { binary: true });
  const c = await within(closed, 3000);
  assert.equal(c?.code, 1009);
  await assertAlive(o, assert, 'after WS garbage');
  assert.deepEqual(stored(), before);
  assert.deepEqual((await o.api('GET', '/api/extensions')).json, api);
});

test('max WebSocket connections per address: the 4th is refused; closing one frees a slot', async () => {
  const open = [];
  for (let i = 0; i < 3; i++) { const p = await WsPeer.open(o.httpsPort); peers.push(p); open.push(p); }
  await assert.rejects(WsPeer.open(o.httpsPort), '4th connection accepted');
  await o.waitLog(/WebSocket from 127\.0\.0\.1 refused: 3 connections open \(limit 3\)/, 3000);
  assert.equal(await metric('ovoz_ws_refused_total{reason="per_ip_limit"}'), 1);
  // The three still work.
  for (const p of open) { p.send(options({ transport: 'WSS', host: p.host })); assert.equal((await p.recv())?.status, 200); }
  await open[0].close();
  await waitFor(async () => (await metric('ovoz_ws_connections')) === 2, 3000, 'ws count 2');
  const again = await WsPeer.open(o.httpsPort);
  peers.push(again);
  again.send(options({ transport: 'WSS', host: again.host }));
  assert.equal((await again.recv())?.status, 200);
  for (const p of [open[1], open[2], again]) await p.close();
  await waitFor(async () => (await metric('ovoz_ws_connections')) === 0, 3000, 'ws count 0');
});

test('connections without the sip subprotocol are refused, counted, and take no per-address slot', async () => {
  const key = 'ovoz_ws_refused_total{reason="subprotocol"}';
  const refused0 = await metric(key);
  const accepted = [];
  try {
    for (let i = 0; i < 5; i++) {
      const p = await WsPeer.open(o.httpsPort, { protocol: i % 2 ? 'chat' : [] }).catch(() => null);
      if (p) { accepted.push(p); peers.push(p); }
    }
    assert.equal(accepted.length, 0, `${accepted.length} connections without the sip subprotocol accepted`);
    assert.equal(await metric(key), refused0 + 5, 'every refusal counted');
    // The limit is 3: had the refused ones kept a slot, these would fail.
    const ok = [];
    for (let i = 0; i < 3; i++) { const p = await WsPeer.open(o.httpsPort); peers.push(p); ok.push(p); }
    for (const p of ok) { p.send(options({ transport: 'WSS', host: p.host })); assert.equal((await p.recv())?.status, 200); }
    for (const p of ok) await p.close();
    await waitFor(async () => (await metric('ovoz_ws_connections')) === 0, 3000, 'ws count 0');
  } finally { for (const p of accepted) p.ws.terminate(); }
});

test('unknown-extension scanning from an address that never authenticated bans the address, whatever the port', async () => {
  const bans0 = await metric('ovoz_bans_total');
  const fails0 = await metric('ovoz_auth_failures_total');
  for (const u of ['9001', '9002', '9003']) {
    const r = await reg(u, 'guess-123');
    assert.equal(r.final.status, 403);
  }
  // Now even a real extension with the right password is refused from here.
  const r = await reg('1001', 'secret1001');
  assert.ok(isBanned(r), `not banned: ${r.final?.start}`);
  assert.equal(r.final.status, 403);
  await o.waitLog(/ban #\d+: address 127\.0\.0\.1 refused for 5 s: 3 failed authentications/, 3000);
  assert.equal(await metric('ovoz_bans_total'), bans0 + 1);
  assert.equal(await metric('ovoz_bans_active'), 1);
  assert.ok(await metric('ovoz_auth_failures_total') >= fails0 + 3);
  const a = await o.api('GET', '/api/extensions/1001/attempts?limit=1');
  assert.equal(a.json.attempts[0].status, 403);
  assert.notEqual(a.json.attempts[0].outcome, 'wrong_password');
  assert.equal((await o.api('GET', '/api/extensions/1001/status')).json.registered, false);
  // Still alive for non-REGISTER traffic and REST.
  await assertAlive(o, assert);
  await sleep(BAN_TIME * 1000 + 600);
  const ok = await reg('1001', 'secret1001');
  assert.equal(ok.final.status, 200, `still banned after ban_time: ${ok.final?.start}`);
  assert.equal(await metric('ovoz_bans_active'), 0);
});

/* A full digest REGISTER from @peer (one source port for every attempt). */
async function regFrom(peer, user, password) {
  const { final } = await registerWithAuth(peer, (m) => peer.send(o.udpPort, m), {
    user, password, viaHost: '127.0.0.1', viaPort: peer.port,
    contact: `<sip:${user}@127.0.0.1:${peer.port}>`,
  });
  return final;
}

test('wrong password 3x from one source bans that (source, user) only; other ports and extensions of the NAT still register', async () => {
  // The office: 1002 works from this address first.
  assert.equal((await reg('1002', 'secret1002')).final.status, 200);
  const guesser = await UdpPeer.open();
  peers.push(guesser);
  const bans0 = await metric('ovoz_bans_total');
  for (let i = 0; i < 3; i++) {
    const r = await regFrom(guesser, '1001', 'wrong-password');
    assert.equal(r.status, 403);
    assert.doesNotMatch(r.raw, /too many failed attempts/, `banned after ${i + 1} failures`);
  }
  // The right password is refused now from that source...
  const banned = await regFrom(guesser, '1001', 'secret1001');
  assert.match(banned.raw, /too many failed attempts/, `expected the ban, got ${banned.start}`);
  await o.waitLog(new RegExp(`ban #\\d+: source_extension 127\\.0\\.0\\.1:${guesser.port} for 1001 refused for 5 s`), 3000);
  assert.equal(await metric('ovoz_bans_total'), bans0 + 1);
  // ...but not from another port of the same address (the real phone).
  assert.equal((await reg('1001', 'secret1001')).final.status, 200);
  // The office NAT case: another extension from the same address works.
  const other = await reg('1002', 'secret1002');
  assert.equal(other.final.status, 200, `1002 refused: ${other.final?.start}`);
  // Unknown extensions from this (trusted) address, each from a new port,
  // do not ban it either.
  for (const u of ['9101', '9102', '9103', '9104']) assert.equal((await reg(u, 'guess-123')).final.status, 403);
  assert.equal((await reg('1002', 'secret1002')).final.status, 200);
  const a = await o.api('GET', '/api/extensions/1001/attempts?limit=3');
  assert.ok(a.json.attempts.some((x) => x.outcome === 'banned' && x.status === 403), JSON.stringify(a.json));
  // After ban_time the right password works again from that source.
  await sleep(BAN_TIME * 1000 + 600);
  const ok = await regFrom(guesser, '1001', 'secret1001');
  assert.equal(ok.status, 200, `still banned after ban_time: ${ok.start}`);
  const st = (await o.api('GET', '/api/extensions/1001/status')).json;
  assert.equal(st.registered, true);
});
