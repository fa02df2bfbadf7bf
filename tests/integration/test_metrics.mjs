// /metrics: Prometheus text behind the admin token, and counters that
// move with real SIP traffic over UDP and WSS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, waitFor, tempDir, freePort } from './lib/ovoz.mjs';
import { WsPeer } from './lib/sip.mjs';
import { udpRegister, wsRegister, udpOptions } from './lib/util.mjs';

let o;
const peers = [];
before(async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'ovoz.ini'), '[security]\nban_failures = 2\n');
  o = await startOvoz({ dir, extraArgs: ['--config', path.join(dir, 'ovoz.ini')] });
  for (const ext of ['1001', '1009']) {
    assert.equal((await o.api('POST', '/api/extensions', { extension: ext, password: `secret${ext}` })).status, 201);
  }
});
after(async () => {
  for (const p of peers) { if (p.ws) p.ws.terminate(); else p.close(); }
  await stopClean(o, assert);
  o.cleanup();
});

/** Parse the exposition text into { 'name{labels}': value }. */
async function scrape() {
  const r = await o.api('GET', '/metrics');
  assert.equal(r.status, 200);
  const out = {};
  for (const l of r.text.split('\n')) {
    if (!l || l.startsWith('#')) continue;
    const m = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(l);
    assert.ok(m, `bad exposition line: ${l}`);
    out[m[1]] = Number(m[2]);
  }
  return out;
}
const v = (m, k) => m[k] ?? 0;

