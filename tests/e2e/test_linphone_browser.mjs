// linphonec (liblinphone 5.1: belle-sip and mediastreamer2, a second real
// UDP softphone stack beside baresip) and Chromium (SIP.js over WSS) call
// each other through Ovoz. linphonec plays a WAV tone instead of a sound
// card and records what it hears ('soundcard use files', 'play', 'record').
// Both directions; each side must hear the other's tone, checked with a
// Goertzel filter, not by energy.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { tempDir } from '../integration/lib/ovoz.mjs';
import { callRow } from '../integration/lib/calls.mjs';
import { startLinphone, waitRegistered } from '../interop/lib/peers.mjs';
import { writeTone, toneShare } from './lib/tone.mjs';
import {
  startE2e, registerPhone, sessionState, audioSample, assertBrowserHears,
  assertSpectrum, h, sleep, waitFor, TONE,
} from './lib/e2e.mjs';

const LINPHONE_HZ = TONE.baresip; // the other phone's tone in every e2e test
let env;
let dir;
const stops = [];
before(async () => {
  env = await startE2e();
  dir = tempDir('linphone-audio-');
  writeTone(path.join(dir, 'tone.wav'), { freq: LINPHONE_HZ, rate: 8000, seconds: 30 });
});
after(async () => {
  for (const s of stops.reverse()) await s();
  await env?.stop();
});

async function linphone(ext, rec) {
  const l = await startLinphone(env.o, ext);
  l.ext = ext.ext;
  stops.push(() => l.stop());
  l.send('soundcard use files');
  l.send(`record ${rec}`);
  return l;
}

function assertLinphoneHears(rec) {
  assert.ok(existsSync(rec), `linphonec wrote its recording ${rec}`);
  const r = toneShare(rec, [TONE.browser, LINPHONE_HZ]);
  const info = `linphonec recording ${JSON.stringify(r)}`;
  assert.ok(r.seconds >= 1, `recording lasts at least 1 s; ${info}`);
  assert.ok(r.share[TONE.browser] > 0.5, `recording holds the browser's ${TONE.browser} Hz; ${info}`);
  assert.ok(r.share[LINPHONE_HZ] < 0.1, `recording is not linphonec's own tone looped back; ${info}`);
}

async function talk(l, phone) {
  l.send(`play ${path.join(dir, 'tone.wav')}`);
  await sleep(1500);
  const sample = await audioSample(phone, 2000);
  const spectrum = await h(phone, 'spectrum', [TONE.browser, LINPHONE_HZ]);
  return { sample, spectrum };
}

test('linphonec calls the browser: the page answers, each side hears the other', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const rec = path.join(dir, 'to-browser.wav');
  const phone = await env.phone(TONE.browser);
  await registerPhone(env, phone, b);
  const l = await linphone(a, rec);
  await waitRegistered(env.o, l.ext, 8000);
  l.send(`call sip:${b.ext}@127.0.0.1`);
  await waitFor(async () => (await h(phone, 'state')).session === 'Initial', 8000, 'INVITE at the page');
  const callId = await h(phone, 'answer');
  await sessionState(phone, 'Established');
  await l.waitLog(/Call \d+ with sip:\S+ connected/, 8000);
  const { sample, spectrum } = await talk(l, phone);
  l.send('terminate');
  await sessionState(phone, 'Terminated', 5000);
  await sleep(300);
  assertBrowserHears(sample, 'browser');
  assertSpectrum(spectrum, LINPHONE_HZ, TONE.browser, 'browser');
  assertLinphoneHears(rec);
  const row = await callRow(env.o, b.ext, callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.callerTransport, 'udp');
  assert.equal(row.calleeTransport, 'wss');
  assert.equal(row.mediaNote, null);
});

test('the browser calls linphonec: it answers, each side hears the other', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const rec = path.join(dir, 'from-browser.wav');
  const phone = await env.phone(TONE.browser);
  await registerPhone(env, phone, a);
  const l = await linphone(b, rec);
  await waitRegistered(env.o, l.ext, 8000);
  const callId = await h(phone, 'call', b.ext);
  await l.waitLog(/Receiving new incoming call from/, 8000);
  l.send('answer');
  await sessionState(phone, 'Established');
  const { sample, spectrum } = await talk(l, phone);
  assert.equal(await h(phone, 'hangup'), 'Terminated');
  await l.waitLog(/Call \d+ with sip:\S+ ended/, 5000);
  await sleep(300);
  assertBrowserHears(sample, 'browser');
  assertSpectrum(spectrum, LINPHONE_HZ, TONE.browser, 'browser');
  assertLinphoneHears(rec);
  const row = await callRow(env.o, a.ext, callId);
  assert.equal(row.disposition, 'answered');
  assert.equal(row.callerTransport, 'wss');
  assert.equal(row.calleeTransport, 'udp');
});
