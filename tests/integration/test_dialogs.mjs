// Dialogs belong to their parties: an in-dialog request is routed only for
// a dialog Ovoz knows, only between its two parties, and only from where
// each party really is. Record-Route tokens are bound to their call and die
// with it; a token for a contact that has unregistered reaches nobody.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean } from './lib/ovoz.mjs';
import { UdpPeer, rand, registerWithAuth } from './lib/sip.mjs';
import { Ua } from './lib/ua.mjs';
import {
  startWithConfig, extensionMaker, udpUa, establish, hangup, activeCalls, isReq, collect,
} from './lib/calls.mjs';

let o, exts;
const uas = new Set();
const track = (ua) => { uas.add(ua); return ua; };

before(async () => {
  o = await startWithConfig('');
  exts = extensionMaker(o, 5100);
});
after(async () => {
  for (const ua of uas) { try { await ua.close(); } catch { /* closed */ } }
  await stopClean(o, assert);
  o.cleanup();
});

/** A stranger on another port that copies a party's dialog state. */
async function stranger(asUser) {
  const peer = await UdpPeer.open();
  const ua = track(new Ua({ peer, send: (m) => peer.send(o.udpPort, m), user: asUser, password: 'x', transport: 'UDP' }));
  ua.close = () => peer.close();
  return ua;
}

async function finalFor(ua, callId, method) {
  return ua.expect((m) => m.status >= 200 && m.header('call-id') === callId &&
    (m.header('cseq') ?? '').endsWith(` ${method}`), 3000, `final for ${method}`);
}

test('a replayed route set from a stranger cannot hang up a call', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d, cd } = await establish(caller, callee, b.ext);
  // The stranger has seen the caller's dialog (Call-ID, tags, Route set).
  const evil = await stranger(a.ext);
  await evil.inDialog('BYE', { ...d });
  assert.equal((await finalFor(evil, d.callId, 'BYE')).status, 403);
  assert.deepEqual(await collect(callee, isReq('BYE', d.callId), 500), [], 'the forged BYE reached the callee');
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId)?.state, 'answered');
  // Posing as the callee does not work either.
  const evil2 = await stranger(b.ext);
  await evil2.inDialog('BYE', { ...cd });
  assert.equal((await finalFor(evil2, d.callId, 'BYE')).status, 403);
  assert.deepEqual(await collect(caller, isReq('BYE', d.callId), 500), []);
  // The real parties still talk, and the real BYE ends the call.
  await hangup(caller, d, callee);
  assert.equal((await activeCalls(o)).find((c) => c.callId === d.callId), undefined);
  assert.match(o.logs, /BYE in dialog \S+ from u~127\.0\.0\.1~\d+: 403, the caller's tag from somewhere the caller is not/);
});

test('after BYE the dialog is gone: a replay gets 481 and reaches nobody', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d } = await establish(caller, callee, b.ext);
  await hangup(caller, d, callee);
  const cseq = caller.cseq;
  await caller.inDialog('INVITE', d);
  const r = await caller.expect((m) => m.header('cseq') === `${cseq} INVITE` && m.status >= 200, 3000, 'final');
  assert.equal(r.status, 481);
  assert.deepEqual(await collect(callee, isReq('INVITE', d.callId), 500), []);
});

test('a Record-Route token is bound to its call: another Call-ID is refused', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d } = await establish(caller, callee, b.ext);
  const other = { ...d, callId: rand(8) };
  const cseq = caller.cseq;
  await caller.inDialog('INFO', other);
  const r = await caller.expect((m) => m.header('cseq') === `${cseq} INFO` && m.status >= 200, 3000, 'final');
  assert.equal(r.status, 403);
  assert.deepEqual(await collect(callee, isReq('INFO', other.callId), 500), []);
  await hangup(caller, d, callee);
});

test('a callee that unregistered mid-call is reached by nobody, not even with its token', async () => {
  const a = await exts.make(); const b = await exts.make();
  const caller = track(await udpUa(o, a));
  const callee = track(await udpUa(o, b));
  const { d } = await establish(caller, callee, b.ext);
  // The callee's phone unregisters its contact (Expires: 0, with digest).
  const r0 = await registerWithAuth(callee.peer, callee.send, {
    user: b.ext, password: b.password, viaHost: '127.0.0.1', viaPort: callee.peer.port,
    contact: callee.contact, expires: 0,
  });
  assert.equal(r0.final.status, 200);
  assert.equal((await o.api('GET', `/api/extensions/${b.ext}/status`)).json.registered, false);
  const cseq = caller.cseq;
  await caller.inDialog('INVITE', d);
  const r = await caller.expect((m) => m.header('cseq') === `${cseq} INVITE` && m.status >= 200, 3000, 'final');
  assert.equal(r.status, 481);
  assert.deepEqual(await collect(callee, isReq('INVITE', d.callId), 500), [], 'sent to the old contact');
});
