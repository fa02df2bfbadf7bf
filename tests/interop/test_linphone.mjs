// linphonec 5.1 (Debian 12 linphone-cli) against ovoz on its default [sip]
// settings: register, and call baresip through ovoz. linphonec runs
// headless: its own HOME and config file, no sound card, video off,
// commands piped to its stdin (see startLinphone in lib/peers.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, waitFor } from '../integration/lib/ovoz.mjs';
import { extensionMaker, callRow, activeCalls, sleep } from '../integration/lib/calls.mjs';
import { startBaresip } from '../integration/lib/baresip.mjs';
import { startLinphone, status, outcomes, waitRegistered } from './lib/peers.mjs';

let o;
let exts;
const stops = [];

before(async () => {
  o = await startOvoz();
  exts = extensionMaker(o, 8100);
});

after(async () => {
  for (const s of stops.reverse()) await s();
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

async function linphone(e, opts) {
  const l = await startLinphone(o, e, opts);
  stops.push(() => l.stop());
  return l;
}

test('linphonec registers with digest; it and /status agree', async () => {
  const e = await exts.make();
  const l = await linphone(e);
  await waitRegistered(o, e.ext, 8000).catch((err) => { throw new Error(`${err.message}\n${l.log().slice(-1500)}`); });
  // linphonec takes the 200 a moment after ovoz stored the contact.
  await waitFor(async () => {
    l.send('status register');
    await sleep(200);
    return /registered, identity=sip:\d+@127\.0\.0\.1/.test(l.log());
  }, 5000, 'linphonec to report itself registered').catch((err) => { throw new Error(`${err.message}\n${l.log().slice(-1500)}`); });
  const st = await status(o, e.ext);
  assert.equal(st.contacts[0].transport, 'udp');
  assert.equal(st.contacts[0].source, `127.0.0.1:${l.sipPort}`);
  assert.match(st.contacts[0].userAgent, /^Linphonec\/5\./);
  assert.deepEqual((await outcomes(o, e.ext)).slice(0, 2), ['registered', 'challenged']);
});

test('linphonec calls baresip through ovoz; baresip auto-answers; linphonec hangs up', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const b = await startBaresip(o, callee);
  stops.push(() => b.stop());
  const l = await linphone(caller);
  await waitRegistered(o, caller.ext, 8000);
  l.send(`call sip:${callee.ext}@127.0.0.1`);
  await l.waitLog(/Call \d+ with sip:\S+ connected/, 8000)
    .catch((err) => { throw new Error(`${err.message}\nbaresip:\n${b.log().slice(-1500)}`); });
  await sleep(300);
  const active = await activeCalls(o);
  assert.equal(active.length, 1, JSON.stringify(active));
  assert.equal(active[0].state, 'answered');
  const callId = active[0].callId;
  l.send('terminate');
  await l.waitLog(/Call \d+ with sip:\S+ ended/, 5000);
  const row = await callRow(o, caller.ext, callId);
  assert.equal(row.caller, caller.ext);
  assert.equal(row.callee, callee.ext);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'caller');
});
