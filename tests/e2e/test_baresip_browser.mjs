// baresip (UDP, 1000 Hz source) calls Chromium (SIP.js over WSS, 440 Hz
// microphone); the page answers. Signalling first, then audio both ways
// and DTMF from the browser (RFC 4733 telephone-event) seen by baresip.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { callRow } from '../integration/lib/calls.mjs';
import {
  startE2e, registerPhone, sessionState, audioSample, assertBrowserHears,
  assertRecordingHears, assertSpectrum, h, sleep, waitFor, TONE,
} from './lib/e2e.mjs';

let env;
before(async () => { env = await startE2e(); });
after(async () => { await env?.stop(); });

test('baresip calls the browser: page answers, audio both ways, DTMF reaches baresip', async (t) => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const phone = await env.phone(TONE.browser);
  const sip = await env.baresip({ ...a, freq: TONE.baresip });
  let callId;
  let sample;
  let spectrum;
  let dtmfSent = false;

  await t.test('signalling: INVITE reaches the page, answered, call-log row', async () => {
    await registerPhone(env, phone, b);
    await sip.dial(`sip:${b.ext}@127.0.0.1`);
    await waitFor(async () => (await h(phone, 'state')).session === 'Initial', 5000, 'INVITE at the page');
    callId = await h(phone, 'answer');
    await sessionState(phone, 'Established');
    await sip.waitEvent('CALL_ESTABLISHED');
    await sleep(1500);
    sample = await audioSample(phone, 2000);
    spectrum = await h(phone, 'spectrum', [TONE.browser, TONE.baresip]);
    dtmfSent = await h(phone, 'sendDtmf', '1#');
    await sleep(1000); // two 160 ms events and their gap
    await sip.hangup();
    await sip.waitEvent('CALL_CLOSED');
    await sessionState(phone, 'Terminated', 5000);
    const row = await callRow(env.o, b.ext, callId);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.caller, a.ext);
    assert.equal(row.callee, b.ext);
    assert.equal(row.callerTransport, 'udp');
    assert.equal(row.calleeTransport, 'wss');
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

  await t.test('DTMF: digits sent by the browser (RFC 4733) arrive at baresip', () => {
    assert.equal(dtmfSent, true, 'telephone-event negotiated: SIP.js could send DTMF');
    const digits = sip.ctrl.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param).join('');
    assert.equal(digits, '1#', `DTMF seen by baresip; events: ${sip.ctrl.events.map((e) => e.type).join(',')}`);
  });
});
