// Media through a real ovoz: a browser-like endpoint (tests/media/webrtc_peer:
// libnice full ICE, DTLS, SRTP) calls over WSS a plain RTP phone on UDP.
// Asserts the audio payloads arrive byte for byte both ways with Ovoz as
// DTLS server and as DTLS client, the live media stats, and that Ovoz ends
// the call itself on a wrong fingerprint and when the browser goes silent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean, freePort, waitFor } from './lib/ovoz.mjs';
import {
  startWithConfig, extensionMaker, udpUa, wsUa, hangup, callRow, activeCalls,
  isReq, isResp, reply, uasDialog, rand, sleep,
} from './lib/calls.mjs';
import { startPeer, rtpPhone, sdpAudio, payloads, hex, havePeer } from './lib/media.mjs';

const skip = havePeer() ? false : 'webrtc_peer not built';
let o;
let exts;
const cleanups = [];

before(async () => {
  if (skip) return;
  const lo = await freePort();
  o = await startWithConfig(`[media]\nrtp_timeout = 5\nrtp_ports = ${lo}-${lo + 40}\n`);
  exts = extensionMaker(o, 4100);
});

after(async () => {
  for (const c of cleanups.reverse()) { try { await c(); } catch { /* gone */ } }
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

/**
 * The peer (with @args) calls a UDP phone over WSS; the phone answers with
 * its RTP socket. Returns { peer, phone, caller, callee, d, cd, inv, ok }.
 */
async function call(args) {
  const a = await exts.make(); const b = await exts.make();
  const caller = await wsUa(o, a);
  const callee = await udpUa(o, b);
  const peer = await startPeer(args);
  const phone = await rtpPhone();
  cleanups.push(() => caller.close(), () => callee.close(), () => phone.close(), () => peer.stop());
  const d = await caller.invite(b.ext, { body: peer.offer });
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at the phone');
  // The phone gets plain RTP from Ovoz, not the browser's offer.
  assert.match(inv.body, /m=audio \d+ RTP\/AVP 0/);
  assert.doesNotMatch(inv.body, /a=fingerprint|a=ice-ufrag/);
  const toTag = rand(4);
  const body = [
    'v=0', 'o=- 7 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
    `m=audio ${phone.port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '',
  ].join('\r\n');
  await callee.send(reply(inv, 200, 'OK', { toTag, contact: callee.contact, body }));
  const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, '200 at the browser');
  assert.match(ok.body, /m=audio \d+ UDP\/TLS\/RTP\/SAVPF 0/);
  caller.confirm(d, ok);
  await caller.ack(d);
  await callee.expect(isReq('ACK', d.callId), 3000, 'ACK at the phone');
  peer.answer(ok.body);
  return { peer, phone, caller, callee, d, cd: uasDialog(inv, toTag), inv, ok, ovozToPhone: sdpAudio(inv.body), a, b };
}

async function audioBothWays(setup, ovozSetup) {
  const N = 40;
  const c = await call(['--setup', setup, '--count', String(N)]);
  assert.match(c.ok.body, new RegExp(`^a=setup:${ovozSetup}\\r?$`, 'm'));
  assert.equal(c.ovozToPhone.addr, '127.0.0.1');
  await c.peer.waitLine(/^(connected|failed)$/, 8000);
  assert.ok(c.peer.lines().includes('connected'), c.peer.log());
  await sleep(200);
  await c.phone.send(c.ovozToPhone, N);
  await c.peer.waitLine(/^sent \d+$/, 5000);
  await waitFor(async () => c.peer.rx().length >= N && c.phone.got.length >= N, 3000, 'the payloads')
    .catch(() => { /* the assertions below say what is missing */ });
  await sleep(100);
  // Byte for byte, in order, nothing lost or added, both ways.
  assert.deepEqual(c.peer.rx(), payloads('phone', N).map(hex), c.peer.log());
  assert.deepEqual(c.phone.got, payloads('peer', N));
  assert.deepEqual([...c.phone.from], [`127.0.0.1:${c.ovozToPhone.port}`], 'RTP comes from the port Ovoz announced');
  return c;
}

test('browser (actpass) -> UDP phone: Ovoz is DTLS server, payloads arrive both ways; live media stats', { skip }, async () => {
  const c = await audioBothWays('actpass', 'passive');
  // The stats are a snapshot the media thread refreshes: wait for it.
  let live;
  await waitFor(async () => {
    live = (await activeCalls(o)).find((x) => x.callId === c.d.callId);
    const s = live?.media?.find((x) => x.answered);
    return s && s.caller.rxPackets >= 40 && s.callee.rxPackets >= 40;
  }, 4000, 'media stats').catch(() => {});
  const m = live?.media?.find((x) => x.answered);
  assert.ok(m, 'relayed media in the active call: ' + JSON.stringify(live));
  assert.equal(m.caller.kind, 'webrtc');
  assert.equal(m.callee.kind, 'rtp');
  for (const side of [m.caller, m.callee]) {
    assert.ok(side.rxPackets >= 40 && side.txPackets >= 40, JSON.stringify(m));
    assert.ok(side.rxBytes > side.rxPackets * 8, JSON.stringify(m));
    assert.equal(side.lost, 0, JSON.stringify(m));
    assert.ok(side.jitterMs >= 0 && side.jitterMs < 1000, JSON.stringify(m));
    assert.equal(side.dropped, 0, JSON.stringify(m));
  }
  assert.equal(m.callee.peer, `127.0.0.1:${c.phone.port}`, JSON.stringify(m));
  const [bye, byeOk] = await hangup(c.caller, c.d, c.callee);
  assert.equal(bye.method, 'BYE');
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, c.a.ext, c.d.callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'caller');
  assert.deepEqual(await c.peer.stop(), { code: 0, signal: null }, c.peer.log());
});

test('browser (passive) -> UDP phone: Ovoz is DTLS client, payloads arrive both ways', { skip }, async () => {
  const c = await audioBothWays('passive', 'active');
  await hangup(c.callee, c.cd, c.caller);
  const row = await callRow(o, c.a.ext, c.d.callId);
  assert.equal(row.hangupBy, 'callee');
  assert.deepEqual(await c.peer.stop(), { code: 0, signal: null }, c.peer.log());
});

/** Both sides get Ovoz's BYE within @ms and answer it. */
async function byeFromOvoz(c, ms) {
  const [b1, b2] = await Promise.all([
    c.caller.expect(isReq('BYE', c.d.callId), ms, 'BYE at the browser'),
    c.callee.expect(isReq('BYE', c.d.callId), ms, 'BYE at the phone'),
  ]);
  await c.caller.send(reply(b1, 200, 'OK'));
  await c.callee.send(reply(b2, 200, 'OK'));
}

test('a wrong fingerprint in the browser\'s SDP: Ovoz ends the call, BYE to both', { skip }, async () => {
  const c = await call(['--bad-fingerprint', '--count', '10']);
  await byeFromOvoz(c, 8000).catch((e) => { throw new Error(`${e.message}\n${c.peer.log()}\n${o.logs.slice(-3000)}`); });
  assert.equal(c.phone.got.length, 0, 'nothing reaches the phone: ' + c.phone.got);
  const row = await callRow(o, c.a.ext, c.d.callId);
  assert.equal(row.hangupBy, 'ovoz', JSON.stringify(row));
  assert.match(row.reason ?? '', /DTLS|fingerprint/i, JSON.stringify(row));
  assert.deepEqual(await c.peer.stop(), { code: 0, signal: null }, c.peer.log());
});

test('a browser that goes silent: Ovoz ends the call after rtp_timeout', { skip }, async () => {
  const c = await call(['--count', '1000', '--stop-after-ms', '1500']);
  await c.peer.waitLine(/^connected$/, 8000);
  await c.phone.send(c.ovozToPhone, 25);
  await c.peer.waitLine(/^silent$/, 5000);
  const t0 = Date.now();
  // Still up right after the silence began.
  assert.ok((await activeCalls(o)).some((x) => x.callId === c.d.callId));
  await byeFromOvoz(c, 12000).catch((e) => { throw new Error(`${e.message}\n${o.logs.slice(-3000)}`); });
  assert.ok(Date.now() - t0 >= 2500, 'not before the timeout');
  const row = await callRow(o, c.a.ext, c.d.callId);
  assert.equal(row.hangupBy, 'ovoz', JSON.stringify(row));
  assert.equal(row.disposition, 'answered');
  assert.match(row.reason ?? '', /media timeout|consent/i, JSON.stringify(row));
  assert.ok(c.phone.got.length > 10, 'audio flowed before the silence');
  assert.deepEqual(await c.peer.stop(), { code: 0, signal: null }, c.peer.log());
});
