// JsSIP 3.13 in Node (jssip-node-websocket) against ovoz on its default
// [sip] settings: register, call a sipp UAS, answer a call from baresip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, waitFor } from '../integration/lib/ovoz.mjs';
import { extensionMaker, callRow, activeCalls, sleep } from '../integration/lib/calls.mjs';
import { startBaresip } from '../integration/lib/baresip.mjs';
import { jssipPhone, jssipCall } from './lib/jssip.mjs';
import { sippUas, status, outcomes } from './lib/peers.mjs';

let o;
let exts;
const stops = [];

before(async () => {
  o = await startOvoz();
  exts = extensionMaker(o, 5100);
});

after(async () => {
  for (const s of stops.reverse()) await s();
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

async function registered(e, opts) {
  const p = jssipPhone(o, e, opts);
  stops.push(() => p.stop());
  await p.waitEvent('registered').catch((err) => {
    throw new Error(`${err.message}: events ${p.events} ${p.failures}`);
  });
  return p;
}

test('JsSIP registers: registered event, and /status lists its WSS contact with +sip.instance', async () => {
  const e = await exts.make();
  const p = await registered(e);
  assert.deepEqual(p.events, ['registered']);
  const st = await status(o, e.ext);
  assert.equal(st.registered, true);
  assert.equal(st.contacts[0].transport, 'wss');
  assert.match(st.contacts[0].userAgent, /^JsSIP 3\.13\./);
  // The whole Contact is kept, its last parameter included.
  assert.match(st.contacts[0].contact, /;\+sip\.instance="<urn:uuid:[0-9a-f-]{36}>"$/);
  assert.deepEqual((await outcomes(o, e.ext)).slice(0, 2), ['registered', 'challenged']);
});

test('JsSIP calls a sipp UAS through ovoz: 200, ACK, then its BYE ends the call', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const p = await registered(caller);
  const sipp = await sippUas(o, callee);
  stops.push(() => sipp.stop());
  const { session, events, response } = await jssipCall(p, callee.ext);
  assert.deepEqual(events, ['accepted', 'confirmed'], `sipp:\n${sipp.log().slice(-2000)}`);
  assert.equal(response.status_code, 200);
  assert.match(response.body, /m=audio \d+ RTP\/AVP 0/);
  const callId = session._request.call_id;
  await sleep(200);
  session.terminate();
  await waitFor(() => events.includes('ended'), 3000, 'JsSIP ended');
  const ex = await Promise.race([sipp.done, sleep(5000).then(() => null)]);
  assert.deepEqual(ex, { code: 0, signal: null }, 'sipp saw INVITE, ACK and BYE\n' + sipp.log().slice(-2000));
  const row = await callRow(o, caller.ext, callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.callerTransport, 'wss');
  assert.equal(row.hangupBy, 'caller');
});

test('JsSIP answers a call from baresip; JsSIP hangs up', async () => {
  const callee = await exts.make();
  const caller = await exts.make();
  const p = await registered(callee, { answer: true });
  const bs = await startBaresip(o, { ...caller, args: ['-e', `/dial sip:${callee.ext}@127.0.0.1`] });
  stops.push(() => bs.stop());
  await waitFor(() => p.incoming.length === 1, 8000, 'INVITE from baresip at JsSIP')
    .catch((e) => { throw new Error(`${e.message}\nbaresip:\n${bs.log().slice(-2000)}`); });
  const session = p.incoming[0];
  const events = session.seen;
  await waitFor(() => session.isEstablished() && events.includes('confirmed'), 5000, 'ACK from baresip')
    .catch((e) => { throw new Error(`${e.message}: ${events}\nbaresip:\n${bs.log().slice(-2000)}`); });
  assert.match(session.remote_identity.uri.toString(), new RegExp(`^sip:${caller.ext}@`));
  const callId = session._dialog.id.call_id;
  await sleep(300);
  assert.equal((await activeCalls(o)).find((c) => c.callId === callId)?.state, 'answered');
  session.terminate();
  await waitFor(() => events.includes('ended'), 3000, 'JsSIP ended');
  const row = await callRow(o, callee.ext, callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.caller, caller.ext);
  assert.equal(row.callerTransport, 'udp');
  assert.equal(row.calleeTransport, 'wss');
  assert.equal(row.hangupBy, 'callee');
});
