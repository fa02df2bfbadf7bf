// Call set-up timing, browser to softphone: headless Chromium running
// SIP.js on the end-to-end harness page calls baresip (UDP, auto-answer,
// 1 kHz tone) through a server, CALLS times, one call at a time, and
// reports p50/p95 of each step from the first INVITE the browser sends:
// the 2xx, the first RTP the browser receives (the remote track's unmute
// and getStats), the first remote audio frame with energy (AnalyserNode),
// and the browser's own ICE checking -> first packet. Against Ovoz it also
// reads Ovoz's log: first valid ICE check -> DTLS-SRTP keyed -> media
// flowing both ways, per call.
// A measurement, never a test: tests/bench/setup.sh runs it (see there and
// docs/benchmarks.md).
//
// node tests/bench/setup.mjs --target ovoz [--calls 20] [--warmup 2]
//   starts its own ovoz (OVOZ_BIN) and serves the page from it.
// node tests/bench/setup.mjs --target kamailio --wss wss://127.0.0.1:P/ws
//   --udp-port P --realm R --password PW --caller EXT --callee EXT
//   uses a running proxy whose users exist; serves the page itself.
// Prints one JSON line per call to stderr and a summary JSON on stdout.
import { createServer } from 'node:https';
import { readFileSync, createReadStream, statSync, rmSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startOvoz, freePort, waitFor, sleep, SOURCE_ROOT, HOST } from '../integration/lib/ovoz.mjs';
import { makeWebroot, openPhone, h } from '../e2e/lib/browser.mjs';
import { startBaresip } from '../e2e/lib/baresip.mjs';

const { values: opt } = parseArgs({
  options: {
    target: { type: 'string', default: 'ovoz' },
    calls: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '2' },
    wss: { type: 'string' },
    'udp-port': { type: 'string' },
    realm: { type: 'string', default: 'bench' },
    password: { type: 'string', default: 'benchpass' },
    caller: { type: 'string', default: '2000' },
    callee: { type: 'string', default: '1000' },
    'log-level': { type: 'string', default: 'info' },
  },
});
const CALLS = Number(opt.calls);
const WARMUP = Number(opt.warmup);
const TONE_BROWSER = 440;
const TONE_BARESIP = 1000;

/** A static HTTPS server for the harness page (the dev certificate). */
async function servePage(root) {
  const port = await freePort();
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript' };
  const srv = createServer({
    cert: readFileSync(path.join(SOURCE_ROOT, 'certs/dev/server.pem')),
    key: readFileSync(path.join(SOURCE_ROOT, 'certs/dev/server.key')),
  }, (req, res) => {
    const rel = decodeURIComponent(new URL(req.url, 'https://x').pathname);
    const file = path.join(root, path.normalize(rel));
    let real;
    try { real = realpathSync(file); } catch { real = null; }
    if (!real || !statSync(real).isFile()) { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    createReadStream(real).pipe(res);
  });
  await new Promise((r) => srv.listen(port, HOST, r));
  return { url: `https://${HOST}:${port}/harness.html`, close: () => new Promise((r) => srv.close(r)) };
}

/** Nearest-rank percentile @p (0..100) of @xs (numbers, nulls skipped). */
function pct(xs, p) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(p / 100 * v.length) - 1))];
}

const r1 = (x) => (x == null ? null : Math.round(x * 10) / 10);
const since = (t, a, b) => (t[a] == null || t[b] == null ? null : t[b] - t[a]);

/** The steps of one call, in ms, from the browser's timings @t (+ Ovoz's @o). */
function steps(t, o) {
  return {
    inviteTo2xx: since(t, 'invite', 'accept'),
    inviteToFirstRtp: since(t, 'invite', 'unmute'),
    inviteToFirstPacketStats: since(t, 'invite', 'packet'),
    inviteToAudio: since(t, 'invite', 'energy'),
    browserIceCheckingToFirstRtp: since(t, 'iceChecking', 'unmute'),
    browserIceCheckingToDtls: since(t, 'iceChecking', 'dtlsConnected'),
    ovozFirstCheckToDtls: o?.dtls ?? null,
    ovozFirstCheckToFlowing: o?.flowing ?? null,
  };
}

