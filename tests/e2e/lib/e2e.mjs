// Shared set-up for the end-to-end tests: an ovoz serving the harness
// page, extensions on demand, browser phones and baresips that are all
// stopped at the end, and the measurements the tests assert on.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startOvoz, stopClean, waitFor, sleep } from '../../integration/lib/ovoz.mjs';
import { extensionMaker } from '../../integration/lib/calls.mjs';
import { makeWebroot, openPhone, h } from './browser.mjs';
import { startBaresip } from './baresip.mjs';
import { toneShare } from './tone.mjs';

export { h, sleep, waitFor };

/** Tones: a distinct one per side, so audio looped back is caught. */
export const TONE = { browser: 440, baresip: 1000, browser2: 1500 };

/**
 * Start an ovoz with the harness webroot. Returns { o, url, exts, phone(freq),
 * baresip(opts), stop() }; stop() ends every peer and asserts ovoz exits
 * clean.
 */
export async function startE2e() {
  const web = makeWebroot();
  const o = await startOvoz({ extraArgs: ['--webroot', web], logLevel: process.env.OVOZ_TEST_LOGLEVEL });
  const peers = [];
  const env = {
    o,
    url: `https://127.0.0.1:${o.httpsPort}/harness.html`,
    exts: extensionMaker(o, 4100),
    async phone(freq) {
      const p = await openPhone(env.url, { freq });
      peers.push(p);
      return p;
    },
    async baresip(opts) {
      const b = await startBaresip(o, opts);
      peers.push(b);
      return b;
    },
    /** Stop the peers started so far (e.g. before reading recordings). */
    async stopPeers() {
      while (peers.length) {
        const p = peers.pop();
        await (p.close ?? p.stop).call(p).catch(() => {});
      }
    },
    async stop() {
      await env.stopPeers();
      try {
        await stopClean(o, assert);
      } finally {
        o.cleanup();
        rmSync(web, { recursive: true, force: true });
      }
    },
  };
  return env;
}

/** Register @phone as @ext over WSS; asserts SIP.js and ovoz agree. */
export async function registerPhone(env, phone, { ext, password }) {
  assert.equal(await h(phone, 'register', ext, password), 'Registered', 'SIP.js registration\n' + phone.consoleLog());
  const st = (await env.o.api('GET', `/api/extensions/${ext}/status`)).json;
  assert.equal(st?.registered, true, JSON.stringify(st));
}

/** Wait until the SIP.js session of @phone is @state (e.g. 'Established'). */
export async function sessionState(phone, state, ms = 8000) {
  let last;
  // A Terminated session never comes back: fail at once.
  await waitFor(async () => {
    last = (await h(phone, 'state')).session;
    if (last === 'Terminated' && state !== 'Terminated') throw new Error(`SIP.js session ended before ${state}`);
    return last === state;
  }, ms, `SIP.js session ${state}`)
    .catch(async (e) => {
      const log = await phone.page.evaluate(() => window.harness.log.map((x) => {
        const { sdp, ...rest } = x;
        return JSON.stringify(rest);
      }).join('\n'));
      throw new Error(`${e.message}; last state ${last}\nharness log:\n${log}\nconsole:\n${phone.consoleLog()}`);
    });
}

/**
 * Two getStats() samples of @phone @ms apart: { a, b, rate (inbound
 * packets/s), sentRate (outbound packets/s) }.
 */
export async function audioSample(phone, ms = 2000) {
  const a = await h(phone, 'stats');
  await sleep(ms);
  const b = await h(phone, 'stats');
  const diff = (x, y, k) => ((y?.[k] ?? 0) - (x?.[k] ?? 0)) * 1000 / ms;
  return {
    a, b,
    rate: diff(a.inbound, b.inbound, 'packetsReceived'),
    sentRate: diff(a.outbound, b.outbound, 'packetsSent'),
    energy: (b.inbound?.totalAudioEnergy ?? 0) - (a.inbound?.totalAudioEnergy ?? 0),
  };
}

/**
 * Assert that the browser @phone receives audio: ~50 packets/s of 20 ms
 * (@s from audioSample) with a real level, and that it sends too.
 */
export function assertBrowserHears(s, who) {
  const info = `${who}: ${JSON.stringify(s)}`;
  assert.ok(s.rate >= 35 && s.rate <= 70, `inbound RTP ~50 packets/s; ${info}`);
  assert.ok(s.sentRate >= 35, `outbound RTP ~50 packets/s; ${info}`);
  assert.ok(s.b.inbound.audioLevel > 0.05, `inbound audioLevel above silence; ${info}`);
  assert.ok(s.energy > 0.01, `inbound totalAudioEnergy grows; ${info}`);
}

/** Assert an in-page spectrum (harness.spectrum) peaks at @hear, not at @own. */
export function assertSpectrum(sp, hear, own, who) {
  const info = `${who}: ${JSON.stringify(sp)}`;
  assert.ok(sp.share[hear] > 0.5, `remote audio holds the other side's ${hear} Hz; ${info}`);
  assert.ok(sp.share[own] < 0.1, `remote audio is not our own ${own} Hz looped back; ${info}`);
}

/**
 * Assert that baresip @b's decoded recording of its last call (read after
 * the call ended) holds @hear Hz and not its own @own Hz.
 */
export function assertRecordingHears(b, hear, own) {
  const { dec } = b.recordings();
  assert.ok(dec.length >= 1, `baresip recorded the call's decoded audio (${JSON.stringify(b.recordings())})`);
  const r = toneShare(dec.at(-1), [hear, own]);
  const info = `baresip recording ${JSON.stringify(r)}`;
  assert.ok(r.seconds >= 1, `recording lasts at least 1 s; ${info}`);
  assert.ok(r.rms > 0.05, `recording is not silence; ${info}`);
  assert.ok(r.share[hear] > 0.5, `recording holds the other side's ${hear} Hz; ${info}`);
  assert.ok(r.share[own] < 0.1, `recording is not baresip's own ${own} Hz looped back; ${info}`);
}
