// Two web phones in two browsers: one dials the other with the dial pad,
// the other sees who calls and answers, the timer runs, DTMF, mute and
// hold work without errors, hang up; both list the call in their recent
// calls. Audio is not checked here (that needs the media relay).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWeb, signIn, statusText, consoleErrors, sleep } from './lib/webphone.mjs';

let env;
before(async () => { env = await startWeb({ firstExt: 4400 }); });
after(async () => { await env?.stop(); });

test('phone A dials B on the dial pad, B answers, timer runs, DTMF/mute/hold, A hangs up', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const pa = await env.phone({ url: '/phone/?lang=en', freq: 440 });
  const pb = await env.phone({ url: '/phone/?lang=en', freq: 1500 });
  await signIn(pa.page, a.ext, a.password);
  await signIn(pb.page, b.ext, b.password);

  // Dial B's number with the pad; a pasted number loses its spaces and dashes.
  for (const d of b.ext) await pa.page.getByRole('button', { name: d, exact: true }).click();
  assert.equal(await pa.page.getByRole('textbox', { name: 'Number' }).inputValue(), b.ext);
  await pa.page.getByRole('button', { name: 'Call', exact: true }).click();

  await pb.page.waitForSelector('body[data-call="incoming"]', { timeout: 8000 });
  assert.equal(await statusText(pb.page), `Incoming call from ${a.ext}`);
  await pb.page.getByRole('button', { name: 'Answer' }).click();
  await pa.page.waitForSelector('body[data-call="answered"]', { timeout: 10000 });
  await pb.page.waitForSelector('body[data-call="answered"]', { timeout: 10000 });
  assert.equal(await statusText(pa.page), `In a call with ${b.ext}`);
  const live = (await env.o.api('GET', '/api/calls/active')).json;
  assert.equal(JSON.stringify(live).includes(b.ext), true, JSON.stringify(live));

  await sleep(2200);
  const timer = await pa.page.locator('#timer').innerText();
  assert.match(timer, /^0:0[1-9]$/, `call timer runs: ${timer}`);

  // DTMF from the pad and the keyboard, mute and hold: no page errors.
  await pa.page.getByRole('button', { name: '5', exact: true }).click();
  await pa.page.keyboard.press('#');
  await pa.page.getByRole('button', { name: 'Mute' }).click();
  assert.equal(await pa.page.locator('#mute').getAttribute('aria-pressed'), 'true');
  assert.equal(await pa.page.evaluate(() => window.ovozPhone.phone.call.session.sessionDescriptionHandler
    .peerConnection.getSenders().every((s) => !s.track || !s.track.enabled)), true, 'microphone track disabled');
  await pa.page.getByRole('button', { name: 'Unmute' }).click();
  await pa.page.getByRole('button', { name: 'Hold' }).click();
  await pa.page.waitForFunction(() => document.querySelector('#hold').getAttribute('aria-pressed') === 'true');
  await pa.page.waitForFunction(() => {
    const pc = window.ovozPhone.phone.call?.session.sessionDescriptionHandler?.peerConnection;
    return pc?.getTransceivers().some((t) => t.currentDirection === 'sendonly');
  }, null, { timeout: 8000 });
  assert.match(await statusText(pa.page), /^On hold/);
  await pa.page.getByRole('button', { name: 'Resume' }).click();
  await pa.page.waitForFunction(() => {
    const pc = window.ovozPhone.phone.call?.session.sessionDescriptionHandler?.peerConnection;
    return pc?.getTransceivers().some((t) => t.currentDirection === 'sendrecv');
  }, null, { timeout: 8000 });

  await pa.page.getByRole('button', { name: 'Hang up' }).click();
  await pb.page.waitForSelector('body[data-call="ended"]', { timeout: 8000 });
  await pa.page.waitForSelector('body[data-call="ended"]', { timeout: 8000 });
  assert.equal(await statusText(pb.page), 'Call ended');

  // Recent calls: B sees an incoming call from A and can call back.
  const cb = pb.page.getByRole('button', { name: `Call back ${a.ext}` });
  assert.equal(await cb.count(), 1);
  assert.match(await pa.page.locator('#recent li').first().innerText(), new RegExp(`${b.ext}[\\s\\S]*Outgoing`));
  for (const p of [pa, pb]) assert.deepEqual(consoleErrors(p), [], p.consoleLog());
});

test('a pasted number is cleaned; a call to nobody says why it failed; B rejects A', async () => {
  const a = await env.exts.make();
  const b = await env.exts.make();
  const pa = await env.phone({ url: '/phone/?lang=en' });
  const pb = await env.phone({ url: '/phone/?lang=en' });
  await signIn(pa.page, a.ext, a.password);
  await signIn(pb.page, b.ext, b.password);
  const num = pa.page.getByRole('textbox', { name: 'Number' });
  await num.focus();
  await pa.page.evaluate((t) => {
    const dt = new DataTransfer();
    dt.setData('text', t);
    document.getElementById('number').dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
  }, ` ${b.ext.slice(0, 2)}-${b.ext.slice(2)} `);
  assert.equal(await num.inputValue(), b.ext);
  await pa.page.getByRole('button', { name: 'Call', exact: true }).click();
  await pb.page.waitForSelector('body[data-call="incoming"]', { timeout: 8000 });
  await pb.page.getByRole('button', { name: 'Reject' }).click();
  await pa.page.waitForSelector('body[data-call="ended"]', { timeout: 8000 });
  assert.equal(await statusText(pa.page), 'Call failed: Busy');
  assert.match(await pb.page.locator('#recent li').first().innerText(), /Missed/);

  await num.fill('4999');
  await pa.page.keyboard.press('Enter');
  await pa.page.waitForFunction(() => /Call failed: No such number/.test(document.querySelector('[role=status]').textContent),
    null, { timeout: 8000 });
});