async function main() {
  const cleanups = [];
  const cleanup = async () => {
    while (cleanups.length) await cleanups.pop()().catch((e) => console.error(`cleanup: ${e.message}`));
  };
  process.on('SIGINT', () => { cleanup().finally(() => process.exit(130)); });
  process.on('SIGTERM', () => { cleanup().finally(() => process.exit(143)); });
  try {
    const web = makeWebroot();
    cleanups.push(async () => rmSync(web, { recursive: true, force: true }));
    let o;
    let url;
    let wss;
    let domain;
    let server;          // { udpPort } for baresip
    const a = { ext: opt.caller, password: opt.password };
    const b = { ext: opt.callee, password: opt.password };
    if (opt.target === 'ovoz') {
      o = await startOvoz({ extraArgs: ['--webroot', web], logLevel: opt['log-level'], realm: opt.realm });
      cleanups.push(async () => { await o.stop().catch(() => {}); o.cleanup(); });
      for (const e of [a, b]) {
        const r = await o.api('POST', '/api/extensions', { extension: e.ext, password: e.password });
        if (r.status !== 201 && r.status !== 200) throw new Error(`create ${e.ext}: ${r.status} ${r.text}`);
      }
      url = `https://${HOST}:${o.httpsPort}/harness.html`;
      wss = `wss://${HOST}:${o.httpsPort}/ws`;
      domain = HOST;
      server = o;
    } else {
      if (!opt.wss || !opt['udp-port']) throw new Error('--wss and --udp-port are needed');
      const page = await servePage(web);
      cleanups.push(page.close);
      url = page.url;
      wss = opt.wss;
      domain = opt.realm;
      server = { udpPort: Number(opt['udp-port']) };
    }
    const sip = await startBaresip(server, { ...b, freq: TONE_BARESIP });
    cleanups.push(() => sip.stop());
    const phone = await openPhone(url, { freq: TONE_BROWSER });
    cleanups.push(() => phone.close());
    const reg = await h(phone, 'register', a.ext, a.password, wss, domain);
    if (reg !== 'Registered') throw new Error(`browser registration: ${reg}\n${phone.consoleLog()}`);

    const rows = [];
    let dumped = false;
    for (let i = 0; i < WARMUP + CALLS; i++) {
      const closedBefore = sip.ctrl.events.filter((e) => e.type === 'CALL_CLOSED').length;
      const callId = await h(phone, 'call', `sip:${b.ext}@${domain}`);
      const t = await h(phone, 'setupTimes', 5000);
      let ovoz = null;
      if (o) {
        const re = new RegExp(`call ${callId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: media flowing both ways ([0-9.]+) ms after the first ICE check \\(DTLS-SRTP keyed at (-?[0-9.]+) ms\\)`);
        await waitFor(() => re.test(o.logs), 2000, `ovoz's set-up log line for ${callId}`).catch(() => {});
        const m = re.exec(o.logs);
        if (m) ovoz = { flowing: Number(m[1]), dtls: Number(m[2]) };
      }
      const st = (await h(phone, 'state')).session;
      if (t.energy == null && !dumped) {
        // The first call without audio: what the browser saw, for diagnosis.
        dumped = true;
        const hl = await phone.page.evaluate(() => window.harness.log.slice(-12));
        console.error(`no audio on call ${i}; harness log:\n${JSON.stringify(hl, null, 1)}\n` +
          `browser timings: ${JSON.stringify(t)}\nconsole:\n${phone.consoleLog().slice(-3000)}`);
      }
      await h(phone, 'hangup').catch(() => {});
      await waitFor(() => sip.ctrl.events.filter((e) => e.type === 'CALL_CLOSED').length > closedBefore,
        5000, 'baresip CALL_CLOSED').catch(() => {});
      const row = { i, warmup: i < WARMUP, callId, state: st, invites: t.invites, ...steps(t, ovoz) };
      for (const k of Object.keys(row)) if (typeof row[k] === 'number' && k !== 'i' && k !== 'invites') row[k] = r1(row[k]);
      console.error(JSON.stringify(row));
      if (i >= WARMUP) rows.push(row);
      await sleep(300); // let both ends settle before the next call
    }
    const keys = Object.keys(steps({}, null));
    const summary = { target: opt.target, calls: rows.length, failed: rows.filter((r) => r.inviteToAudio == null).length };
    for (const k of keys) {
      const v = rows.map((r) => r[k]);
      if (v.every((x) => x == null)) continue;
      summary[k] = { p50: r1(pct(v, 50)), p95: r1(pct(v, 95)), min: r1(pct(v, 0)), max: r1(pct(v, 100)),
        n: v.filter((x) => x != null).length };
    }
    console.log(JSON.stringify(summary));
  } finally {
    await cleanup();
  }
}

main().catch((e) => { console.error(e.stack ?? e); process.exit(1); });
