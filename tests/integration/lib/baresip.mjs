// baresip 1.0 (Debian 12) as a headless UDP softphone registered to an
// ovoz: same approach as test_daemon.mjs (own config dir, g711 only,
// null audio, registration seen through /api/extensions/EXT/status).
// The menu module is loaded because baresip 1.0 auto-answers there
// (account parameter answermode=auto).
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { tempDir, freePort, waitFor, HOST } from './ovoz.mjs';

/**
 * Start baresip registered as @ext/@password to @o (@args: more baresip
 * options, e.g. ['-e', '/dial 1002'] to run commands at start). Resolves with
 * { proc, pid, sipPort, log(), stop() } once /status shows it registered
 * (throws after @ms, baresip killed). Always call stop() (kills by PID).
 */
export async function startBaresip(o, { ext, password, answer = 'auto', ms = 8000, args = [] }) {
  const dir = tempDir('baresip-');
  const sipPort = await freePort();
  writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll',
    `sip_listen ${HOST}:${sipPort}`,
    'net_interface 127.0.0.1',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aubridge.so',
    'module_app account.so',
    'module_app menu.so',
    'audio_player aubridge,null',
    'audio_source aubridge,null',
    `rtp_ports ${sipPort + 2}-${sipPort + 40}`,
    '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'accounts'),
    `<sip:${ext}@127.0.0.1;transport=udp>;auth_pass=${password};` +
    `outbound="sip:127.0.0.1:${o.udpPort};transport=udp";regint=60;answermode=${answer};audio_codecs=PCMU\n`);
  const proc = spawn('baresip', ['-f', dir, ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  const b = {
    proc, pid: proc.pid, sipPort, dir,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => (await o.api('GET', `/api/extensions/${ext}/status`)).json?.registered, ms, 'baresip registration');
  } catch (e) {
    await b.stop();
    throw new Error(`${e.message}\nbaresip:\n${log.slice(-1500)}`);
  }
  return b;
}
