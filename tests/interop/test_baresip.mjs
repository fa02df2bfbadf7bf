// baresip 1.0 (Debian 12) against ovoz on its default [sip] settings:
// register with digest, call an extension (a sipp UAS that hangs up),
// and auto-answer a call from sipp (INVITE answered with digest).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean } from '../integration/lib/ovoz.mjs';
import { extensionMaker, callRow, sleep } from '../integration/lib/calls.mjs';
import { startBaresip } from '../integration/lib/baresip.mjs';
import { sippUas, sippClient, status, outcomes } from './lib/peers.mjs';

let o;
let exts;
const stops = [];

before(async () => {
  o = await startOvoz();
  exts = extensionMaker(o, 6100);
});

after(async () => {
  for (const s of stops.reverse()) await s();
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

async function baresip(e, opts = {}) {
  const b = await startBaresip(o, { ...e, ...opts });
  stops.push(() => b.stop());
  return b;
}

const exited = (h, ms = 8000) => Promise.race([h.done, sleep(ms).then(() => null)]);

test('baresip registers with digest: 401, then 200; /status lists its UDP contact', async () => {
  const e = await exts.make();
  const b = await baresip(e);
  const st = await status(o, e.ext);
  assert.equal(st.registered, true);
  assert.equal(st.contacts[0].transport, 'udp');
  assert.equal(st.contacts[0].source, `127.0.0.1:${b.sipPort}`);
  assert.match(st.contacts[0].userAgent, /baresip/);
  assert.deepEqual((await outcomes(o, e.ext)).slice(0, 2), ['registered', 'challenged']);
});

test('baresip calls an extension (a sipp UAS) through ovoz; the callee hangs up', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const sipp = await sippUas(o, callee, { scenario: 'uas_bye.xml' });
  stops.push(() => sipp.stop());
  const b = await baresip(caller, { args: ['-e', `/dial sip:${callee.ext}@127.0.0.1`] });
  const ex = await exited(sipp);
  assert.deepEqual(ex, { code: 0, signal: null },
    `sipp answered and hung up\nsipp:\n${sipp.log().slice(-2000)}\nbaresip:\n${b.log().slice(-1500)}`);
  const calls = (await o.api('GET', `/api/calls?extension=${caller.ext}`)).json.calls;
  assert.equal(calls.length, 1, JSON.stringify(calls));
  const row = await callRow(o, caller.ext, calls[0].callId);
  assert.equal(row.caller, caller.ext);
  assert.equal(row.callee, callee.ext);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'callee');
});

test('baresip auto-answers a call from sipp, whose INVITE answers the 407 with digest', async () => {
  const callee = await exts.make();
  const caller = await exts.make();
  const b = await baresip(callee);
  const sipp = await sippClient(o, 'uac_auth.xml',
    ['-s', callee.ext, '-au', caller.ext, '-ap', caller.password, '-key', 'caller', caller.ext]);
  stops.push(() => sipp.stop());
  const ex = await exited(sipp);
  assert.deepEqual(ex, { code: 0, signal: null },
    `sipp: 407, 200 from baresip, BYE answered\nsipp:\n${sipp.log().slice(-2000)}\nbaresip:\n${b.log().slice(-1500)}`);
  const calls = (await o.api('GET', `/api/calls?extension=${callee.ext}`)).json.calls;
  assert.equal(calls.length, 1, JSON.stringify(calls));
  const row = await callRow(o, callee.ext, calls[0].callId);
  assert.equal(row.caller, caller.ext);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'caller');
});
