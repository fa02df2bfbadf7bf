// Every page in every language at a phone's and a desktop's size: no
// console errors, a screenshot under meson-logs/screenshots/, every
// control with an accessible name, and the dial pad usable by keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startWeb, signIn, screenshotDir, consoleErrors } from './lib/webphone.mjs';

let env, phone, creds;
const SIZES = [[390, 844], [1440, 900]];
const LANGS = ['uz', 'ru', 'en'];

before(async () => {
  env = await startWeb({ firstExt: 4600 });
  creds = await env.exts.make();
  phone = await env.phone({ url: '/phone/' });
});
after(async () => { await env?.stop(); });

/** Controls without an accessible name (visible ones). */
function unnamed(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('button, input, select, summary, [role=button]')) {
      if (!el.checkVisibility()) continue;
      const labelled = el.getAttribute('aria-label') || (el.labels && [...el.labels].some((l) => l.textContent.trim()))
        || (el.tagName !== 'INPUT' && el.tagName !== 'SELECT' && el.textContent.trim());
      if (!labelled) bad.push(el.outerHTML.slice(0, 80));
    }
    return bad;
  });
}

test('the phone page, signed out and signed in, in each language and size: no errors, named controls', async () => {
  const dir = screenshotDir();
  const { page } = phone;
  for (const signedIn of [false, true]) {
    if (signedIn) await signIn(page, creds.ext, creds.password);
    for (const lang of LANGS) {
      await page.getByRole('combobox', { name: /^(Til|Язык|Language)$/ }).selectOption(lang);
      assert.equal(await page.evaluate(() => document.documentElement.lang), lang);
      for (const [w, h] of SIZES) {
        await page.setViewportSize({ width: w, height: h });
        const file = path.join(dir, `phone-${signedIn ? 'in' : 'out'}-${lang}-${w}x${h}.png`);
        await page.screenshot({ path: file, fullPage: true });
        // Nothing sticks out sideways on a phone.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${lang} ${w}x${h}: page is ${overflow}px wider than the screen`);
        assert.deepEqual(await unnamed(page), [], `${lang} ${w}x${h}`);
      }
    }
  }
  // The language is kept for the next visit.
  assert.equal(await page.evaluate(() => localStorage.getItem('ovoz.lang')), 'en');
  assert.deepEqual(consoleErrors(phone), [], phone.consoleLog());
});

test('the dial pad by keyboard alone: Tab to a key, Enter and Space press it, digits typed anywhere land', async () => {
  const { page } = phone;
  await page.getByRole('textbox', { name: 'Number' }).fill('');
  const one = page.getByRole('button', { name: '1', exact: true });
  await one.focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab'); // to "2"
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab'); // to "3"
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.key), '3');
  await page.locator('h1').click();
  await page.keyboard.type('4#*');
  await page.keyboard.press('Backspace');
  assert.equal(await page.getByRole('textbox', { name: 'Number' }).inputValue(), '1234#');
  const names = await page.getByRole('group', { name: 'Dial pad' }).getByRole('button').allInnerTexts();
  assert.deepEqual(names, ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#']);
});

test('the phone in Russian (?lang=ru) and embed.js load without errors', async () => {
  const { page } = phone;
  await page.goto(`${env.base}/phone/?lang=ru`);
  await page.waitForFunction(() => window.ovozPhone);
  assert.equal(await page.evaluate(() => document.title), 'Телефон Ovoz');
  const r = await page.goto(`${env.base}/embed.js`);
  assert.match(r.headers()['content-type'], /^text\/javascript/);
  assert.deepEqual(consoleErrors(phone), [], phone.consoleLog());
});
