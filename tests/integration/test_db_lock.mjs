// A locked database never stalls signalling: while another program holds
// the sqlite write lock (an admin's sqlite3 shell, a backup), 100 UDP
// phones still register at once; their bindings and REGISTER attempts are
// written once the lock is gone. REST writes answer 503 instead of waiting.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startOvoz, stopClean, sleep, waitFor } from './lib/ovoz.mjs';
import { udpRegister, sqlite, assertAlive } from './lib/util.mjs';

const PHONES = 100;
const LOCK_MS = 5000;
const running = new Set();
const children = new Set();
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  for (const o of running) { await o.kill9(); o.cleanup(); }
});

/** Hold the write lock of @db from a sqlite3 CLI process; resolves once
 *  BEGIN EXCLUSIVE has succeeded. release() commits and waits for exit. */
async function holdWriteLock(db) {
  const p = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(p);
  let out = '';
  let err = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.on('exit', (code) => { children.delete(p); r(code); }));
  p.stdin.write("BEGIN EXCLUSIVE;\nSELECT 'locked';\n");
  await waitFor(() => out.includes('locked') || err, 5000, 'sqlite3 lock');
  assert.equal(err, '', 'sqlite3 could not lock: ' + err);
  return {
    at: Date.now(),
    async release() { p.stdin.end('COMMIT;\n'); assert.equal(await exited, 0, err); },
  };
}

const count = (db, sql) => sqlite(db, sql)[0].n;

/** The value of an unlabelled series from /metrics. */
async function metric(o, name) {
  const r = await o.api('GET', '/metrics');
  assert.equal(r.status, 200);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
  assert.ok(m, `${name} missing`);
  return Number(m[1]);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

test('100 UDP phones register during a 5 s database lock; their rows land after it', async () => {
  const o = await startOvoz();
  running.add(o);
  const exts = Array.from({ length: PHONES }, (_, i) => String(3000 + i));
  for (let i = 0; i < exts.length; i += 10) {
    const rs = await Promise.all(exts.slice(i, i + 10).map((e) =>
      o.api('POST', '/api/extensions', { extension: e, password: `pw-${e}` })));
    for (const r of rs) assert.equal(r.status, 201, r.text);
  }

  const lock = await holdWriteLock(o.db);
  // A REST write gives up quickly with 503; reads still work (WAL).
  const t0 = Date.now();
  const busy = await o.api('POST', '/api/extensions', { extension: '3999', password: 'pw-3999' });
  const busyMs = Date.now() - t0;
  assert.equal(busy.status, 503, busy.text);
  assert.deepEqual(busy.json, { error: 'database busy' });
  assert.ok(busyMs < 1000, `503 took ${busyMs} ms`);
  assert.equal((await o.api('GET', '/api/extensions')).json.extensions.length, PHONES);

  const phones = await Promise.all(exts.map(async (e) => {
    const start = process.hrtime.bigint();
    const r = await udpRegister(o, e, `pw-${e}`, { expires: 600, userAgent: 'MicroSIP/3.21' });
    return { ...r, ms: Number(process.hrtime.bigint() - start) / 1e6 };
  }));
  const heldMs = Date.now() - lock.at;
  for (const [i, p] of phones.entries()) {
    assert.equal(p.final?.status, 200, `${exts[i]}: ${p.final?.raw ?? 'no answer'}`);
  }
  const ms = phones.map((p) => p.ms).sort((a, b) => a - b);
  const p50 = percentile(ms, 50);
  const p99 = percentile(ms, 99);
  console.log(`registration (REGISTER, 401, REGISTER, 200) during the lock: ` +
    `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${ms.at(-1).toFixed(1)} ms ` +
    `(${PHONES} phones at once, lock held ${heldMs} ms so far)`);
  assert.ok(heldMs < LOCK_MS, `the registrations took longer than the lock (${heldMs} ms)`);
  assert.ok(p99 < 1000, `p99 ${p99} ms`);
  // Live in the registrar, not yet in the file: the lock really held.
  assert.equal((await o.api('GET', `/api/extensions/${exts[0]}/status`)).json.registered, true);
  assert.equal(count(o.db, 'SELECT count(*) AS n FROM locations'), 0);
  await o.waitLog(/database locked by another connection/);
  // Each phone queued one binding and two attempts (401, 200).
  assert.equal(await metric(o, 'ovoz_db_busy'), 1);
  assert.equal(await metric(o, 'ovoz_db_queued_writes'), 3 * PHONES);

  await sleep(Math.max(0, LOCK_MS - (Date.now() - lock.at)));
  const released = Date.now();
  await lock.release();
  await waitFor(() => count(o.db, 'SELECT count(*) AS n FROM locations') === PHONES, 5000,
    'bindings written after the lock');
  await waitFor(() => count(o.db, "SELECT count(*) AS n FROM register_attempts WHERE outcome = 'registered'") === PHONES,
    5000, 'attempts written after the lock');
  console.log(`queued rows stored ${Date.now() - released} ms after the lock was released`);
  const rows = sqlite(o.db, `SELECT extension, source, user_agent FROM locations WHERE extension = '${exts[7]}'`);
  assert.deepEqual(rows, [{ extension: exts[7], source: `127.0.0.1:${phones[7].peer.port}`, user_agent: 'MicroSIP/3.21' }]);
  assert.equal(count(o.db, "SELECT count(*) AS n FROM register_attempts WHERE outcome = 'challenged'"), PHONES);
  await o.waitLog(/database free again/);
  assert.equal(await metric(o, 'ovoz_db_busy'), 0);
  assert.equal(await metric(o, 'ovoz_db_queued_writes'), 0);
  assert.equal(await metric(o, 'ovoz_db_dropped_writes_total'), 0);
  // The REST write that was refused works now.
  assert.equal((await o.api('POST', '/api/extensions', { extension: '3999', password: 'pw-3999' })).status, 201);

  for (const p of phones) p.peer.close();
  await assertAlive(o, assert, 'after the lock');
  await stopClean(o, assert);
  running.delete(o);
  o.cleanup();
});
