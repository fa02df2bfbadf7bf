// Every method of issue 3 is routed: MESSAGE and OPTIONS to an extension
// out of dialog (authenticated, forked), and UPDATE, REFER
// and NOTIFY inside a dialog, both ways between WSS and UDP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, HOST } from './lib/ovoz.mjs';
import { WsPeer, UdpPeer, registerWithAuth, digestAuth, parseChallenge, rand } from './lib/sip.mjs';
import { Ua, reply, SDP } from './lib/ua.mjs';

let o, ws, udp, browser, phone;
before(async () => {
  o = await startOvoz();
  for (const [e, p] of [['1001', 'secret1001'], ['2001', 'secret2001']])
    assert.equal((await o.api('POST', '/api/extensions', { extension: e, password: p })).status, 201);
  udp = await UdpPeer.open();
  assert.equal((await registerWithAuth(udp, (m) => udp.send(o.udpPort, m), { user: '1001', password: 'secret1001',
    viaHost: HOST, viaPort: udp.port, contact: `<sip:1001@${HOST}:${udp.port}>` })).final.status, 200);
  ws = await WsPeer.open(o.httpsPort);
  assert.equal((await registerWithAuth(ws, async (m) => ws.send(m), { user: '2001', password: 'secret2001', alg: 'MD5',
    transport: 'WSS', viaHost: ws.host, contact: `<sip:2001@${ws.host};transport=ws>` })).final.status, 200);
  browser = new Ua({ peer: ws, send: async (m) => ws.send(m), user: '2001', password: 'secret2001', transport: 'WSS' });
  phone = new Ua({ peer: udp, send: (m) => udp.send(o.udpPort, m), user: '1001', password: 'secret1001', transport: 'UDP' });
});
after(async () => { udp.close(); await ws.close(); await stopClean(o, assert); o.cleanup(); });

/** Out-of-dialog @method from @ua to @target through the 407 dance. */
async function outOfDialog(ua, method, target, body = '') {
  const d = { callId: rand(8), fromTag: rand(4), ruri: `sip:${target}@ovoz.test`, to: `<sip:${target}@ovoz.test>` };
  const req = (cseq, auth) => ua.request(method, { ...d, cseq, auth, body })
    .replace('Content-Type: application/sdp', 'Content-Type: text/plain');
  await ua.send(req(1));
  const ch = await ua.expect((m) => m.status === 407 && m.header('call-id') === d.callId, 3000, '407');
  const auth = digestAuth({ ch: parseChallenge(ch.header('proxy-authenticate')), user: ua.user,
    password: ua.password, method, uri: d.ruri });
  await ua.send(req(2, auth));
  return d;
}

test('MESSAGE from the browser reaches the phone and its 200 comes back', async () => {
  const d = await outOfDialog(browser, 'MESSAGE', '1001', 'hello from the web phone');
  const m = await phone.expect((x) => x.method === 'MESSAGE', 3000, 'MESSAGE at phone');
  assert.equal(m.body, 'hello from the web phone');
  await phone.send(reply(m, 200, 'OK'));
  const ok = await browser.expect((x) => x.status === 200 && x.header('call-id') === d.callId, 3000, '200');
  assert.match(ok.header('cseq'), /MESSAGE/);
});

test('OPTIONS to an extension is routed to its phone', async () => {
  const d = await outOfDialog(browser, 'OPTIONS', '1001');
  const m = await phone.expect((x) => x.method === 'OPTIONS', 3000, 'OPTIONS at phone');
  await phone.send(reply(m, 200, 'OK', { extra: ['Allow: INVITE, ACK, BYE'] }));
  const ok = await browser.expect((x) => x.status === 200 && x.header('call-id') === d.callId, 3000, '200');
  assert.equal(ok.header('allow'), 'INVITE, ACK, BYE');
});

test('UPDATE, REFER and NOTIFY inside a dialog pass both ways', async () => {
  const d = await browser.invite('1001');
  const inv = await phone.expect((m) => m.method === 'INVITE', 3000, 'INVITE');
  await phone.send(reply(inv, 200, 'OK', { toTag: 'pt', contact: phone.contact, body: SDP('127.0.0.1', 43000) }));
  const ok = await browser.expect((m) => m.status === 200 && /INVITE/.test(m.header('cseq')), 3000, '200');
  browser.confirm(d, ok);
  await browser.ack(d);
  await phone.expect((m) => m.method === 'ACK', 3000, 'ACK');
  // Browser -> phone.
  for (const method of ['UPDATE', 'REFER']) {
    await browser.inDialog(method, d);
    const r = await phone.expect((m) => m.method === method, 3000, `${method} at phone`);
    await phone.send(reply(r, method === 'REFER' ? 202 : 200, method === 'REFER' ? 'Accepted' : 'OK'));
    const fin = await browser.expect((m) => m.status >= 200 && new RegExp(method).test(m.header('cseq')), 3000, `${method} answer`);
    assert.equal(fin.status, method === 'REFER' ? 202 : 200);
  }
  // Phone -> browser, along the route set it learnt from the INVITE.
  const pd = { callId: inv.header('call-id'), fromTag: 'pt', to: inv.header('from'),
    remote: /<([^>]+)>/.exec(inv.header('contact'))[1],
    routes: inv.headers('record-route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim())) };
  const notify = phone.request('NOTIFY', { ruri: pd.remote, to: pd.to, callId: pd.callId, fromTag: pd.fromTag, cseq: 7, routes: pd.routes })
    .replace(/^From: .*$/m, `From: ${inv.header('to')};tag=pt`)
    .replace('Content-Length: 0', 'Event: refer\r\nSubscription-State: terminated\r\nContent-Length: 0');
  await phone.send(notify);
  const n = await browser.expect((m) => m.method === 'NOTIFY', 3000, 'NOTIFY at browser');
  assert.equal(n.header('event'), 'refer');
  await browser.send(reply(n, 200, 'OK'));
  await phone.expect((m) => m.status === 200 && /NOTIFY/.test(m.header('cseq')), 3000, '200 for NOTIFY');
  await browser.inDialog('BYE', d);
  const bye = await phone.expect((m) => m.method === 'BYE', 3000, 'BYE');
  await phone.send(reply(bye, 200, 'OK'));
  await browser.expect((m) => m.status === 200 && /BYE/.test(m.header('cseq')), 3000, '200 for BYE');
});
