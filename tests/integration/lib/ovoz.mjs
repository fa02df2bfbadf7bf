// Test harness: start a real ovoz process on free loopback ports with its
// own sqlite file, talk to its REST API, and stop it by PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';
import net from 'node:net';
import https from 'node:https';
import { randomBytes } from 'node:crypto';

export const SOURCE_ROOT = process.env.OVOZ_SOURCE_ROOT ??
  path.resolve(new URL('../../..', import.meta.url).pathname);
export const SHARED = process.env.OVOZ_SHARED ?? path.resolve(SOURCE_ROOT, '../shared');
export const OVOZ_BIN = process.env.OVOZ_BIN ?? path.join(SOURCE_ROOT, 'build-test/gateway/ovoz');
export const HOST = '127.0.0.1';

const usedPorts = new Set();

function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, HOST, () => s.close(() => resolve(true)));
  });
}

function tcpFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, HOST, () => s.close(() => resolve(true)));
  });
}

/** A port >= 15000 free for both UDP and TCP (and port+1 for UDP). */
export async function freePort() {
  for (let i = 0; i < 200; i++) {
    const p = 15000 + Math.floor(Math.random() * 25000) * 2;
    if (usedPorts.has(p)) continue;
    if (await udpFree(p) && await tcpFree(p) && await udpFree(p + 1)) {
      usedPorts.add(p);
      return p;
    }
  }
  throw new Error('no free port');
}

export function tempDir(prefix = 'ovoz-test-') {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * Start ovoz. Options: dir (reuse a data dir, for restarts), udpPort,
 * httpsPort, token, extraArgs, config (INI text). Resolves once it logs
 * that it started.
 */
export async function startOvoz(opts = {}) {
  const dir = opts.dir ?? tempDir();
  const udpPort = opts.udpPort ?? await freePort();
  const httpsPort = opts.httpsPort ?? await freePort();
  // token: null means "let ovoz generate one" (no --admin-token flag).
  const token = opts.token === undefined ? randomBytes(18).toString('hex') : opts.token;
  const db = path.join(dir, 'ovoz.db');
  const args = [
    '--sip-udp', `${HOST}:${udpPort}`,
    '--https', `${HOST}:${httpsPort}`,
    '--cert', path.join(SOURCE_ROOT, 'certs/dev/server.pem'),
    '--key', path.join(SOURCE_ROOT, 'certs/dev/server.key'),
    '--db', db,
    '--realm', opts.realm ?? 'ovoz.test',
    '--log-level', opts.logLevel ?? 'info',
    '--webroot', path.join(SOURCE_ROOT, 'webphone'),
    ...(token === null ? [] : ['--admin-token', token]),
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawn(OVOZ_BIN, args, {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ASAN_OPTIONS: process.env.ASAN_OPTIONS ?? 'detect_leaks=1:exitcode=23',
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1:exitcode=24',
    },
  });
  const o = {
    proc, pid: proc.pid, dir, db, udpPort, httpsPort, token, logs: '', stdout: '',
    exited: null,
  };
  proc.stdout.on('data', (d) => { o.stdout += d; });
  proc.stderr.on('data', (d) => { o.logs += d; if (process.env.OVOZ_TEST_VERBOSE) process.stderr.write(d); });
  o.exitPromise = new Promise((resolve) => proc.on('exit', (code, signal) => {
    o.exited = { code, signal };
    resolve(o.exited);
  }));
  o.waitLog = (re, ms = 5000) => waitFor(() => re.test(o.logs), ms, `log ${re}`);
  o.stop = async () => {
    if (!o.exited) proc.kill('SIGTERM');
    let timer;
    const r = await Promise.race([o.exitPromise,
      new Promise((res) => { timer = setTimeout(() => res(null), 10000); })]);
    clearTimeout(timer); // a pending timer would keep node alive 10 s
    if (!r) { proc.kill('SIGKILL'); throw new Error('ovoz did not stop on SIGTERM:\n' + o.logs.slice(-3000)); }
    return r;
  };
  o.kill9 = async () => { proc.kill('SIGKILL'); await o.exitPromise; };
  o.cleanup = () => rmSync(dir, { recursive: true, force: true });
  o.api = (method, p, body, tok = token) => apiRequest(httpsPort, method, p, body, tok);
  try {
    await waitFor(() => /Ovoz \S+ started/.test(o.logs) || o.exited, 15000, 'ovoz start');
  } catch (e) {
    proc.kill('SIGKILL');
    throw new Error('ovoz did not start:\n' + o.logs);
  }
  if (o.exited) throw new Error(`ovoz exited at start (${JSON.stringify(o.exited)}):\n${o.logs}`);
  return o;
}

/** Stop and assert a clean exit (0: no leak, no sanitizer report). */
export async function stopClean(o, assert) {
  const r = await o.stop();
  assert.deepEqual(r, { code: 0, signal: null }, 'ovoz exit status\n' + o.logs.slice(-4000));
  assert.doesNotMatch(o.logs, /AddressSanitizer|runtime error:|LeakSanitizer/, 'sanitizer report');
}

export function apiRequest(port, method, p, body, token) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? null
      : (typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
    const headers = {};
    if (token) headers.Authorization = `Bearer ${token}`;
    if (data !== null) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(data);
    }
    const req = https.request({ host: HOST, port, method, path: p, headers, rejectUnauthorized: false }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { buf += d; });
      res.on('end', () => {
        let json = null;
        try { json = buf ? JSON.parse(buf) : null; } catch { /* not JSON */ }
        resolve({ status: res.statusCode, headers: res.headers, text: buf, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('HTTP timeout')));
    if (data !== null) req.write(data);
    req.end();
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(pred, ms = 5000, what = 'condition') {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await pred()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}
