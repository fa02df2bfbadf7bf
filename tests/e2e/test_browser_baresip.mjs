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
    // What an operator sees while the call runs: both legs relayed and
    // carrying packets, the browser over WebRTC, baresip over plain RTP.
    const live = (await env.o.api('GET', '/api/calls/active')).json.calls
      .find((c) => c.callId === callId);
    const m = live?.media?.find((x) => x.answered);
    assert.ok(m, 'relayed media in the active call: ' + JSON.stringify(live));
    assert.equal(m.caller.kind, 'webrtc');
    assert.equal(m.callee.kind, 'rtp');
    for (const side of [m.caller, m.callee]) {
      assert.ok(side.rxPackets > 50 && side.txPackets > 50, JSON.stringify(m));
      assert.ok(side.lastPacketAgeMs >= 0 && side.lastPacketAgeMs < 1000, JSON.stringify(m));
    }
    assert.equal(live.mediaNote, null, 'no one-way audio flagged');
    const metrics = (await env.o.api('GET', '/metrics')).text;
    assert.match(metrics, /^ovoz_media_sessions 1$/m);
    assert.equal(await h(phone, 'hangup'), 'Terminated');
    await sip.waitEvent('CALL_CLOSED');
    const row = await callRow(env.o, a.ext, callId);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.caller, a.ext);
    assert.equal(row.callee, b.ext);
    assert.equal(row.callerTransport, 'wss');
    assert.equal(row.calleeTransport, 'udp');
    assert.equal(row.hangupBy, 'caller');
    assert.equal(row.reason, null);
    assert.equal(row.mediaNote, null);
    const after = (await env.o.api('GET', '/metrics')).text;
    assert.match(after, /^ovoz_media_sessions 0$/m, 'the session is gone with the call');
    assert.match(after, /^ovoz_media_ports_used 0$/m, 'its ports are back');
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
