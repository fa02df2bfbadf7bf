// Every tab of the admin page in each language (Uzbek, Russian, English)
// at a phone's size (390x844) and a desktop's (1440x900): no console
// errors, no page wider than the screen, every control named; a
// screenshot of each under the build dir.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean } from '../integration/lib/ovoz.mjs';
import { startAdmin, signIn, unnamedControls, shotPath } from './lib/admin.mjs';

let env;

before(async () => {
  env = await startAdmin();
  await env.o.api('POST', '/api/extensions', { extension: '5401', password: 'pw-5401-views', displayName: 'Kassa' });
  await signIn(env.page, env.o.token);
});

after(async () => {
  await env?.browser.close();
  if (env) {
    try { await stopClean(env.o, assert); } finally { env.o.cleanup(); }
  }
});

const WORDS = { uz: 'Raqamlar', ru: 'Номера', en: 'Extensions' };

for (const [w, h] of [[390, 844], [1440, 900]]) {
  for (const lang of ['uz', 'ru', 'en']) {
    test(`${lang} at ${w}x${h}: every tab renders without console errors, all controls named`, async () => {
      const { page, errors } = env;
      await page.setViewportSize({ width: w, height: h });
      await page.selectOption('#lang', lang);
      assert.equal(await page.getAttribute('html', 'lang'), lang);
      assert.equal((await page.textContent('#tab-extensions')).trim(), WORDS[lang]);
      for (const tab of ['extensions', 'calls', 'log', 'doctor', 'phone']) {
        await page.click(`#tab-${tab}`);
        await page.waitForSelector(`#panel-${tab}:not([hidden])`);
        await page.waitForTimeout(150);
        assert.deepEqual(await unnamedControls(page), [], `${tab}: unnamed controls`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 1, `${tab}: page ${overflow}px wider than the ${w}px screen`);
        await page.screenshot({ path: shotPath(`admin-${lang}-${w}x${h}-${tab}`), fullPage: true });
      }
      assert.deepEqual(errors, [], 'console errors');
    });
  }
}
