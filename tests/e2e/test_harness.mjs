// Checks of the end-to-end harness itself, so that a failing audio
// assertion elsewhere means missing audio and not a broken detector: the
// tone detector on generated WAVs, and two baresips calling each other
// through ovoz (plain RTP, no relay needed) recording each other's tone
// and DTMF, and the browser<->baresip audio and DTMF assertions against a
// baresip that speaks ICE and DTLS-SRTP itself (so no relay is needed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { tempDir } from '../integration/lib/ovoz.mjs';
import { writeTone, toneShare } from './lib/tone.mjs';
import {
  startE2e, assertRecordingHears, assertBrowserHears, assertSpectrum, sessionState, audioSample,
  h, sleep, waitFor, TONE,
} from './lib/e2e.mjs';

let env;
before(async () => { env = await startE2e(); });
after(async () => { await env?.stop(); });

test('tone detector: finds a generated tone, not another one, nothing in silence', () => {
  const dir = tempDir('tones-');
  try {
    for (const rate of [8000, 48000]) {
      const t = toneShare(writeTone(path.join(dir, `t${rate}.wav`), { freq: 440, rate, seconds: 1 }), [440, 1000, 1500]);
      assert.ok(t.share[440] > 0.95, JSON.stringify(t));
      assert.ok(t.share[1000] < 0.01 && t.share[1500] < 0.01, JSON.stringify(t));
      assert.ok(Math.abs(t.rms - 0.5 / Math.SQRT2) < 0.01, JSON.stringify(t));
    }
    const s = toneShare(writeTone(path.join(dir, 'silence.wav'), { freq: 0, rate: 8000, seconds: 1 }), [440, 1000]);
    assert.deepEqual([s.rms, s.share[440], s.share[1000]], [0, 0, 0]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('baresip calls baresip through ovoz: each recording holds the other\'s tone; DTMF arrives', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const ba = await env.baresip({ ...a, freq: TONE.browser });
  const bb = await env.baresip({ ...b, freq: TONE.baresip });
  await ba.dial(`sip:${b.ext}@127.0.0.1`);
  await ba.waitEvent('CALL_ESTABLISHED');
  await bb.waitEvent('CALL_ESTABLISHED');
  await sleep(1500);
  await ba.ctrl.cmd('sndcode', '5');
  await sleep(500);
  await ba.hangup();
  await bb.waitEvent('CALL_CLOSED');
  await sleep(200);
  assertRecordingHears(ba, TONE.baresip, TONE.browser);
  assertRecordingHears(bb, TONE.browser, TONE.baresip);
  assert.equal(bb.ctrl.events.find((e) => e.type === 'CALL_DTMF_START')?.param, '5');
});

// baresip 1.0 answers without a=group:BUNDLE, which a max-bundle
// Chromium refuses, so here baresip offers and the page (balanced bundle
// policy) answers.
test('browser<->baresip audio and DTMF assertions hold against a WebRTC-capable baresip', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const phone = await env.phone(TONE.browser);
  const sip = await env.baresip({
    ...a, freq: TONE.baresip, modules: ['ice.so', 'srtp.so', 'dtls_srtp.so'],
    accountParams: ';mediaenc=dtls_srtp;medianat=ice', config: ['rtcp_mux yes'],
  });
  assert.equal(await h(phone, 'register', b.ext, b.password, undefined, undefined, 'balanced'), 'Registered');
  await sip.dial(`sip:${b.ext}@127.0.0.1`);
  await waitFor(async () => (await h(phone, 'state')).session === 'Initial', 5000, 'INVITE at the page');
  await h(phone, 'answer');
  await sessionState(phone, 'Established');
  await sleep(1500);
  const sample = await audioSample(phone, 2000);
  const spectrum = await h(phone, 'spectrum', [TONE.browser, TONE.baresip]);
  assert.equal(await h(phone, 'sendDtmf', '1#'), true);
  await sleep(1000);
  await sip.hangup();
  await sip.waitEvent('CALL_CLOSED');
  assertBrowserHears(sample, 'browser');
  assertSpectrum(spectrum, TONE.baresip, TONE.browser, 'browser');
  assertRecordingHears(sip, TONE.browser, TONE.baresip);
  assert.equal(sip.ctrl.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param).join(''), '1#');
});
