// sipp (Debian 12) against ovoz on its default [sip] settings: digest
// REGISTER ([authentication] from -au/-ap), right and wrong password, and
// an INVITE that answers the 407 with digest, to a sipp UAS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean } from '../integration/lib/ovoz.mjs';
import { extensionMaker, callRow, sleep } from '../integration/lib/calls.mjs';
import { sippUas, sippClient, status, outcomes } from './lib/peers.mjs';

let o;
let exts;
const stops = [];

before(async () => {
  o = await startOvoz();
  exts = extensionMaker(o, 7100);
});

after(async () => {
  for (const s of stops.reverse()) await s();
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

async function sipp(file, args) {
  const h = await sippClient(o, file, args);
  stops.push(() => h.stop());
  return { h, exit: await Promise.race([h.done, sleep(10000).then(() => null)]) };
}

test('sipp digest REGISTER: the right password registers, a wrong one gets 403', async () => {
  const e = await exts.make();
  const ok = await sipp('register.xml', ['-s', e.ext, '-au', e.ext, '-ap', e.password]);
  assert.deepEqual(ok.exit, { code: 0, signal: null }, ok.h.log().slice(-2000));
  const st = await status(o, e.ext);
  assert.equal(st.registered, true);
  assert.equal(st.contacts[0].source, `127.0.0.1:${ok.h.port}`);
  const bad = await sipp('register.xml', ['-s', e.ext, '-au', e.ext, '-ap', 'wrong-' + e.password]);
  assert.notDeepEqual(bad.exit, { code: 0, signal: null }, 'sipp expected 200 and got 403');
  assert.deepEqual((await outcomes(o, e.ext)).slice(0, 4), ['wrong_password', 'challenged', 'registered', 'challenged']);
});

test('sipp INVITE answers the 407 with digest and reaches a sipp UAS; caller hangs up', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const uas = await sippUas(o, callee);
  stops.push(() => uas.stop());
  const uac = await sipp('uac_auth.xml',
    ['-s', callee.ext, '-au', caller.ext, '-ap', caller.password, '-key', 'caller', caller.ext]);
  assert.deepEqual(uac.exit, { code: 0, signal: null }, 'sipp UAC\n' + uac.h.log().slice(-2000));
  const ex = await Promise.race([uas.done, sleep(5000).then(() => null)]);
  assert.deepEqual(ex, { code: 0, signal: null }, 'sipp UAS\n' + uas.log().slice(-2000));
  const calls = (await o.api('GET', `/api/calls?extension=${caller.ext}`)).json.calls;
  assert.equal(calls.length, 1, JSON.stringify(calls));
  const row = await callRow(o, caller.ext, calls[0].callId);
  assert.equal(row.callee, callee.ext);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.hangupBy, 'caller');
});

test('sipp INVITE with a wrong password gets 403 and reaches nobody', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const uac = await sipp('uac_auth.xml',
    ['-s', callee.ext, '-au', caller.ext, '-ap', 'wrong-' + caller.password, '-key', 'caller', caller.ext]);
  assert.notDeepEqual(uac.exit, { code: 0, signal: null });
  assert.match(uac.h.log(), /received 'SIP\/2\.0 403 Forbidden/, uac.h.log().slice(-2000));
});
