// Headless Chromium (Debian's /usr/bin/chromium) through playwright-core,
// with a tone file as its microphone, running the harness page served by
// ovoz itself. One browser process per phone: the fake capture file is a
// process-wide flag, so two phones with two tones need two browsers.
import { chromium } from 'playwright-core';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { tempDir, waitFor, SOURCE_ROOT } from '../../integration/lib/ovoz.mjs';
import { writeTone } from './tone.mjs';

export const CHROMIUM = process.env.OVOZ_CHROMIUM ?? '/usr/bin/chromium';

/** A temp webroot with the harness page and SIP.js's ES modules (as sipjs/). */
export function makeWebroot() {
  const dir = tempDir('ovoz-webroot-');
  cpSync(path.join(SOURCE_ROOT, 'tests/e2e/www'), dir, { recursive: true });
  symlinkSync(path.join(SOURCE_ROOT, 'node_modules/sip.js/lib'), path.join(dir, 'sipjs'));
  return dir;
}

/** PIDs of processes whose command line names @needle (our own profile dir). */
function pidsWith(needle) {
  const pids = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) pids.push(Number(d));
    } catch { /* gone */ }
  }
  return pids;
}

/**
 * Launch Chromium with a @freq Hz tone (48 kHz mono WAV) as its
 * microphone and a fresh profile, open @url and wait for the harness (or
 * for the page expression @ready; not at all when @harness is false).
 * Returns { page, context, profile, wav, consoleLog(), close() }; close()
 * always ends the browser (SIGKILL by PID if closing fails) and removes
 * the profile.
 */
export async function openPhone(url, { freq = 440, wav, ready = 'window.harness', harness = true } = {}) {
  const profile = tempDir('ovoz-chromium-');
  wav ??= writeTone(path.join(profile, `tone-${freq}.wav`), { freq, rate: 48000, seconds: 10 });
  const profileDir = path.join(profile, 'profile');
  mkdirSync(profileDir);
  const consoleLines = [];
  let context = null;
  const phone = {
    page: null, context: null, profile, wav,
    consoleLog: () => consoleLines.join('\n'),
    async close() {
      if (context) {
        let timer;
        await Promise.race([context.close().catch(() => {}),
          new Promise((r) => { timer = setTimeout(r, 5000); })]);
        clearTimeout(timer);
      }
      for (const pid of pidsWith(profileDir)) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      }
      await waitFor(() => pidsWith(profileDir).length === 0, 5000, 'chromium exit').catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
  try {
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      ignoreHTTPSErrors: true,
      timeout: 20000,
      args: [
        '--no-sandbox', '--disable-gpu', '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream', `--use-file-for-fake-audio-capture=${wav}`,
        '--autoplay-policy=no-user-gesture-required', '--allow-loopback-in-peer-connection',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        '--disable-default-apps', '--disable-extensions', '--no-first-run',
        '--no-default-browser-check', '--metrics-recording-only', '--mute-audio',
      ],
    });
    phone.context = context;
    phone.page = context.pages()[0] ?? await context.newPage();
    phone.page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`));
    phone.page.on('pageerror', (e) => consoleLines.push(`pageerror: ${e.message}`));
    await phone.page.goto(url, { timeout: 10000 });
    if (harness) await phone.page.waitForFunction(ready, null, { timeout: 10000 });
  } catch (e) {
    await phone.close();
    throw new Error(`${e.message}\nbrowser console:\n${consoleLines.join('\n')}`);
  }
  return phone;
}

/** Run harness.@fn(...@args) in @phone's page. */
export function h(phone, fn, ...args) {
  return phone.page.evaluate(([f, a]) => window.harness[f](...a), [fn, args]);
}
