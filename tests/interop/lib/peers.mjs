// Interop tests: real SIP clients as separate processes (sipp, linphonec)
// on loopback, each stopped by PID. baresip comes from
// tests/integration/lib/baresip.mjs.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir, freePort, waitFor, sleep, HOST, SOURCE_ROOT } from '../../integration/lib/ovoz.mjs';
import { udpRegister } from '../../integration/lib/util.mjs';

export const SIPP_DIR = path.join(SOURCE_ROOT, 'tests/interop/sipp');

/** An extension's /status: { registered, contacts }. */
export async function status(o, ext) {
  return (await o.api('GET', `/api/extensions/${ext}/status`)).json;
}

/** The outcomes of an extension's REGISTER attempts, newest first. */
export async function outcomes(o, ext) {
  return (await o.api('GET', `/api/extensions/${ext}/attempts?limit=20`)).json.attempts.map((a) => a.outcome);
}

export async function waitRegistered(o, ext, ms = 5000, want = true) {
  await waitFor(async () => (await status(o, ext))?.registered === want, ms,
    `${ext} ${want ? '' : 'not '}registered`);
}

/**
 * Whether a client that started registering @ext registers within @ms.
 * A client that cannot use the challenge shows only `challenged`
 * attempts; it gets @ms from its first challenge to get further.
 */
export async function registersWithin(o, ext, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if ((await status(o, ext))?.registered) return true;
    await sleep(100);
  }
  return false;
}

/** Run a process in a temp dir; { pid, done, log(), stop() } (SIGKILL by PID). */
export function run(cmd, args, { cwd, env, stdin = 'ignore' } = {}) {
  const dir = cwd ?? tempDir(`${cmd}-`);
  const p = spawn(cmd, args, { cwd: dir, env: env ?? process.env, stdio: [stdin, 'pipe', 'pipe'] });
  let log = '';
  p.stdout.on('data', (d) => { log += d; });
  p.stderr.on('data', (d) => { log += d; });
  const done = new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
  return {
    proc: p, pid: p.pid, dir, done, log: () => log,
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
      await done;
      if (!cwd) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A sipp UAS reachable as extension @ext: its port is registered with
 * digest first (UDP, from that same port), then sipp binds it and answers
 * one call: sipp/uas.xml (the caller hangs up) or uas_bye.xml (sipp does).
 * Returns the run() handle plus { port }.
 */
export async function sippUas(o, { ext, password }, { scenario = 'uas.xml' } = {}) {
  const port = await freePort();
  const r = await udpRegister(o, ext, password, { localPort: port });
  r.peer.close();
  if (r.final?.status !== 200) throw new Error(`REGISTER for the sipp UAS: ${r.final?.start}`);
  const h = run('sipp', ['-sf', path.join(SIPP_DIR, scenario), '-m', '1', '-i', HOST, '-p', String(port),
    '-mi', HOST, '-mp', String(port + 2), '-nostdin', '-aa', '-timeout', '30s', '-timeout_error']);
  h.port = port;
  await sleep(300); // sipp binds its port
  return h;
}

/** sipp as a client against @o with scenario @file; resolves to its exit. */
export async function sippClient(o, file, args) {
  const port = await freePort();
  const h = run('sipp', [`${HOST}:${o.udpPort}`, '-sf', path.join(SIPP_DIR, file), '-m', '1',
    '-i', HOST, '-p', String(port), '-mi', HOST, '-mp', String(port + 2), '-nostdin',
    '-timeout', '15s', '-timeout_error', ...args]);
  h.port = port;
  return h;
}

/**
 * linphonec (linphone-cli) as a headless UDP phone registered as @ext.
 * It runs with its own HOME (liblinphone needs ~/.local/share/linphone to
 * exist, else it never opens its SIP port), a config file, no sound card
 * (liblinphone falls back to no audio device) and commands piped to stdin.
 * Returns { send(cmd), waitLog(re, ms), log(), stop() }.
 */
export async function startLinphone(o, { ext, password, autoAnswer = false }) {
  const dir = tempDir('linphone-');
  mkdirSync(path.join(dir, '.local/share/linphone'), { recursive: true });
  const sipPort = await freePort();
  const rc = path.join(dir, 'linphonerc');
  writeFileSync(rc, [
    '[sip]', `sip_port=${sipPort}`, 'sip_tcp_port=0', 'sip_tls_port=0', 'default_proxy=0',
    'register_only_when_network_is_up=0', 'guess_hostname=0', `contact=sip:${ext}@${HOST}`,
    '[rtp]', `audio_rtp_port=${sipPort + 2}`, 'video_rtp_port=0',
    '[video]', 'enabled=0', 'capture=0', 'display=0', 'automatically_initiate=0',
    '[sound]', 'echocancellation=0',
    '[proxy_0]', `reg_proxy=<sip:${HOST}:${o.udpPort};transport=udp>`, `reg_identity=sip:${ext}@${HOST}`,
    'reg_expires=300', 'reg_sendregister=1', 'publish=0',
    '[auth_info_0]', `username=${ext}`, `passwd=${password}`,
    '',
  ].join('\n'));
  const h = run('linphonec', ['-c', rc, '-d', '0', ...(autoAnswer ? ['-a'] : [])],
    { cwd: dir, env: { ...process.env, HOME: dir }, stdin: 'pipe' });
  return {
    ...h, sipPort,
    send: (cmd) => h.proc.stdin.write(cmd + '\n'),
    waitLog: (re, ms = 5000) => waitFor(() => re.test(h.log()), ms, `linphonec output ${re}`)
      .catch((e) => { throw new Error(`${e.message}\nlinphonec:\n${h.log().slice(-1500)}`); }),
    async stop() {
      if (h.proc.exitCode === null) {
        h.proc.stdin.write('quit\n');
        await Promise.race([h.done, sleep(2000)]);
      }
      await h.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
