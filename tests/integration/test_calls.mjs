// Calls through the proxy between WebSocket (SIP.js-like) and UDP UAs:
// every direction, hang-up from each side, in-dialog re-INVITE and INFO,
// who may call (407/403/404/480), and a kill -9 in the middle of a call.
// Each test asserts the SIP codes both sides see and the call-log row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean, startOvoz } from './lib/ovoz.mjs';
import {
  startWithConfig, extensionMaker, udpUa, wsUa, bareUdpUa, establish, hangup, callRow,
  activeCalls, isReq, isResp, ackFinal, reply, SDP, rand, sleep,
} from './lib/calls.mjs';

let o;
let exts;
const uas = new Set();
const track = (ua) => { uas.add(ua); return ua; };

before(async () => {
  o = await startWithConfig('[sip]\nno_answer_timeout = 30\n');
  exts = extensionMaker(o, 2100);
});

after(async () => {
  for (const ua of uas) { try { await ua.close(); } catch { /* already closed */ } }
  if (o && !o.exited) await stopClean(o, assert);
  o?.cleanup();
});

function assertAnswered(row, { caller, callee, callerTransport, calleeTransport, hangupBy }) {
  assert.equal(row.caller, caller);
  assert.equal(row.callee, callee);
  assert.equal(row.callerTransport, callerTransport);
  assert.equal(row.calleeTransport, calleeTransport);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.status, 200);
  assert.equal(row.hangupBy, hangupBy);
  assert.ok(row.startedAt > 0 && row.answeredAt >= row.startedAt, JSON.stringify(row));
  assert.ok(row.endedAt >= row.answeredAt, JSON.stringify(row));
  assert.equal(typeof row.duration, 'number');
}

test('WS calls UDP: answered, then hung up by the caller', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d, inv, ack, ok } = await establish(caller, callee, b.ext);
  // The callee sees two Record-Routes with ovoz tokens, one per leg.
  const rr = inv.headers('record-route').join(',');
  assert.match(rr, /ovoz=u~127\.0\.0\.1~\d+/);
  assert.match(rr, /ovoz=wss-\d+/);
  assert.equal(ok.status, 200);
  assert.equal(ack.method, 'ACK');
  const act = await activeCalls(o);
  const live = act.find((c) => c.callId === d.callId);
  assert.ok(live, 'in /api/calls/active while talking: ' + JSON.stringify(act));
  assert.equal(live.state, 'answered');
  assert.equal(live.calleeTransport, 'udp');
  const [bye, byeOk] = await hangup(caller, d, callee);
  assert.equal(bye.method, 'BYE');
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, a.ext, d.callId);
  assertAnswered(row, { caller: a.ext, callee: b.ext, callerTransport: 'wss', calleeTransport: 'udp', hangupBy: 'caller' });
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId), undefined);
});

test('WS calls UDP: hung up by the callee (BYE reaches the .invalid WS contact via the Route token)', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d, cd } = await establish(caller, callee, b.ext);
  assert.match(cd.remote, /\.invalid;transport=ws$/);
  const [bye, byeOk] = await hangup(callee, cd, caller);
  assert.equal(bye.method, 'BYE');
  assert.match(bye.start, /^BYE sip:\S+\.invalid;transport=ws SIP\/2\.0$/);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, b.ext, d.callId);
  assertAnswered(row, { caller: a.ext, callee: b.ext, callerTransport: 'wss', calleeTransport: 'udp', hangupBy: 'callee' });
});

test('UDP calls WS: answered, re-INVITE and INFO, hung up by the callee (WS)', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await wsUa(o, b));
  const { d, cd, inv } = await establish(caller, callee, b.ext);
  assert.match(inv.start, /^INVITE sip:\S+\.invalid;transport=ws SIP\/2\.0$/);
  // In-dialog both ways across the WS callee too.
  await reinvite(callee, cd, caller);
  await info(caller, d, callee);
  const [, byeOk] = await hangup(callee, cd, caller);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, a.ext, d.callId);
  assertAnswered(row, { caller: a.ext, callee: b.ext, callerTransport: 'udp', calleeTransport: 'wss', hangupBy: 'callee' });
});

