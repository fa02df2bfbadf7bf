// Chromium calls Chromium through ovoz: two browsers (the fake microphone
// is per process) with 440 Hz and 1500 Hz tones; each must hear the
// other's tone, checked with getStats() and an AnalyserNode in the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { callRow } from '../integration/lib/calls.mjs';
import {
  startE2e, registerPhone, sessionState, audioSample, assertBrowserHears,
  assertSpectrum, h, sleep, waitFor, TONE,
} from './lib/e2e.mjs';

let env;
before(async () => { env = await startE2e(); });
after(async () => { await env?.stop(); });

test('browser calls browser: answered, call logged, each hears the other\'s tone', async (t) => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const [pa, pb] = await Promise.all([env.phone(TONE.browser), env.phone(TONE.browser2)]);
  let callId;
  const seen = {};

  await t.test('signalling: both register over WSS, callee answers, call-log row', async () => {
    await registerPhone(env, pa, a);
    await registerPhone(env, pb, b);
    callId = await h(pa, 'call', b.ext);
    await waitFor(async () => (await h(pb, 'state')).session === 'Initial', 5000, 'INVITE at the callee page');
    assert.equal(await h(pb, 'answer'), callId);
    await sessionState(pa, 'Established');
    await sessionState(pb, 'Established');
    await sleep(1000);
    [seen.a, seen.b] = await Promise.all([audioSample(pa, 2000), audioSample(pb, 2000)]);
    seen.spA = await h(pa, 'spectrum', [TONE.browser, TONE.browser2]);
    seen.spB = await h(pb, 'spectrum', [TONE.browser, TONE.browser2]);
    assert.equal(await h(pb, 'hangup'), 'Terminated');
    await sessionState(pa, 'Terminated', 5000);
    const row = await callRow(env.o, a.ext, callId);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.callerTransport, 'wss');
    assert.equal(row.calleeTransport, 'wss');
    assert.equal(row.hangupBy, 'callee');
  });

  await t.test('audio: each browser receives RTP ~50/s with a real level', () => {
    assert.ok(seen.a && seen.b, 'the call was set up');
    assertBrowserHears(seen.a, 'caller');
    assertBrowserHears(seen.b, 'callee');
  });

  await t.test(`audio: the caller hears ${TONE.browser2} Hz and the callee ${TONE.browser} Hz`, () => {
    assertSpectrum(seen.spA, TONE.browser2, TONE.browser, 'caller');
    assertSpectrum(seen.spB, TONE.browser, TONE.browser2, 'callee');
  });
});
