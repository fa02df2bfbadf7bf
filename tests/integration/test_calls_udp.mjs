// Calls with UDP on at least one side: a sipp UAS, baresip auto-answering,
// CANCEL before answer, 486 busy, the no-answer timeout, 2xx
// retransmission and Timer A retransmission of the INVITE by ovoz.
// Each test asserts the SIP codes both sides see and the call-log row.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { stopClean, freePort, tempDir, waitFor, SOURCE_ROOT } from './lib/ovoz.mjs';
import {
  startWithConfig, extensionMaker, udpUa, wsUa, establish, hangup, callRow, activeCalls,
  isReq, isResp, ackFinal, cancel, reply, SDP, rand, sleep, collect,
} from './lib/calls.mjs';
import { startBaresip } from './lib/baresip.mjs';
import { rmSync } from 'node:fs';

let o;
let exts;
const uas = new Set();
const procs = new Set(); // { stop() } of sipp / baresip
const track = (ua) => { uas.add(ua); return ua; };

before(async () => {
  o = await startWithConfig('[sip]\nno_answer_timeout = 5\n');
  exts = extensionMaker(o, 3100);
});

after(async () => {
  for (const p of procs) await p.stop();
  for (const ua of uas) { try { await ua.close(); } catch { /* closed */ } }
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

/** Run sipp with @args in a temp dir; { done (exit promise), log(), stop() }. */
function runSipp(args) {
  const dir = tempDir('sipp-');
  const p = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  p.stdout.on('data', (d) => { log += d; });
  p.stderr.on('data', (d) => { log += d; });
  const done = new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
  const h = {
    pid: p.pid, done, log: () => log,
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      await done;
      rmSync(dir, { recursive: true, force: true });
      procs.delete(h);
    },
  };
  procs.add(h);
  return h;
}

test('UDP calls UDP: sipp UAS registers with digest, answers, caller hangs up', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const port = await freePort();
  const cid = 'sipp-' + rand(8);
  const sipp = runSipp([`127.0.0.1:${o.udpPort}`, '-sf', path.join(SOURCE_ROOT, 'tests/integration/sipp/register_uas.xml'),
    '-m', '1', '-s', b.ext, '-au', b.ext, '-ap', b.password, '-i', '127.0.0.1', '-p', String(port),
    '-mi', '127.0.0.1', '-mp', String(port + 2), '-cid_str', cid, '-nostdin', '-aa', '-timeout', '20s', '-timeout_error']);
  try {
    await waitFor(async () => (await o.api('GET', `/api/extensions/${b.ext}/status`)).json?.registered, 5000, 'sipp REGISTER')
      .catch((e) => { throw new Error(`${e.message}\n${sipp.log().slice(-2000)}`); });
    const st = (await o.api('GET', `/api/extensions/${b.ext}/status`)).json;
    assert.equal(st.contacts[0].source, `127.0.0.1:${port}`);
    // sipp maps messages to its call by Call-ID: reuse the REGISTER's.
    const d = await caller.invite(b.ext, { callId: cid });
    const ring = await caller.expect(isResp(180, 'INVITE', cid), 3000, '180');
    const ok = await caller.expect(isResp(200, 'INVITE', cid), 3000, '200');
    assert.equal(ring.status, 180);
    assert.match(ok.body, /m=audio \d+ RTP\/AVP 0/);
    // sipp copied both Record-Routes; the caller sees them too.
    assert.equal(ok.headers('record-route').join(',').match(/ovoz=/g)?.length, 2, ok.headers('record-route').join(','));
    caller.confirm(d, ok);
    await caller.ack(d);
    await sleep(200);
    assert.equal((await activeCalls(o)).find((c) => c.callId === cid)?.state, 'answered');
    const byeCseq = caller.cseq;
    await caller.inDialog('BYE', d);
    const byeOk = await caller.expect((m) => isResp(200, 'BYE', cid)(m) && m.header('cseq') === `${byeCseq} BYE`, 3000, 'BYE 200');
    assert.equal(byeOk.status, 200);
    const ex = await Promise.race([sipp.done, sleep(5000).then(() => null)]);
    assert.deepEqual(ex, { code: 0, signal: null }, 'sipp scenario passed\n' + sipp.log().slice(-3000));
    const row = await callRow(o, b.ext, cid);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.callerTransport, 'udp');
    assert.equal(row.calleeTransport, 'udp');
    assert.equal(row.hangupBy, 'caller');
    assert.ok(row.answeredAt && row.endedAt, JSON.stringify(row));
  } finally {
    await sipp.stop();
  }
});

