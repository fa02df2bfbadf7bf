// The real web phone page (/phone/, 440 Hz microphone) against baresip
// (UDP, auto-answer, 1000 Hz source, recording what it hears), both ways:
// the page dials baresip with its dial pad, then baresip calls the page
// and the user clicks Answer. Each time both sides must hear the other's
// tone: the page's inbound RTP, level and spectrum, and baresip's
// decoded recording.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startBaresip } from './lib/baresip.mjs';
import { assertBrowserHears, assertSpectrum, assertRecordingHears, TONE } from './lib/e2e.mjs';
import { phoneAudioSample, phoneSpectrum } from './lib/phonepage.mjs';
import { startWeb, signIn, statusText, consoleErrors, sleep } from './lib/webphone.mjs';

let env;
const softphones = [];
before(async () => { env = await startWeb({ firstExt: 4600 }); });
after(async () => {
  for (const b of softphones) await b.stop().catch(() => {});
  await env?.stop();
});

async function baresip(ext) {
  const b = await startBaresip(env.o, { ...ext, freq: TONE.baresip });
  softphones.push(b);
  return b;
}

/** Measure the page's audio in an answered call: { sample, spectrum }. */
async function listen(page) {
  await sleep(1500); // ICE, DTLS and the jitter buffers settle
  const sample = await phoneAudioSample(page, 2000);
  const spectrum = await phoneSpectrum(page, [TONE.browser, TONE.baresip]);
  return { sample, spectrum };
}

test('the phone page calls baresip: answered, each side hears the other', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const sip = await baresip(b);
  const p = await env.phone({ url: '/phone/?lang=en', freq: TONE.browser });
  await signIn(p.page, a.ext, a.password);
  for (const d of b.ext) await p.page.getByRole('button', { name: d, exact: true }).click();
  await p.page.getByRole('button', { name: 'Call', exact: true }).click();
  await p.page.waitForSelector('body[data-call="answered"]', { timeout: 10000 });
  await sip.waitEvent('CALL_ESTABLISHED');
  assert.equal(await statusText(p.page), `In a call with ${b.ext}`);
  const { sample, spectrum } = await listen(p.page);
  await p.page.getByRole('button', { name: 'Hang up' }).click();
  await sip.waitEvent('CALL_CLOSED');
  await p.page.waitForSelector('body[data-call="ended"]', { timeout: 5000 });

  assertBrowserHears(sample, 'phone page');
  assertSpectrum(spectrum, TONE.baresip, TONE.browser, 'phone page');
  assertRecordingHears(sip, TONE.browser, TONE.baresip);
  assert.deepEqual(consoleErrors(p), [], p.consoleLog());
});

/** The DTMF digits baresip has received so far (RFC 4733 events). */
function digitsAt(sip) {
  return sip.ctrl.events.filter((e) => e.type === 'CALL_DTMF_START').map((e) => e.param).join('');
}

test('baresip calls the phone page: the user answers, each side hears the other, DTMF keys reach baresip', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const sip = await baresip(a);
  const p = await env.phone({ url: '/phone/?lang=en', freq: TONE.browser });
  await signIn(p.page, b.ext, b.password);
  await sip.dial(`sip:${b.ext}@127.0.0.1`);
  await p.page.waitForSelector('body[data-call="incoming"]', { timeout: 8000 });
  assert.equal(await statusText(p.page), `Incoming call from ${a.ext}`);
  await p.page.getByRole('button', { name: 'Answer' }).click();
  await p.page.waitForSelector('body[data-call="answered"]', { timeout: 10000 });
  await sip.waitEvent('CALL_ESTABLISHED');
  const { sample, spectrum } = await listen(p.page);
  // The user presses 4, 2 and # on the dial pad (the last by keyboard).
  await p.page.getByRole('button', { name: '4', exact: true }).click();
  await sleep(250);
  await p.page.getByRole('button', { name: '2', exact: true }).click();
  await sleep(250);
  await p.page.keyboard.press('#');
  for (let i = 0; i < 50 && digitsAt(sip) !== '42#'; i++) await sleep(100);
  const digits = digitsAt(sip);
  await sip.hangup();
  await sip.waitEvent('CALL_CLOSED');
  await p.page.waitForSelector('body[data-call="ended"]', { timeout: 5000 });

  assertBrowserHears(sample, 'phone page');
  assertSpectrum(spectrum, TONE.baresip, TONE.browser, 'phone page');
  assertRecordingHears(sip, TONE.browser, TONE.baresip);
  assert.equal(digits, '42#', `DTMF seen by baresip; events: ${sip.ctrl.events.map((e) => e.type).join(',')}`);
  assert.deepEqual(consoleErrors(p), [], p.consoleLog());
});
