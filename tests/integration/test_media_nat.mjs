// UDP phones behind NAT: a phone whose SDP names an address nobody
// listens on (a loopback alias that is not where its packets come from)
// gets audio both ways through Ovoz with [media] relay_udp = auto, because
// Ovoz relays and sends to where the phone's RTP really comes from. With
// relay_udp = never (and with auto when nobody is behind NAT) SDP passes
// unchanged.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean, freePort, waitFor } from './lib/ovoz.mjs';
import {
  startWithConfig, extensionMaker, udpUa, hangup, callRow, activeCalls,
  isReq, isResp, reply, uasDialog, rand, sleep,
} from './lib/calls.mjs';
import { rtpPhone, sdpAudio, payloads } from './lib/media.mjs';

let o;
let exts;
const cleanups = [];

const sdp = (addr, port) => [
  'v=0', `o=- ${Date.now()} 1 IN IP4 ${addr}`, 's=-', `c=IN IP4 ${addr}`, 't=0 0',
  `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', '',
].join('\r\n');

async function start(relay) {
  const lo = await freePort();
  return startWithConfig(`[media]\nrelay_udp = ${relay}\nrtp_ports = ${lo}-${lo + 40}\n`);
}

before(async () => {
  o = await start('auto');
  exts = extensionMaker(o, 4300);
});

after(async () => {
  for (const c of cleanups.reverse()) { try { await c(); } catch { /* gone */ } }
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

/**
 * Phone A calls phone B through @ovoz; A's SDP names @aAddr, B's @bAddr
 * (their RTP sockets are really on 127.0.0.1); B registers with a Contact
 * on @bNat when given. Returns both dialogs, phones and the SDP each saw.
 */
async function udpCall(ovoz, mk, { aAddr = '127.0.0.1', bAddr = '127.0.0.1', bNat } = {}) {
  const a = await mk.make(); const b = await mk.make();
  const caller = await udpUa(ovoz, a);
  const callee = await udpUa(ovoz, b, bNat ? { nat: `${bNat}:${await freePort()}` } : {});
  const pa = await rtpPhone(); const pb = await rtpPhone();
  cleanups.push(() => caller.close(), () => callee.close(), () => pa.close(), () => pb.close());
  const offer = sdp(aAddr, pa.port);
  const answer = sdp(bAddr, pb.port);
  const d = await caller.invite(b.ext, { body: offer });
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at B');
  const toTag = rand(4);
  await callee.send(reply(inv, 200, 'OK', { toTag, contact: callee.contact, body: answer }));
  const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, '200 at A');
  caller.confirm(d, ok);
  await caller.ack(d);
  await callee.expect(isReq('ACK', d.callId), 3000, 'ACK at B');
  return {
    a, b, caller, callee, pa, pb, d, cd: uasDialog(inv, toTag), offer, answer, inv, ok,
    toA: sdpAudio(ok.body), toB: sdpAudio(inv.body),
  };
}

/** The NATed phone (@natted 'a' or 'b') speaks first, so that Ovoz
 * learns where it really is; then both talk at once. */
async function talk(c, natted) {
  const N = 30;
  const nat = natted === 'a' ? { ph: c.pa, to: c.toA } : { ph: c.pb, to: c.toB };
  const other = natted === 'a' ? { ph: c.pb, to: c.toB } : { ph: c.pa, to: c.toA };
  await nat.ph.send(nat.to, 5, 'warm');
  await sleep(100);
  await Promise.all([nat.ph.send(nat.to, N, 'nat'), other.ph.send(other.to, N, 'other')]);
  await waitFor(async () => other.ph.got.length >= N + 5 && nat.ph.got.length >= N, 3000, 'the payloads')
    .catch(() => { /* the assertions below say what is missing */ });
  await sleep(100);
  // Byte for byte, in order, both ways.
  assert.deepEqual(other.ph.got, [...payloads('warm', 5), ...payloads('nat', N)]);
  assert.deepEqual(nat.ph.got, payloads('other', N));
  // Each phone hears Ovoz's relay port, never the other phone directly.
  assert.deepEqual([...c.pa.from], [`127.0.0.1:${c.toA.port}`]);
  assert.deepEqual([...c.pb.from], [`127.0.0.1:${c.toB.port}`]);
}

test('relay_udp = auto: the caller\'s SDP names 127.0.0.99, audio still flows both ways', async () => {
  const c = await udpCall(o, exts, { aAddr: '127.0.0.99' });
  // Ovoz relays: each phone is told Ovoz's address, not the other's.
  assert.equal(c.toB.addr, '127.0.0.1');
  assert.notEqual(c.toB.port, c.pa.port);
  assert.equal(c.toA.addr, '127.0.0.1');
  assert.notEqual(c.toA.port, c.pb.port);
  assert.doesNotMatch(c.inv.body, /127\.0\.0\.99/);
  await talk(c, 'a');
  // The stats are a snapshot the media thread refreshes each second.
  let m;
  await waitFor(async () => {
    const live = (await activeCalls(o)).find((x) => x.callId === c.d.callId);
    m = live?.media?.find((x) => x.answered);
    return m?.caller.rxPackets >= 35;
  }, 4000, 'media stats').catch(() => {});
  assert.equal(m?.caller.kind, 'rtp', JSON.stringify(m));
  assert.equal(m.caller.peer, `127.0.0.1:${c.pa.port}`, 'latched onto the real source: ' + JSON.stringify(m));
  await hangup(c.caller, c.d, c.callee);
  assert.equal((await callRow(o, c.a.ext, c.d.callId)).hangupBy, 'caller');
});

test('relay_udp = auto: a callee registered and answering from a NATed address gets audio both ways', async () => {
  const c = await udpCall(o, exts, { bAddr: '127.0.0.98', bNat: '127.0.0.98' });
  assert.equal(c.toA.addr, '127.0.0.1');
  assert.notEqual(c.toA.port, c.pb.port);
  assert.doesNotMatch(c.ok.body, /127\.0\.0\.98/);
  await talk(c, 'b');
  await hangup(c.callee, c.cd, c.caller);
  assert.equal((await callRow(o, c.a.ext, c.d.callId)).hangupBy, 'callee');
});

test('relay_udp = auto without NAT, and relay_udp = never with NAT: SDP passes unchanged', async () => {
  const c = await udpCall(o, exts);
  assert.equal(c.inv.body, c.offer);
  assert.equal(c.ok.body, c.answer);
  const live = (await activeCalls(o)).find((x) => x.callId === c.d.callId);
  assert.equal(live?.state, 'answered', JSON.stringify(live));
  assert.deepEqual(live.media ?? [], [], 'not relayed');
  await hangup(c.caller, c.d, c.callee);

  const never = await start('never');
  try {
    const mk = extensionMaker(never, 4400);
    const n = await udpCall(never, mk, { aAddr: '127.0.0.99' });
    assert.equal(n.inv.body, n.offer);
    assert.equal(n.ok.body, n.answer);
    await hangup(n.caller, n.d, n.callee);
  } finally {
    await stopClean(never, assert);
    never.cleanup();
  }
});
