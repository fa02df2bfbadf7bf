// Forking: one extension registered over WebSocket and over UDP rings on
// both; the first 2xx wins and the other branch gets CANCEL; busy and
// decline on a branch behave as a user expects; a CANCEL from the caller
// reaches every branch. Each test asserts both sides' SIP codes and the
// call-log row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean } from './lib/ovoz.mjs';
import {
  startWithConfig, extensionMaker, udpUa, wsUa, callRow, activeCalls, uasDialog, hangup,
  isReq, isResp, ackFinal, cancel, reply, SDP, collect,
} from './lib/calls.mjs';

let o;
let exts;
const uas = new Set();
const track = (ua) => { uas.add(ua); return ua; };

before(async () => {
  o = await startWithConfig('[sip]\nno_answer_timeout = 30\n');
  exts = extensionMaker(o, 4100);
});

after(async () => {
  for (const ua of uas) { try { await ua.close(); } catch { /* closed */ } }
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

/** Caller (UDP) and the callee extension on a WS and a UDP contact; both ring. */
async function ringBoth() {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const ws = track(await wsUa(o, b));
  const udp = track(await udpUa(o, b));
  const st = (await o.api('GET', `/api/extensions/${b.ext}/status`)).json;
  assert.equal(st.contacts.length, 2, JSON.stringify(st));
  const d = await caller.invite(b.ext);
  const wsInv = await ws.expect(isReq('INVITE', d.callId), 3000, 'INVITE on the WS contact');
  const udpInv = await udp.expect(isReq('INVITE', d.callId), 3000, 'INVITE on the UDP contact');
  await ws.send(reply(wsInv, 180, 'Ringing', { toTag: 'ws1' }));
  await udp.send(reply(udpInv, 180, 'Ringing', { toTag: 'ud1' }));
  await caller.expect(isResp(180, 'INVITE', d.callId), 3000, '180 at caller');
  return { a, b, caller, ws, udp, d, wsInv, udpInv };
}

/** The losing branch gets CANCEL, answers 200 + 487, and gets the ACK. */
async function loserCancelled(ua, inv, tag) {
  const can = await ua.expect(isReq('CANCEL', inv.header('call-id')), 3000, `CANCEL at ${ua.transport}`);
  assert.equal(can.header('cseq'), inv.header('cseq').replace('INVITE', 'CANCEL'));
  await ua.send(reply(can, 200, 'OK'));
  await ua.send(reply(inv, 487, 'Request Terminated', { toTag: tag }));
  await ua.expect(isReq('ACK', inv.header('call-id')), 3000, `ACK for 487 at ${ua.transport}`);
}

async function winnerAnswers(caller, d, ua, inv, tag) {
  await ua.send(reply(inv, 200, 'OK', { toTag: tag, contact: ua.contact, body: SDP('127.0.0.1', 41000) }));
  const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, '200 at caller');
  assert.match(ok.header('to'), new RegExp(`tag=${tag}`));
  caller.confirm(d, ok);
  await caller.ack(d);
  await ua.expect(isReq('ACK', d.callId), 3000, 'ACK at the answering contact');
  return ok;
}

test('fork to WS + UDP contacts: UDP answers, WS gets CANCEL, caller gets exactly one 200', async () => {
  const { a, b, caller, ws, udp, d, wsInv, udpInv } = await ringBoth();
  await winnerAnswers(caller, d, udp, udpInv, 'ud1');
  await loserCancelled(ws, wsInv, 'ws1');
  const extra = await collect(caller, (m) => m.header('call-id') === d.callId && m.status >= 200, 500);
  assert.deepEqual(extra.map((m) => m.start), [], 'no second final response at the caller');
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId)?.calleeTransport, 'udp');
  const [bye] = await hangup(caller, d, udp);
  assert.equal(bye.method, 'BYE');
  assert.deepEqual(await collect(ws, isReq('BYE', d.callId), 200), [], 'the WS contact is not in the dialog');
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.caller, a.ext);
  assert.equal(row.calleeTransport, 'udp');
  assert.equal(row.hangupBy, 'caller');
});