test('UDP phones behind NAT (private Via/Contact) are reached at their source address, both ways', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a, { nat: '192.168.1.50:5060' }));
  const callee = track(await udpUa(o, b, { nat: '10.0.0.7:5062' }));
  const st = (await o.api('GET', `/api/extensions/${b.ext}/status`)).json;
  assert.equal(st.contacts[0].source, `127.0.0.1:${callee.peer.port}`);
  const { d, cd, inv } = await establish(caller, callee, b.ext);
  assert.match(inv.headers('record-route').join(','), new RegExp(`u~127\\.0\\.0\\.1~${caller.peer.port}`));
  assert.equal(cd.remote, `sip:${a.ext}@192.168.1.50:5060`);
  // In-dialog requests go to the source addresses, not the private Contacts.
  await reinviteQuick(callee, cd, caller);
  const [bye, byeOk] = await hangup(callee, cd, caller);
  assert.equal(bye.method, 'BYE');
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, a.ext, d.callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'callee');
  assert.equal(row.callerTransport, 'udp');
  assert.equal(row.calleeTransport, 'udp');
});

async function reinviteQuick(x, xd, y) {
  const cseq = x.cseq;
  await x.inDialog('INVITE', xd, { body: SDP('127.0.0.1', 41002) });
  const inv = await y.expect(isReq('INVITE', xd.callId), 3000, 're-INVITE');
  await y.send(reply(inv, 200, 'OK', { contact: y.contact, body: SDP('127.0.0.1', 40002) }));
  await x.expect((m) => isResp(200, 'INVITE', xd.callId)(m) && m.header('cseq') === `${cseq} INVITE`, 3000, 're-INVITE 200');
  await x.send(x.request('ACK', { ruri: xd.remote, to: xd.to, callId: xd.callId, fromTag: xd.fromTag, cseq, routes: xd.routes }));
  await y.expect(isReq('ACK', xd.callId), 3000, 're-INVITE ACK');
}

test('CANCEL before answer: caller gets 200 (CANCEL) and 487, callee gets CANCEL and an ACK for its 487', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  await callee.send(reply(inv, 180, 'Ringing', { toTag: 'c1' }));
  await caller.expect(isResp(180, 'INVITE', d.callId), 3000, '180');
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId)?.state !== undefined, true);
  await cancel(caller, d);
  const cOk = await caller.expect(isResp(200, 'CANCEL', d.callId), 3000, '200 for CANCEL');
  assert.equal(cOk.header('cseq'), `${d.cseq} CANCEL`);
  const can = await callee.expect(isReq('CANCEL', d.callId), 3000, 'CANCEL at callee');
  assert.equal(can.header('via').split(/[;,]/)[0] + can.header('via').match(/branch=[^;,\s]+/)[0],
    inv.header('via').split(/[;,]/)[0] + inv.header('via').match(/branch=[^;,\s]+/)[0], 'CANCEL matches the INVITE branch');
  await callee.send(reply(can, 200, 'OK'));
  await callee.send(reply(inv, 487, 'Request Terminated', { toTag: 'c1' }));
  const ack = await callee.expect(isReq('ACK', d.callId), 3000, 'ACK for 487 at callee');
  assert.equal(ack.header('cseq'), inv.header('cseq').replace('INVITE', 'ACK'));
  const r487 = await caller.expect(isResp(487, 'INVITE', d.callId), 3000, '487 at caller');
  await ackFinal(caller, d, r487);
  const row = await callRow(o, a.ext, d.callId);
  assert.equal(row.disposition, 'cancelled');
  assert.equal(row.callerTransport, 'wss');
  assert.ok(!row.answeredAt, JSON.stringify(row));
  assert.ok(row.endedAt, JSON.stringify(row));
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId), undefined);
});

test('486 busy: caller gets 486, ovoz ACKs the 486 towards the callee, row busy/486', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const trying = await caller.expect(isResp(100, 'INVITE', d.callId), 3000, '100 Trying');
  assert.equal(trying.status, 100);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  await callee.send(reply(inv, 486, 'Busy Here', { toTag: 'bz' }));
  const ack = await callee.expect(isReq('ACK', d.callId), 3000, 'ACK for 486 at callee');
  assert.match(ack.header('via'), new RegExp(inv.header('via').match(/branch=([^;,\s]+)/)[1]));
  const busy = await caller.expect(isResp(486, 'INVITE', d.callId), 3000, '486 at caller');
  await ackFinal(caller, d, busy);
  const row = await callRow(o, b.ext, d.callId);
  assert.equal(row.disposition, 'busy');
  assert.equal(row.status, 486);
  assert.ok(row.endedAt && !row.answeredAt, JSON.stringify(row));
});

