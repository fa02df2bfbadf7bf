// Chromium (SIP.js over WSS, 440 Hz microphone) calls baresip (UDP,
// auto-answer, 1000 Hz source, recording what it hears). Signalling is
// checked first, then audio both ways: the browser's inbound RTP and
// level, and the 440 Hz tone in baresip's decoded recording.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { callRow } from '../integration/lib/calls.mjs';
import {
  startE2e, registerPhone, sessionState, audioSample, assertBrowserHears,
  assertRecordingHears, assertSpectrum, h, sleep, TONE,
} from './lib/e2e.mjs';

let env;
before(async () => { env = await startE2e(); });
after(async () => { await env?.stop(); });

test('browser calls baresip: answered, call logged, each side hears the other', async (t) => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const phone = await env.phone(TONE.browser);
  const sip = await env.baresip({ ...b, freq: TONE.baresip });
  let callId;
  let sample;
  let spectrum;

  await t.test('signalling: registers over WSS, baresip answers, call-log row', async () => {
    await registerPhone(env, phone, a);
    callId = await h(phone, 'call', b.ext);
    await sessionState(phone, 'Established');
    await sip.waitEvent('CALL_ESTABLISHED');
    const active = (await env.o.api('GET', '/api/calls/active')).json.calls;
    assert.equal(active.find((c) => c.callId === callId)?.state, 'answered', JSON.stringify(active));
    await sleep(1500); // let ICE, DTLS and the jitter buffers settle
    sample = await audioSample(phone, 2000);
    spectrum = await h(phone, 'spectrum', [TONE.browser, TONE.baresip]);
    assert.equal(await h(phone, 'hangup'), 'Terminated');
    await sip.waitEvent('CALL_CLOSED');
    const row = await callRow(env.o, a.ext, callId);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.caller, a.ext);
    assert.equal(row.callee, b.ext);
    assert.equal(row.callerTransport, 'wss');
    assert.equal(row.calleeTransport, 'udp');
    assert.equal(row.hangupBy, 'caller');
  });

  await t.test('audio: the browser hears baresip (RTP ~50/s, level rises)', () => {
    assert.ok(sample, 'the call was set up');
    assertBrowserHears(sample, 'browser');
  });

  await t.test(`audio: the browser hears baresip's ${TONE.baresip} Hz, not its own ${TONE.browser} Hz`, () => {
    assert.ok(spectrum, 'the call was set up');
    assertSpectrum(spectrum, TONE.baresip, TONE.browser, 'browser');
  });

  await t.test(`audio: baresip's recording holds the browser's ${TONE.browser} Hz, not its own ${TONE.baresip} Hz`, () => {
    assertRecordingHears(sip, TONE.browser, TONE.baresip);
  });
});