test('WS calls WS (two connections): answered, hung up by the caller', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await wsUa(o, b));
  const { d, inv } = await establish(caller, callee, b.ext);
  const rr = inv.headers('record-route').join(',');
  assert.equal((rr.match(/ovoz=wss-\d+/g) ?? []).length, 2, rr);
  const [, byeOk] = await hangup(caller, d, callee);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, b.ext, d.callId);
  assertAnswered(row, { caller: a.ext, callee: b.ext, callerTransport: 'wss', calleeTransport: 'wss', hangupBy: 'caller' });
});

const HOLD = SDP('127.0.0.1', 40000).replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=sendonly');
const HELD = SDP('127.0.0.1', 41000).replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=recvonly');

/** re-INVITE (hold) from @x (dialog @xd) to @y; ACKed; returns what @y saw. */
async function reinvite(x, xd, y) {
  const cseq = x.cseq;
  await x.inDialog('INVITE', xd, { body: HOLD });
  const inv = await y.expect(isReq('INVITE', xd.callId), 3000, 're-INVITE');
  assert.match(inv.header('to'), /;tag=/, 're-INVITE is in-dialog');
  assert.match(inv.body, /a=sendonly/);
  await y.send(reply(inv, 200, 'OK', { contact: y.contact, body: HELD }));
  const ok = await x.expect((m) => isResp(200, 'INVITE', xd.callId)(m) && m.header('cseq') === `${cseq} INVITE`, 3000, 're-INVITE 200');
  assert.match(ok.body, /a=recvonly/);
  await x.send(x.request('ACK', { ruri: xd.remote, to: xd.to, callId: xd.callId, fromTag: xd.fromTag, cseq, routes: xd.routes }));
  const ack = await y.expect(isReq('ACK', xd.callId), 3000, 're-INVITE ACK');
  assert.equal(ack.header('cseq'), `${cseq} ACK`);
  return inv;
}

async function info(x, xd, y) {
  const cseq = x.cseq;
  await x.inDialog('INFO', xd, { body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
  const inf = await y.expect(isReq('INFO', xd.callId), 3000, 'INFO');
  assert.equal(inf.header('content-type'), 'application/dtmf-relay');
  assert.match(inf.body, /Signal=5/);
  await y.send(reply(inf, 200, 'OK'));
  const ok = await x.expect((m) => isResp(200, 'INFO', xd.callId)(m) && m.header('cseq') === `${cseq} INFO`, 3000, 'INFO 200');
  assert.equal(ok.status, 200);
}

test('re-INVITE (hold) and INFO (dtmf-relay) pass through both ways (WS caller, UDP callee)', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d, cd } = await establish(caller, callee, b.ext);
  await reinvite(caller, d, callee);
  await reinvite(callee, cd, caller);
  await info(caller, d, callee);
  await info(callee, cd, caller);
  const [, byeOk] = await hangup(caller, d, callee);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, a.ext, d.callId);
  assertAnswered(row, { caller: a.ext, callee: b.ext, callerTransport: 'wss', calleeTransport: 'udp', hangupBy: 'caller' });
});

test('unauthenticated INVITE gets 407 (MD5 challenge first); a wrong password gets 403', async () => {
  const a = await exts.make(); const b = await exts.make();
  const callee = track(await udpUa(o, b));
  const caller = track(await bareUdpUa(o, a.ext, a.password));
  const d = await caller.invite(b.ext);
  assert.equal(d.first407.status, 407);
  assert.ok(d.challenges.length >= 1);
  assert.equal(d.challenges[0].algorithm ?? 'MD5', 'MD5');
  assert.equal(d.challenges[0].realm, 'ovoz.test');
  // Authenticated from an unregistered socket: the call goes through.
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  await callee.send(reply(inv, 486, 'Busy Here', { toTag: 'b1' }));
  const busy = await caller.expect(isResp(486, 'INVITE', d.callId), 3000, '486');
  await ackFinal(caller, d, busy);

  const liar = track(await bareUdpUa(o, a.ext, 'not-the-password'));
  const d2 = await liar.invite(b.ext);
  const r = await liar.expect((m) => m.header('call-id') === d2.callId && m.status >= 300 && m.status !== 407, 3000, 'final');
  assert.equal(r.status, 403);
  await ackFinal(liar, d2, r);
  assert.equal(await callee.expect(isReq('INVITE', d2.callId), 300).catch(() => null), null, 'no INVITE reaches the callee');
  const rows = (await o.api('GET', `/api/calls?extension=${a.ext}`)).json.calls;
  assert.equal(rows.find((c) => c.callId === d2.callId), undefined, 'refused INVITE is not a call');
});