test('fork to WS + UDP contacts: WS answers, UDP gets CANCEL, callee hangs up', async () => {
  const { b, caller, ws, udp, d, wsInv, udpInv } = await ringBoth();
  await winnerAnswers(caller, d, ws, wsInv, 'ws1');
  await loserCancelled(udp, udpInv, 'ud1');
  const extra = await collect(caller, (m) => m.header('call-id') === d.callId && m.status >= 200, 500);
  assert.deepEqual(extra.map((m) => m.start), []);
  const [, byeOk] = await hangup(ws, uasDialog(wsInv, 'ws1'), caller);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.calleeTransport, 'wss');
  assert.equal(row.hangupBy, 'callee');
});

test('fork: one contact busy (486), the other answers: the caller only sees the 200', async () => {
  const { b, caller, ws, udp, d, wsInv, udpInv } = await ringBoth();
  await udp.send(reply(udpInv, 486, 'Busy Here', { toTag: 'ud1' }));
  await udp.expect(isReq('ACK', d.callId), 3000, 'ACK for 486');
  await winnerAnswers(caller, d, ws, wsInv, 'ws1');
  const extra = await collect(caller, (m) => m.header('call-id') === d.callId && m.status >= 300, 300);
  assert.deepEqual(extra.map((m) => m.start), [], 'the 486 is not forwarded');
  await hangup(caller, d, ws);
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.calleeTransport, 'wss');
});

test('fork: both contacts busy: the caller gets 486, row busy/486', async () => {
  const { b, caller, ws, udp, d, wsInv, udpInv } = await ringBoth();
  await udp.send(reply(udpInv, 486, 'Busy Here', { toTag: 'ud1' }));
  await udp.expect(isReq('ACK', d.callId), 3000, 'ACK for 486 (udp)');
  await ws.send(reply(wsInv, 486, 'Busy Here', { toTag: 'ws1' }));
  await ws.expect(isReq('ACK', d.callId), 3000, 'ACK for 486 (ws)');
  const r = await caller.expect((m) => m.header('call-id') === d.callId && m.status >= 300, 3000, 'final');
  assert.equal(r.status, 486);
  await ackFinal(caller, d, r);
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.disposition, 'busy');
  assert.equal(row.status, 486);
});

test('fork: caller CANCELs while both ring: both contacts get CANCEL, caller gets 200 + 487', async () => {
  const { b, caller, ws, udp, d, wsInv, udpInv } = await ringBoth();
  await cancel(caller, d);
  await caller.expect(isResp(200, 'CANCEL', d.callId), 3000, '200 for CANCEL');
  await loserCancelled(ws, wsInv, 'ws1');
  await loserCancelled(udp, udpInv, 'ud1');
  const r = await caller.expect((m) => m.header('call-id') === d.callId && isResp(m.status, 'INVITE')(m) && m.status >= 300, 3000, 'final');
  assert.equal(r.status, 487);
  await ackFinal(caller, d, r);
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.disposition, 'cancelled');
});

test('fork: a 603 decline on one contact ends the call: the other gets CANCEL, the caller 603', async () => {
  const { b, caller, ws, udp, d, wsInv, udpInv } = await ringBoth();
  await ws.send(reply(wsInv, 603, 'Decline', { toTag: 'ws1' }));
  await ws.expect(isReq('ACK', d.callId), 3000, 'ACK for 603');
  await loserCancelled(udp, udpInv, 'ud1');
  const r = await caller.expect((m) => m.header('call-id') === d.callId && m.status >= 300, 3000, 'final');
  assert.equal(r.status, 603);
  await ackFinal(caller, d, r);
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.status, 603);
  assert.ok(['busy', 'failed'].includes(row.disposition), JSON.stringify(row));
});
