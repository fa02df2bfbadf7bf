// Helpers for the web phone's tests: an ovoz serving the real webroot
// (webphone/, with the SIP.js bundle made by ./ovoz-dev), phones opened
// on /phone/ in their own Chromium, and sign-in through the page's form.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, waitFor, sleep, SOURCE_ROOT } from '../../integration/lib/ovoz.mjs';
import { extensionMaker } from '../../integration/lib/calls.mjs';
import { openPhone } from './browser.mjs';

export { sleep, waitFor };

const BUNDLE = path.join(SOURCE_ROOT, 'webphone/vendor/sip.js');

/** Where screenshots go: meson's log folder when run by meson. */
export function screenshotDir() {
  const build = process.env.MESON_BUILD_ROOT ?? process.env.OVOZ_BUILD_ROOT ?? path.join(SOURCE_ROOT, 'build-test');
  const dir = path.join(build, 'meson-logs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Start ovoz on the real webroot. Returns { o, base, exts, phone(opts),
 * restart(), stop() }.
 */
export async function startWeb({ config, extraArgs = [], firstExt = 4300 } = {}) {
  assert.ok(existsSync(BUNDLE), `${BUNDLE} is missing: run ./ovoz-dev build`);
  const opts = { extraArgs: [...(config ? ['--config', config] : []), ...extraArgs] };
  let o = await startOvoz(opts);
  const peers = [];
  const env = {
    get o() { return o; },
    base: `https://127.0.0.1:${o.httpsPort}`,
    exts: extensionMaker(o, firstExt),
    /** A browser on @url (default /phone/), the page's API loaded. */
    async phone({ url = '/phone/', freq = 440 } = {}) {
      const p = await openPhone(url.startsWith('http') ? url : env.base + url,
        { freq, ready: 'window.ovozPhone || document.querySelector("ovoz-phone")' });
      peers.push(p);
      return p;
    },
    /** Stop ovoz and start it again on the same ports and database. */
    async restart() {
      await stopClean(o, assert);
      o = await startOvoz({ ...opts, dir: o.dir, udpPort: o.udpPort, httpsPort: o.httpsPort, token: o.token });
      return o;
    },
    async stop() {
      while (peers.length) await peers.pop().close().catch(() => {});
      try { await stopClean(o, assert); } finally { o.cleanup(); }
    },
  };
  return env;
}

/** Sign in with the form; wait for data-conn=@want (default registered). */
export async function signIn(page, ext, password, want = 'registered') {
  await page.getByRole('textbox', { name: /^(Ichki raqam|Extension|Внутренний номер)$/ }).fill(ext);
  await page.getByRole('textbox', { name: /^(Parol|Password|Пароль)$/ }).fill(password);
  await page.getByRole('button', { name: /^(Kirish|Sign in|Войти)$/ }).click();
  await page.waitForSelector(`body[data-conn="${want}"]`, { timeout: 10000 });
}

/** The text of the role=status element. */
export const statusText = (page) => page.getByRole('status').innerText();

/** console errors and page errors seen by @phone. */
export function consoleErrors(phone) {
  return phone.consoleLog().split('\n').filter((l) => /^(error|pageerror):/.test(l));
}
