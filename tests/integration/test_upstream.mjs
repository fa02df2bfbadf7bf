// Upstream mode: Ovoz A is an edge proxy in front of a UDP registrar (a
// second Ovoz, B). A WebSocket client registers with B through A (Path),
// and a UDP phone registered at B calls it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, HOST, tempDir, freePort, sleep } from './lib/ovoz.mjs';
import { UdpPeer, WsPeer, registerWithAuth } from './lib/sip.mjs';
import { Ua, reply, SDP } from './lib/ua.mjs';

let a, b;
before(async () => {
  b = await startOvoz({ realm: 'pbx.test' });
  for (const e of ['1001', '5001'])
    assert.equal((await b.api('POST', '/api/extensions', { extension: e, password: `secret${e}` })).status, 201);
  const dir = tempDir();
  writeFileSync(path.join(dir, 'ovoz.ini'), `[upstream]\naddress = ${HOST}:${b.udpPort}\n`);
  a = await startOvoz({ dir, realm: 'edge.test', extraArgs: ['--config', path.join(dir, 'ovoz.ini')] });
});
after(async () => { await stopClean(a, assert); await stopClean(b, assert); a.cleanup(); b.cleanup(); });

test('a WebSocket client registers with the upstream through the edge, with Path', async () => {
  const ws = await WsPeer.open(a.httpsPort);
  const r = await registerWithAuth(ws, async (m) => ws.send(m), {
    user: '5001', password: 'secret5001', alg: 'MD5', transport: 'WSS', viaHost: ws.host,
    domain: 'pbx.test', contact: `<sip:5001@${ws.host};transport=ws>` });
  assert.equal(r.challenge.status, 401);
  assert.match(r.challenge.header('www-authenticate'), /realm="pbx\.test"/, 'the upstream challenged');
  assert.equal(r.final.status, 200);
  assert.match(r.final.header('path'), /ovoz=wss-1\./, 'the registrar echoed our Path');
  // B sees the contact, reached through A.
  const st = (await b.api('GET', '/api/extensions/5001/status')).json;
  assert.equal(st.registered, true);
  assert.equal(st.contacts[0].source, `127.0.0.1:${a.udpPort}`);
  // A registered nothing itself.
  assert.equal((await a.api('GET', '/api/extensions')).json.extensions.length, 0);

  // A UDP phone at B calls the browser.
  const phone = await UdpPeer.open();
  const pr = await registerWithAuth(phone, (m) => phone.send(b.udpPort, m), {
    user: '1001', password: 'secret1001', domain: 'pbx.test', viaHost: HOST, viaPort: phone.port, contact: `<sip:1001@${HOST}:${phone.port}>` });
  assert.equal(pr.final.status, 200);
  const caller = new Ua({ peer: phone, send: (m) => phone.send(b.udpPort, m), user: '1001', password: 'secret1001', transport: 'UDP', domain: 'pbx.test' });
  const callee = new Ua({ peer: ws, send: async (m) => ws.send(m), user: '5001', password: 'secret5001', transport: 'WSS', domain: 'pbx.test' });
  const d = await caller.invite('5001');
  const inv = await callee.expect((m) => m.method === 'INVITE', 3000, 'INVITE at the browser');
  assert.match(inv.start, /^INVITE sip:5001@[0-9a-f]+\.invalid;transport=ws SIP\/2\.0/);
  await callee.send(reply(inv, 200, 'OK', { toTag: 'ws1', contact: callee.contact, body: SDP('127.0.0.1', 42000) }));
  const ok = await caller.expect((m) => m.status === 200 && /INVITE/.test(m.header('cseq')), 3000, '200 at the phone');
  caller.confirm(d, ok);
  await caller.ack(d);
  await callee.expect((m) => m.method === 'ACK', 3000, 'ACK at the browser');
  // The browser hangs up: BYE goes browser -> A -> B -> phone.
  const bd = { callId: inv.header('call-id'), fromTag: 'ws1', to: inv.header('from'),
    remote: /<([^>]+)>/.exec(inv.header('contact'))[1],
    routes: inv.headers('record-route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim())) };
  await callee.send(callee.request('BYE', { ruri: bd.remote, to: bd.to, callId: bd.callId, fromTag: bd.fromTag, cseq: 1, routes: bd.routes })
    .replace(/^From: .*$/m, `From: ${inv.header('to')};tag=ws1`));
  const bye = await caller.expect((m) => m.method === 'BYE', 3000, 'BYE at the phone');
  await caller.send(reply(bye, 200, 'OK'));
  await callee.expect((m) => m.status === 200 && /BYE/.test(m.header('cseq')), 3000, '200 for BYE at the browser');
  await sleep(100);
  const calls = (await b.api('GET', '/api/calls?extension=5001')).json.calls;
  assert.equal(calls[0].disposition, 'answered');
  assert.equal(calls[0].hangupBy, 'callee');
  phone.close();
  await ws.close();
});