test('INVITE to an unknown extension gets 404, to an unregistered one 480, to an outside domain 403', async () => {
  const a = await exts.make(); const offline = await exts.make();
  const caller = track(await udpUa(o, a));
  const final = async (d) => {
    const r = await caller.expect((m) => m.header('call-id') === d.callId && m.status >= 300 && m.status !== 407, 3000, 'final');
    await ackFinal(caller, d, r);
    return r;
  };
  const d404 = await caller.invite('7777');
  assert.equal((await final(d404)).status, 404);
  const d480 = await caller.invite(offline.ext);
  assert.equal((await final(d480)).status, 480);
  const d403 = await caller.invite('998901234567', { domain: 'example.com' });
  assert.equal((await final(d403)).status, 403);
  assert.deepEqual((await activeCalls(o)).filter((c) => [d404, d480, d403].some((d) => d.callId === c.callId)), []);
});

// The callee's WebSocket closing ends the call (hung up by the callee) and
// its dialog: a later BYE towards it gets 481.
test('a WS callee whose connection closes ends the call; BYE towards it gets 481', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = await wsUa(o, b);
  const { d } = await establish(caller, callee, b.ext);
  await callee.close();
  await sleep(200);
  const cseq = caller.cseq;
  await caller.inDialog('BYE', d);
  const r = await caller.expect((m) => m.header('cseq') === `${cseq} BYE` && m.status >= 200, 3000, 'final for BYE');
  assert.equal(r.status, 481);
  const row = await callRow(o, a.ext, d.callId, (x) => x.endedAt, 1500);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'callee');
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId), undefined, 'call still listed as active');
});

test('a WS caller that disconnects while ringing: the callee gets CANCEL at once', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = await wsUa(o, a);
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  try {
    await callee.send(reply(inv, 180, 'Ringing', { toTag: 'gone' }));
    await sleep(100);
    await caller.close();
    const can = await callee.expect(isReq('CANCEL', d.callId), 2000, 'CANCEL after the caller left');
    await callee.send(reply(can, 200, 'OK'));
    const row = await callRow(o, a.ext, d.callId, (x) => x.endedAt, 1500);
    assert.ok(['cancelled', 'failed'].includes(row.disposition), JSON.stringify(row));
  } finally {
    // End the branch either way so the fork does not outlive the test.
    await callee.send(reply(inv, 487, 'Request Terminated', { toTag: 'gone' }));
    await sleep(100);
  }
});

// Last: it restarts ovoz (same dir, db and ports); after() stops the new one.
test('kill -9 during an answered call: the next start closes the cut call as failed', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d } = await establish(caller, callee, b.ext);
  const live = (await activeCalls(o)).find((c) => c.callId === d.callId);
  assert.equal(live?.state, 'answered');
  await sleep(1100); // let the clock tick so endedAt > answeredAt is possible
  await o.kill9();
  const { dir, udpPort, httpsPort, token } = o;
  o = await startOvoz({ dir, udpPort, httpsPort, token, extraArgs: ['--config', `${dir}/ovoz.ini`] });
  const row = await callRow(o, a.ext, d.callId, (r) => r.endedAt);
  assert.equal(row.disposition, 'failed');
  assert.ok(row.endedAt >= row.answeredAt, JSON.stringify(row));
  assert.equal(row.answeredAt > 0, true);
  assert.deepEqual(await activeCalls(o), []);
});
