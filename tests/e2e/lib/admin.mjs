// The admin page (webphone/admin/) in headless Chromium: an ovoz serving
// the real webroot, one browser, and the checks every admin test shares
// (console errors, accessible names, screenshots under the build dir).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { startOvoz } from '../../integration/lib/ovoz.mjs';
import { openPhone } from './browser.mjs';

/** Where screenshots go: the meson build dir of this test, else /tmp. */
export const ARTIFACTS = process.env.OVOZ_ARTIFACTS ?? '/tmp/ovoz-e2e-admin';

/** ovoz + a browser on /admin/index.html; stop() ends both. */
export async function startAdmin() {
  const o = await startOvoz();
  const url = `https://127.0.0.1:${o.httpsPort}/admin/index.html`;
  const b = await openPhone(url, { harness: false }).catch(async (e) => { await o.stop(); o.cleanup(); throw e; });
  const errors = [];
  b.page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  b.page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { o, url, page: b.page, browser: b, errors };
}

/** Sign in with @token; resolves when the extensions tab shows. */
export async function signIn(page, token) {
  await page.fill('#token', token);
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#panel-extensions:not([hidden])');
}

/**
 * Controls (buttons, inputs, selects, iframes, links) visible in @page
 * without an accessible name: the name from aria-label, aria-labelledby,
 * a <label>, the text of a button, or a title.
 */
export function unnamedControls(page) {
  return page.evaluate(() => {
    const visible = (e) => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
    const name = (e) => {
      if (e.getAttribute('aria-label')?.trim()) return e.getAttribute('aria-label');
      const by = e.getAttribute('aria-labelledby');
      if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? '').join(' ').trim();
      if (e.labels?.length) return [...e.labels].map((l) => l.textContent).join(' ').trim();
      if (e.tagName === 'BUTTON' || e.tagName === 'A') return e.textContent.trim();
      return (e.title ?? '').trim();
    };
    return [...document.querySelectorAll('button, input, select, textarea, iframe, a[href], [role=img]')]
      .filter(visible).filter((e) => !name(e)).map((e) => e.outerHTML.slice(0, 120));
  });
}

export function shotPath(name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  return path.join(ARTIFACTS, `${name}.png`);
}
