// A softphone with SRTP set to mandatory (SDES keys in the SDP, RTP/SAVP,
// as MicroSIP's "SRTP: mandatory" does), here baresip with its srtp
// module, calls Chromium (SIP.js over WSS). Ovoz answers the phone with
// RTP/SAVP and its own a=crypto key, keys the browser leg with DTLS-SRTP,
// and relays SDES-SRTP <-> DTLS-SRTP: audio both ways and DTMF, checked
// by tone, not by energy.
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

/** baresip as a phone set to "SRTP: mandatory" (SDES, RTP/SAVP only). */
const srtpPhone = (ext) => env.baresip({
  ...ext, freq: TONE.baresip, modules: ['srtp.so'], accountParams: ';mediaenc=srtp-mand',
});

test('an SRTP-mandatory softphone (SDES) calls the browser: audio both ways, DTMF', async (t) => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const phone = await env.phone(TONE.browser);
  const sip = await srtpPhone(a);
  let callId;
  let sample;
  let spectrum;
  let live;

  await t.test('signalling: the SAVP offer reaches the page, answered, legs relayed as srtp-sdes and webrtc', async () => {
    await registerPhone(env, phone, b);
    await sip.dial(`sip:${b.ext}@127.0.0.1`);
    await waitFor(async () => (await h(phone, 'state')).session === 'Initial', 5000, 'INVITE at the page');
    callId = await h(phone, 'answer');
    await sessionState(phone, 'Established');
    // baresip with srtp-mand ends a call whose answer has no a=crypto.
    await sip.waitEvent('CALL_ESTABLISHED');
    await sleep(1500);
    sample = await audioSample(phone, 2000);
    spectrum = await h(phone, 'spectrum', [TONE.browser, TONE.baresip]);
    // Statistics are a snapshot refreshed every second: 3.5 s into the call.
    live = (await env.o.api('GET', '/api/calls/active')).json.calls.find((c) => c.callId === callId);
    assert.equal(await h(phone, 'sendDtmf', '7'), true);
    await sleep(700);
    await sip.hangup();
    await sip.waitEvent('CALL_CLOSED');
    await sessionState(phone, 'Terminated', 5000);
    const m = live?.media?.find((x) => x.answered);
    assert.ok(m, 'relayed media in the active call: ' + JSON.stringify(live));
    assert.equal(m.caller.kind, 'srtp-sdes');
    assert.equal(m.callee.kind, 'webrtc');
    for (const side of [m.caller, m.callee])
      assert.ok(side.rxPackets > 50 && side.txPackets > 50, JSON.stringify(m));
    const row = await callRow(env.o, b.ext, callId);
    assert.equal(row.disposition, 'answered');
    assert.equal(row.callerTransport, 'udp');
    assert.equal(row.calleeTransport, 'wss');
    assert.equal(row.mediaNote, null);
  });

  await t.test('audio: the browser hears the phone (decrypted from SDES-SRTP, re-keyed to DTLS-SRTP)', () => {
    assert.ok(sample, 'the call was set up');
    assertBrowserHears(sample, 'browser');
    assertSpectrum(spectrum, TONE.baresip, TONE.browser, 'browser');
  });

  await t.test(`audio: the phone's recording holds the browser's ${TONE.browser} Hz`, () => {
    assertRecordingHears(sip, TONE.browser, TONE.baresip);
  });

  await t.test('DTMF: the browser\'s RFC 4733 digit reaches the phone through SRTP', () => {
    assert.equal(sip.ctrl.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param).join(''), '7');
  });
});

// Toward a UDP phone Ovoz offers plain RTP/AVP unless the callee's
// extension says its phones want SRTP ("srtp": true, the admin page's
// "Encrypted audio (SRTP)"): an SRTP-mandatory phone refuses the plain
// offer with 488 (the browser sees the failure at once, not a silent
// call); with the setting Ovoz offers RTP/SAVP with its own SDES key and
// the call has audio both ways.
test('the browser calls the SRTP-mandatory softphone: 488 until its extension asks for SRTP, then audio both ways', async (t) => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const phone = await env.phone(TONE.browser);
  const sip = await srtpPhone(b);
  await registerPhone(env, phone, a);

  await t.test('plain offer: a clean 488, no media session left', async () => {
    const callId = await h(phone, 'call', b.ext);
    await sessionState(phone, 'Terminated', 5000);
    const row = await callRow(env.o, a.ext, callId);
    assert.equal(row.disposition, 'failed');
    assert.equal(row.status, 488);
    assert.equal(row.answeredAt, null);
    assert.ok(!sip.ctrl.events.some((e) => e.type === 'CALL_ESTABLISHED'), 'the phone never answered');
    const m = (await env.o.api('GET', '/metrics')).text;
    assert.match(m, /^ovoz_media_sessions 0$/m, 'no media session left behind');
  });

  await t.test('"srtp": true on the extension: Ovoz offers SDES, the phone answers, audio both ways', async () => {
    const put = await env.o.api('PUT', `/api/extensions/${b.ext}`, { srtp: true });
    assert.equal(put.status, 200);
    assert.equal(put.json.srtp, true);
    const callId = await h(phone, 'call', b.ext);
    await sessionState(phone, 'Established');
    await sip.waitEvent('CALL_ESTABLISHED');
    await sleep(1500);
    const sample = await audioSample(phone, 2000);
    const spectrum = await h(phone, 'spectrum', [TONE.browser, TONE.baresip]);
    const live = (await env.o.api('GET', '/api/calls/active')).json.calls.find((c) => c.callId === callId);
    assert.equal(await h(phone, 'hangup'), 'Terminated');
    await sip.waitEvent('CALL_CLOSED');
    await sleep(300);
    const m = live?.media?.find((x) => x.answered);
    assert.ok(m, 'relayed media in the active call: ' + JSON.stringify(live));
    assert.equal(m.caller.kind, 'webrtc');
    assert.equal(m.callee.kind, 'srtp-sdes');
    assertBrowserHears(sample, 'browser');
    assertSpectrum(spectrum, TONE.baresip, TONE.browser, 'browser');
    assertRecordingHears(sip, TONE.browser, TONE.baresip);
    const row = await callRow(env.o, a.ext, callId);
    assert.equal(row.disposition, 'answered');
  });
});

// A plain softphone calls the SRTP-mandatory one: with "srtp" on the
// callee's extension Ovoz relays the UDP-to-UDP call (it would pass the
// SDP through otherwise) and keys the callee's leg with SDES.
test('a plain softphone calls the SRTP-mandatory one whose extension asks for SRTP: relayed, audio both ways', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  assert.equal((await env.o.api('PUT', `/api/extensions/${b.ext}`, { srtp: true })).status, 200);
  const callee = await srtpPhone(b);
  const caller = await env.baresip({ ...a, freq: TONE.browser });
  await caller.dial(`sip:${b.ext}@127.0.0.1`);
  await caller.waitEvent('CALL_ESTABLISHED');
  await callee.waitEvent('CALL_ESTABLISHED');
  await sleep(2500);
  const live = (await env.o.api('GET', '/api/calls/active')).json.calls;
  await caller.hangup();
  await callee.waitEvent('CALL_CLOSED');
  await sleep(300);
  const m = live[0]?.media?.find((x) => x.answered);
  assert.ok(m, 'relayed media in the active call: ' + JSON.stringify(live));
  assert.equal(m.caller.kind, 'rtp');
  assert.equal(m.callee.kind, 'srtp-sdes');
  assertRecordingHears(caller, TONE.baresip, TONE.browser);
  assertRecordingHears(callee, TONE.browser, TONE.baresip);
});
