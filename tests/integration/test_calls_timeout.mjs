// An answered call whose BYE never comes (a phone that crashed) does not
// stay "active" forever: after [sip] max_call_duration it is closed in the
// call log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, HOST, tempDir, waitFor } from './lib/ovoz.mjs';
import { WsPeer, UdpPeer, registerWithAuth } from './lib/sip.mjs';
import { Ua, reply, SDP } from './lib/ua.mjs';

let o;
before(async () => {
  const dir = tempDir();
  writeFileSync(path.join(dir, 'ovoz.ini'), '[sip]\nmax_call_duration = 2\n');
  o = await startOvoz({ dir, extraArgs: ['--config', path.join(dir, 'ovoz.ini')] });
  for (const [e, p] of [['1001', 'secret1001'], ['2001', 'secret2001']])
    assert.equal((await o.api('POST', '/api/extensions', { extension: e, password: p })).status, 201);
});
after(async () => { await stopClean(o, assert); o.cleanup(); });

test('a call without BYE is closed in the log after max_call_duration', async () => {
  const udp = await UdpPeer.open();
  assert.equal((await registerWithAuth(udp, (m) => udp.send(o.udpPort, m), { user: '1001', password: 'secret1001',
    viaHost: HOST, viaPort: udp.port, contact: `<sip:1001@${HOST}:${udp.port}>` })).final.status, 200);
  const ws = await WsPeer.open(o.httpsPort);
  assert.equal((await registerWithAuth(ws, async (m) => ws.send(m), { user: '2001', password: 'secret2001', alg: 'MD5',
    transport: 'WSS', viaHost: ws.host, contact: `<sip:2001@${ws.host};transport=ws>` })).final.status, 200);
  const caller = new Ua({ peer: ws, send: async (m) => ws.send(m), user: '2001', password: 'secret2001', transport: 'WSS' });
  const callee = new Ua({ peer: udp, send: (m) => udp.send(o.udpPort, m), user: '1001', password: 'secret1001', transport: 'UDP' });
  const d = await caller.invite('1001');
  const inv = await callee.expect((m) => m.method === 'INVITE', 3000, 'INVITE');
  await callee.send(reply(inv, 200, 'OK', { toTag: 'nb', contact: callee.contact, body: SDP('127.0.0.1', 44000) }));
  const ok = await caller.expect((m) => m.status === 200 && /INVITE/.test(m.header('cseq')), 3000, '200');
  caller.confirm(d, ok);
  await caller.ack(d);
  const active = (await o.api('GET', '/api/calls/active')).json.calls;
  assert.equal(active.length, 1);
  // No BYE ever: the sweep closes it.
  await waitFor(async () => (await o.api('GET', '/api/calls/active')).json.calls.length === 0, 6000, 'call closed');
  const row = (await o.api('GET', '/api/calls?extension=1001')).json.calls[0];
  assert.equal(row.callId, d.callId);
  assert.equal(row.disposition, 'answered');
  assert.ok(row.endedAt >= row.answeredAt);
  assert.equal(row.hangupBy, null);
  assert.match(o.logs, /call 2001 -> 1001: no BYE after 2 s, closed in the log/);
  udp.close();
  await ws.close();
});