test('401 without or with a wrong token; 200 text/plain with it', async () => {
  for (const tok of [null, 'not-the-token-123456']) {
    const r = await o.api('GET', '/metrics', undefined, tok);
    assert.equal(r.status, 401);
    assert.doesNotMatch(r.text, /ovoz_/);
  }
  const r = await o.api('GET', '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.headers['content-type'], /^text\/plain; version=0\.0\.4/);
  for (const name of ['ovoz_ws_connections', 'ovoz_registered_contacts', 'ovoz_sip_requests_received_total',
    'ovoz_sip_responses_sent_total', 'ovoz_auth_failures_total', 'ovoz_bans_total']) {
    assert.match(r.text, new RegExp(`^# TYPE ${name} (counter|gauge)$`, 'm'), name);
  }
  const m = await scrape();
  assert.ok(v(m, 'ovoz_http_unauthorized_total') >= 2);
});

test('counters move with REGISTERs over UDP and WSS', async () => {
  const m0 = await scrape();
  const u = await udpRegister(o, '1001', 'secret1001');
  peers.push(u.peer);
  assert.equal(u.final.status, 200);
  const bad = await udpRegister(o, '1001', 'wrong-password');
  peers.push(bad.peer);
  assert.equal(bad.final.status, 403);
  assert.equal((await udpOptions(o)).status, 200);
  let m = await scrape();
  assert.equal(v(m, 'ovoz_sip_requests_received_total{method="REGISTER"}') - v(m0, 'ovoz_sip_requests_received_total{method="REGISTER"}'), 4);
  assert.equal(v(m, 'ovoz_sip_requests_received_total{method="OPTIONS"}') - v(m0, 'ovoz_sip_requests_received_total{method="OPTIONS"}'), 1);
  assert.equal(v(m, 'ovoz_sip_responses_sent_total{method="REGISTER",class="2xx"}') - v(m0, 'ovoz_sip_responses_sent_total{method="REGISTER",class="2xx"}'), 1);
  assert.equal(v(m, 'ovoz_sip_responses_sent_total{method="REGISTER",class="4xx"}') - v(m0, 'ovoz_sip_responses_sent_total{method="REGISTER",class="4xx"}'), 3);
  assert.equal(v(m, 'ovoz_sip_responses_sent_total{method="OPTIONS",class="2xx"}') - v(m0, 'ovoz_sip_responses_sent_total{method="OPTIONS",class="2xx"}'), 1);
  assert.equal(v(m, 'ovoz_auth_failures_total') - v(m0, 'ovoz_auth_failures_total'), 1);
  assert.equal(v(m, 'ovoz_registered_contacts{transport="udp"}'), 1);
  assert.equal(v(m, 'ovoz_registered_contacts{transport="wss"}'), 0);

  // WSS: connections gauge, contacts by transport.
  const w = await wsRegister(o, '1001', 'secret1001');
  peers.push(w.peer);
  const idle = await WsPeer.open(o.httpsPort);
  peers.push(idle);
  m = await scrape();
  assert.equal(v(m, 'ovoz_ws_connections'), 2);
  assert.equal(v(m, 'ovoz_ws_connections_total') - v(m0, 'ovoz_ws_connections_total'), 2);
  assert.equal(v(m, 'ovoz_registered_contacts{transport="wss"}'), 1);
  assert.equal(v(m, 'ovoz_registered_contacts{transport="udp"}'), 1);
  await w.peer.close();
  await idle.close();
  await waitFor(async () => v(await scrape(), 'ovoz_ws_connections') === 0, 3000, 'ws gauge back to 0');
  m = await scrape();
  assert.equal(v(m, 'ovoz_registered_contacts{transport="wss"}'), 0);

  // A refused Origin is counted by reason.
  await assert.rejects(WsPeer.open(o.httpsPort, { origin: 'https://evil.example' }));
  m = await scrape();
  assert.equal(v(m, 'ovoz_ws_refused_total{reason="origin"}') - v(m0, 'ovoz_ws_refused_total{reason="origin"}'), 1);

  // Unregister: the gauge drops.
  const un = await udpRegister(o, '1001', 'secret1001', { contact: '*', expires: 0 });
  peers.push(un.peer);
  assert.equal(un.final.status, 200);
  m = await scrape();
  assert.equal(v(m, 'ovoz_registered_contacts{transport="udp"}'), 0);
});

test('malformed SIP is counted as rejected', async () => {
  const m0 = await scrape();
  const { UdpPeer } = await import('./lib/sip.mjs');
  const p = await UdpPeer.open();
  peers.push(p);
  await p.send(o.udpPort, 'INVITE  sip:x@y  SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\n\r\n');
  await p.send(o.udpPort, 'garbage that is not SIP');
  await p.recvRaw(300);
  const m = await scrape();
  assert.ok(v(m, 'ovoz_sip_rejected_total') - v(m0, 'ovoz_sip_rejected_total') >= 1);
});

test('a ban is counted in ovoz_bans_total and ovoz_bans_active', async () => {
  const m0 = await scrape();
  assert.equal(v(m0, 'ovoz_bans_active'), 0);
  // Bans count per source: every attempt from one port.
  const localPort = await freePort();
  for (let i = 0; i < 2; i++) {
    const r = await udpRegister(o, '1009', 'wrong-password', { localPort });
    r.peer.close();
    assert.equal(r.final.status, 403);
  }
  const r = await udpRegister(o, '1009', 'secret1009', { localPort });
  peers.push(r.peer);
  assert.equal(r.final.status, 403);
  assert.match(r.final.raw, /too many failed attempts/);
  const m = await scrape();
  assert.equal(v(m, 'ovoz_bans_total') - v(m0, 'ovoz_bans_total'), 1);
  assert.equal(v(m, 'ovoz_bans_active'), 1);
  assert.ok(v(m, 'ovoz_auth_failures_total') - v(m0, 'ovoz_auth_failures_total') >= 2);
});

test('WebSocket upgrades without the sip subprotocol are refused and counted', async () => {
  const m0 = await scrape();
  const key = 'ovoz_ws_refused_total{reason="subprotocol"}';
  // ['http', 'sip']: lws binds the first name it serves, http, which must
  // not become a WebSocket that skipped the sip checks.
  for (const protocol of [[], 'chat', ['chat', 'superchat'], 'http', 'SIP', ['http', 'sip']]) {
    await assert.rejects(WsPeer.open(o.httpsPort, { protocol }), `subprotocol ${JSON.stringify(protocol)} accepted`);
  }
  await o.waitLog(/WebSocket from 127\.0\.0\.1 refused: no subprotocol \(want sip\)/, 2000);
  await o.waitLog(/WebSocket from 127\.0\.0\.1 refused: subprotocol chat, ?superchat, not sip/, 2000);
  const m = await scrape();
  await o.waitLog(/WebSocket refused: it chose the http subprotocol/, 2000);
  assert.equal(v(m, key) - v(m0, key), 6);
  assert.equal(v(m, 'ovoz_ws_connections_total') - v(m0, 'ovoz_ws_connections_total'), 0);
  // "sip" among others is accepted, and counts nowhere as refused.
  const ok = await WsPeer.open(o.httpsPort, { protocol: ['chat', 'sip'] });
  peers.push(ok);
  assert.equal(ok.ws.protocol, 'sip');
  const m2 = await scrape();
  assert.equal(v(m2, key), v(m, key));
  assert.equal(v(m2, 'ovoz_ws_connections_total') - v(m, 'ovoz_ws_connections_total'), 1);
});
