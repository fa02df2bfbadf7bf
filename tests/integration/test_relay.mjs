// Ovoz is never an open relay: only dialogs it record-routed, and only
// calls to local registered extensions from authenticated callers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, HOST } from './lib/ovoz.mjs';
import { UdpPeer, registerWithAuth, rand } from './lib/sip.mjs';
import { Ua } from './lib/ua.mjs';

let o, attacker, victim;
before(async () => {
  o = await startOvoz();
  assert.equal((await o.api('POST', '/api/extensions', { extension: '1001', password: 'secret1001' })).status, 201);
  attacker = await UdpPeer.open();
  victim = await UdpPeer.open();
});
after(async () => { attacker.close(); victim.close(); await stopClean(o, assert); o.cleanup(); });

function inDialog(route) {
  return [`BYE sip:x@10.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP ${HOST}:${attacker.port};branch=z9hG4bK${rand(6)};rport`,
    'Max-Forwards: 70', 'From: <sip:a@ovoz.test>;tag=1', 'To: <sip:b@ovoz.test>;tag=2', `Call-ID: ${rand(6)}`,
    'CSeq: 2 BYE', ...(route ? [`Route: ${route}`] : []), 'Content-Length: 0', '', ''].join('\r\n');
}

test('an in-dialog request without our Route is refused, nothing relayed', async () => {
  await attacker.send(o.udpPort, inDialog(null));
  assert.equal((await attacker.recv()).status, 403);
  assert.equal(await victim.recvRaw(300), null);
});

test('a forged Record-Route token (unsigned or wrong MAC) is refused', async () => {
  for (const tok of [`u~127.0.0.1~${victim.port}`, `u~127.0.0.1~${victim.port}.0123456789abcdef`, 'wss-1.0000000000000000']) {
    await attacker.send(o.udpPort, inDialog(`<sip:${HOST}:${o.udpPort};lr;ovoz=${tok}>`));
    const r = await attacker.recv();
    assert.equal(r.status, 403, tok);
  }
  assert.equal(await victim.recvRaw(300), null, 'the victim address received SIP');
});

test('an authenticated caller cannot reach outside domains or unknown users', async () => {
  const peer = await UdpPeer.open();
  const r = await registerWithAuth(peer, (m) => peer.send(o.udpPort, m), {
    user: '1001', password: 'secret1001', viaHost: HOST, viaPort: peer.port, contact: `<sip:1001@${HOST}:${peer.port}>` });
  assert.equal(r.final.status, 200);
  const ua = new Ua({ peer, send: (m) => peer.send(o.udpPort, m), user: '1001', password: 'secret1001', transport: 'UDP' });
  for (const [target, domain, code] of [['998901234567', 'example.com', 403], ['4040', 'ovoz.test', 404]]) {
    ua.domain = domain;
    await ua.invite(target);
    const fin = await ua.expect((m) => m.status >= 200 && /INVITE/.test(m.header('cseq')) && m.status !== 407, 3000, `final for ${target}`);
    assert.equal(fin.status, code, `${target}@${domain}`);
  }
  peer.close();
});

test('an unauthenticated INVITE is challenged, never forwarded', async () => {
  const ua = new Ua({ peer: attacker, send: (m) => attacker.send(o.udpPort, m), user: '1001', password: 'x', transport: 'UDP' });
  await ua.send(ua.request('INVITE', { ruri: 'sip:1001@ovoz.test', to: '<sip:1001@ovoz.test>', callId: rand(6), fromTag: 'a', cseq: 1 }));
  const r = await ua.expect((m) => m.status > 0);
  assert.equal(r.status, 407);
  assert.match(r.header('proxy-authenticate'), /algorithm=MD5/);
});

test('a request that already went through Ovoz three times is a loop (482)', async () => {
  const vias = [1, 2, 3].map((i) => `Via: SIP/2.0/UDP ${HOST}:${o.udpPort};branch=z9hG4bKovz0000000${i}`);
  const msg = ['INVITE sip:1001@ovoz.test SIP/2.0', `Via: SIP/2.0/UDP ${HOST}:${attacker.port};branch=z9hG4bK${rand(6)};rport`,
    ...vias, 'Max-Forwards: 60', 'From: <sip:1001@ovoz.test>;tag=l1', 'To: <sip:1001@ovoz.test>', `Call-ID: ${rand(6)}`,
    'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join('\r\n');
  await attacker.send(o.udpPort, msg);
  const r = await attacker.recv();
  assert.equal(r.status, 482);
});

test('Max-Forwards 0 gets 483 Too Many Hops', async () => {
  const msg = ['INVITE sip:1001@ovoz.test SIP/2.0', `Via: SIP/2.0/UDP ${HOST}:${attacker.port};branch=z9hG4bK${rand(6)};rport`,
    'Max-Forwards: 0', 'From: <sip:1001@ovoz.test>;tag=m0', 'To: <sip:1001@ovoz.test>', `Call-ID: ${rand(6)}`,
    'CSeq: 1 INVITE', 'Content-Length: 0', '', ''].join('\r\n');
  await attacker.send(o.udpPort, msg);
  assert.equal((await attacker.recv()).status, 483);
});
