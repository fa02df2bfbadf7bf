// Long ringing: Timer B stops at the first provisional (RFC 3261 17.1.1.2),
// so a phone may ring past 64*T1 (32 s) and still be answered; ringing is
// ended by [sip] no_answer_timeout alone, with a CANCEL to every branch.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean } from './lib/ovoz.mjs';
import {
  startWithConfig, extensionMaker, udpUa, wsUa, hangup, callRow, isReq, isResp,
  ackFinal, reply, SDP, collect,
} from './lib/calls.mjs';

const running = new Set();
const uas = new Set();
const track = (ua) => { uas.add(ua); return ua; };

after(async () => {
  for (const ua of uas) { try { await ua.close(); } catch { /* closed */ } }
  for (const o of running) { await stopClean(o, assert); o.cleanup(); }
});

async function start(ini) {
  const o = await startWithConfig(ini);
  running.add(o);
  return o;
}

test('ringing past no_answer_timeout: CANCEL to every branch, 480 to the caller', async () => {
  const o = await start('[sip]\nno_answer_timeout = 5\n');
  const exts = extensionMaker(o, 4100);
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  // The callee on two devices: a UDP phone and a web phone.
  const phone = track(await udpUa(o, b));
  const web = track(await wsUa(o, b));
  const d = await caller.invite(b.ext);
  const inv1 = await phone.expect(isReq('INVITE', d.callId), 3000, 'INVITE at the UDP phone');
  const inv2 = await web.expect(isReq('INVITE', d.callId), 3000, 'INVITE at the web phone');
  const t0 = Date.now();
  await phone.send(reply(inv1, 180, 'Ringing', { toTag: 'p1' }));
  await web.send(reply(inv2, 180, 'Ringing', { toTag: 'w1' }));
  await caller.expect(isResp(180, 'INVITE', d.callId), 3000, '180');
  const [c1, c2] = await Promise.all([
    phone.expect(isReq('CANCEL', d.callId), 9000, 'CANCEL at the UDP phone'),
    web.expect(isReq('CANCEL', d.callId), 9000, 'CANCEL at the web phone'),
  ]);
  const elapsed = Date.now() - t0;
  assert.ok(elapsed > 4000 && elapsed < 8000, `CANCEL after ${elapsed} ms`);
  for (const [ua, inv, can, tag] of [[phone, inv1, c1, 'p1'], [web, inv2, c2, 'w1']]) {
    await ua.send(reply(can, 200, 'OK'));
    await ua.send(reply(inv, 487, 'Request Terminated', { toTag: tag }));
  }
  const r = await caller.expect((m) => m.header('call-id') === d.callId && m.status >= 300, 3000, 'final at caller');
  assert.equal(r.status, 480);
  await ackFinal(caller, d, r);
  assert.deepEqual(await collect(caller, (m) => m.header('call-id') === d.callId && m.status >= 300, 300), []);
  const row = await callRow(o, a.ext, d.callId);
  assert.equal(row.disposition, 'no-answer');
  assert.equal(row.status, 480);
});

test('a call that rings for 45 s (past Timer B) is answered and connects', { timeout: 90000 }, async () => {
  const o = await start('[sip]\nno_answer_timeout = 60\n');
  const exts = extensionMaker(o, 4200);
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  await callee.send(reply(inv, 180, 'Ringing', { toTag: 'lr' }));
  await caller.expect(isResp(180, 'INVITE', d.callId), 3000, '180 at caller');
  // 45 s of ringing: nothing final may reach the caller, no CANCEL the callee.
  const early = await Promise.all([
    collect(caller, (m) => m.header('call-id') === d.callId && m.status >= 200, 45000),
    collect(callee, isReq('CANCEL', d.callId), 45000),
  ]);
  assert.deepEqual(early.map((x) => x.map((m) => m.start)), [[], []]);
  await callee.send(reply(inv, 200, 'OK', { toTag: 'lr', contact: callee.contact, body: SDP('127.0.0.1', 41000) }));
  const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, '200 at caller');
  caller.confirm(d, ok);
  await caller.ack(d);
  await callee.expect(isReq('ACK', d.callId), 3000, 'ACK at callee');
  const row = await callRow(o, a.ext, d.callId, (x) => x.answeredAt);
  const rang = row.answeredAt - row.startedAt; // epoch seconds
  assert.ok(rang >= 44, `answered after ${rang} s of ringing: ${JSON.stringify(row)}`);
  await hangup(caller, d, callee);
  const ended = await callRow(o, a.ext, d.callId);
  assert.equal(ended.disposition, 'answered');
  assert.equal(ended.hangupBy, 'caller');
});