test('no answer: after no_answer_timeout = 5 s the caller gets 480 and the callee a CANCEL', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  const t0 = Date.now();
  await callee.send(reply(inv, 180, 'Ringing', { toTag: 'na' }));
  await caller.expect(isResp(180, 'INVITE', d.callId), 3000, '180');
  const can = await callee.expect(isReq('CANCEL', d.callId), 8000, 'CANCEL at callee');
  const elapsed = Date.now() - t0;
  assert.ok(elapsed > 4000 && elapsed < 7000, `CANCEL after ${elapsed} ms`);
  await callee.send(reply(can, 200, 'OK'));
  await callee.send(reply(inv, 487, 'Request Terminated', { toTag: 'na' }));
  const r = await caller.expect((m) => m.header('call-id') === d.callId && m.status >= 300, 3000, 'final at caller');
  assert.equal(r.status, 480);
  await ackFinal(caller, d, r);
  await callee.expect(isReq('ACK', d.callId), 3000, 'ACK for 487');
  // Exactly one final response reaches the caller (the 487 is absorbed).
  assert.deepEqual(await collect(caller, (m) => m.header('call-id') === d.callId && m.status >= 300, 300), []);
  const row = await callRow(o, a.ext, d.callId);
  assert.equal(row.disposition, 'no-answer');
  assert.equal(row.status, 480);
  assert.ok(row.endedAt && !row.answeredAt, JSON.stringify(row));
});

test('2xx retransmission over UDP: the callee sends its 200 twice, the caller gets it twice', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  const ok200 = reply(inv, 200, 'OK', { toTag: 'rx', contact: callee.contact, body: SDP('127.0.0.1', 41000) });
  await callee.send(ok200);
  const first = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, 'first 200');
  await sleep(500);
  await callee.send(ok200);
  const second = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, 'retransmitted 200');
  assert.equal(second.raw, first.raw, 'the same 200 forwarded again');
  caller.confirm(d, first);
  await caller.ack(d);
  await callee.expect(isReq('ACK', d.callId), 3000, 'ACK');
  const [, byeOk] = await hangup(caller, d, callee);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, a.ext, d.callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'caller');
  assert.equal(row.calleeTransport, 'udp');
});

test('Timer A: ovoz retransmits an unanswered INVITE to a UDP callee after ~T1', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await wsUa(o, a));
  const callee = track(await udpUa(o, b));
  const d = await caller.invite(b.ext);
  const inv1 = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE');
  const t0 = Date.now();
  const inv2 = await callee.expect(isReq('INVITE', d.callId), 2000, 'INVITE retransmission');
  const dt = Date.now() - t0;
  assert.ok(dt > 350 && dt < 1000, `retransmitted after ${dt} ms`);
  assert.equal(inv2.raw, inv1.raw, 'same request');
  await callee.send(reply(inv2, 180, 'Ringing', { toTag: 'ta' }));
  await callee.send(reply(inv2, 200, 'OK', { toTag: 'ta', contact: callee.contact, body: SDP('127.0.0.1', 41000) }));
  const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, '200');
  caller.confirm(d, ok);
  await caller.ack(d);
  await callee.expect(isReq('ACK', d.callId), 3000, 'ACK');
  // No further copies once a response arrived.
  assert.deepEqual(await collect(callee, isReq('INVITE', d.callId), 1200), []);
  const [, byeOk] = await hangup(caller, d, callee);
  assert.equal(byeOk.status, 200);
  const row = await callRow(o, a.ext, d.callId);
  assert.equal(row.disposition, 'answered');
});

test('baresip (answermode=auto) registered as 1001 answers a WS call', async () => {
  const password = 'baresip-' + rand(4);
  assert.equal((await o.api('POST', '/api/extensions', { extension: '1001', password })).status, 201);
  const a = await exts.make();
  const caller = track(await wsUa(o, a));
  const bs = await startBaresip(o, { ext: '1001', password });
  procs.add(bs);
  try {
    const d = await caller.invite('1001');
    const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 5000, '200 from baresip')
      .catch((e) => { throw new Error(`${e.message}\nbaresip:\n${bs.log().slice(-2000)}`); });
    assert.match(ok.body, /m=audio \d+ RTP\/AVP 0/);
    assert.match(ok.header('user-agent') ?? ok.header('server') ?? '', /baresip/i);
    caller.confirm(d, ok);
    await caller.ack(d);
    await sleep(300);
    assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId)?.state, 'answered');
    const cseq = caller.cseq;
    await caller.inDialog('BYE', d);
    const byeOk = await caller.expect((m) => isResp(200, 'BYE', d.callId)(m) && m.header('cseq') === `${cseq} BYE`, 3000, 'BYE 200');
    assert.equal(byeOk.status, 200);
    const row = await callRow(o, a.ext, d.callId);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.callee, '1001');
    assert.equal(row.callerTransport, 'wss');
    assert.equal(row.calleeTransport, 'udp');
    assert.equal(row.hangupBy, 'caller');
  } finally {
    await bs.stop();
    procs.delete(bs);
  }
});
