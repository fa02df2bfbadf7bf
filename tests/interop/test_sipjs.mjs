// SIP.js 0.21.2 (the web phone's library) in Node against ovoz on its
// default [sip] settings: register, a wrong password, unregister, a call
// to a sipp UAS, and registering again by itself after ovoz restarts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, waitFor } from '../integration/lib/ovoz.mjs';
import { extensionMaker, callRow, sleep } from '../integration/lib/calls.mjs';
import { sipjsPhone, sipjsCall, RegistererState, SessionState } from './lib/sipjs.mjs';
import { sippUas, status, outcomes, waitRegistered } from './lib/peers.mjs';

let o;
let exts;
const stops = [];

before(async () => {
  o = await startOvoz();
  exts = extensionMaker(o, 4100);
});

after(async () => {
  for (const s of stops.reverse()) await s();
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

async function phone(e, opts) {
  const p = await sipjsPhone(o, e, opts);
  stops.push(() => p.stop());
  return p;
}

test('SIP.js registers: Registered, and /status lists its WSS contact', async () => {
  const e = await exts.make();
  const p = await phone(e);
  await p.register();
  await p.waitState(RegistererState.Registered);
  assert.deepEqual(p.states, [RegistererState.Registered]);
  const st = await status(o, e.ext);
  assert.equal(st.registered, true);
  assert.equal(st.contacts[0].transport, 'wss');
  // 0.21.2 still names itself 0.21.1 (its version.js).
  assert.match(st.contacts[0].userAgent, /^SIP\.js\/0\.21\./);
  assert.deepEqual((await outcomes(o, e.ext)).slice(0, 2), ['registered', 'challenged']);
});

test('SIP.js with a wrong password: 403, not registered, /attempts say wrong_password', async () => {
  const e = await exts.make();
  const p = await phone({ ext: e.ext, password: 'not-' + e.password });
  await p.register();
  await waitFor(() => p.rejected.length > 0, 5000, 'SIP.js rejection');
  assert.deepEqual(p.rejected, [403]);
  assert.equal(p.registerer.state, RegistererState.Unregistered);
  assert.equal((await status(o, e.ext)).registered, false);
  assert.deepEqual((await outcomes(o, e.ext)).slice(0, 2), ['wrong_password', 'challenged']);
});

test('SIP.js unregisters: Unregistered, and /status shows no contact', async () => {
  const e = await exts.make();
  const p = await phone(e);
  await p.register();
  await waitRegistered(o, e.ext);
  await p.registerer.unregister();
  await p.waitState(RegistererState.Unregistered);
  await waitRegistered(o, e.ext, 3000, false);
  assert.deepEqual((await status(o, e.ext)).contacts, []);
  assert.equal((await outcomes(o, e.ext))[0], 'unregistered');
});

test('SIP.js calls a sipp UAS through ovoz: 200, ACK, then its BYE ends the call', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const p = await phone(caller);
  await p.register();
  await p.waitState(RegistererState.Registered);
  const sipp = await sippUas(o, callee);
  stops.push(() => sipp.stop());
  const { inviter, finals } = await sipjsCall(p, callee.ext)
    .catch((err) => { throw new Error(`${err.message}\nsipp:\n${sipp.log().slice(-2000)}`); });
  assert.equal(inviter.state, SessionState.Established, `finals ${finals}\nsipp:\n${sipp.log().slice(-2000)}`);
  assert.deepEqual(finals, [200]);
  const callId = inviter.request.callId;
  await sleep(200);
  await inviter.bye();
  await waitFor(() => inviter.state === SessionState.Terminated, 5000, 'SIP.js Terminated');
  const ex = await Promise.race([sipp.done, sleep(5000).then(() => null)]);
  assert.deepEqual(ex, { code: 0, signal: null }, 'sipp saw INVITE, ACK and BYE\n' + sipp.log().slice(-2000));
  const row = await callRow(o, caller.ext, callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.callerTransport, 'wss');
  assert.equal(row.calleeTransport, 'udp');
  assert.equal(row.hangupBy, 'caller');
});

test('SIP.js reconnects by itself and registers again after ovoz restarts', async () => {
  const e = await exts.make();
  const p = await phone(e);
  // As an application does: register again whenever the transport
  // (re)connects. SIP.js itself reconnects (reconnectionAttempts/Delay).
  let connects = 0;
  p.ua.delegate = { onConnect: () => { connects++; p.register().catch(() => {}); } };
  await p.register();
  await waitRegistered(o, e.ext);
  const { dir, udpPort, httpsPort, token } = o;
  await stopClean(o, assert);
  o = null;
  await waitFor(() => !p.ua.isConnected(), 3000, 'SIP.js to see the connection drop');
  o = await startOvoz({ dir, udpPort, httpsPort, token });
  await waitRegistered(o, e.ext, 10000);
  assert.ok(connects >= 1, `onConnect ran ${connects} times`);
  assert.equal(p.ua.isConnected(), true);
  const st = await status(o, e.ext);
  assert.equal(st.contacts.length, 1);
  assert.equal(st.contacts[0].transport, 'wss');
});
