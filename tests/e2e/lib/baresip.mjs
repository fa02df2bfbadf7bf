// baresip 1.0 (Debian 12) as a headless UDP softphone with real audio:
// registered to an ovoz over UDP, auto-answering, a tone file as its
// microphone (aufile), every call's decoded and encoded audio recorded
// (sndfile, under rec/), and driven over ctrl_tcp (netstring JSON:
// commands in, responses and events out). PCMU only.
import { spawn } from 'node:child_process';
import { writeFileSync, rmSync, mkdirSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { tempDir, freePort, waitFor, HOST } from '../../integration/lib/ovoz.mjs';
import { writeTone } from './tone.mjs';

/** A ctrl_tcp connection: cmd(name, params) -> response; events[] kept. */
class Ctrl {
  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.events = [];
    this.pending = new Map();
    this.token = 0;
    sock.on('data', (d) => this.#onData(d));
    sock.on('error', () => {});
  }

  static open(port) {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, HOST, () => resolve(new Ctrl(s)));
      s.once('error', reject);
    });
  }

  #onData(d) {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(':');
      if (colon < 0) return;
      const len = Number(this.buf.toString('ascii', 0, colon));
      if (this.buf.length < colon + 1 + len + 1) return;
      const msg = JSON.parse(this.buf.toString('utf8', colon + 1, colon + 1 + len));
      this.buf = this.buf.subarray(colon + 1 + len + 1);
      if (msg.response && this.pending.has(msg.token)) {
        this.pending.get(msg.token)(msg);
        this.pending.delete(msg.token);
      } else if (msg.event) {
        this.events.push(msg);
      }
    }
  }

  /** Run command @name with @params; resolves with { ok, data }. */
  cmd(name, params = '', ms = 3000) {
    const token = String(++this.token);
    const json = JSON.stringify({ command: name, params, token });
    this.sock.write(`${Buffer.byteLength(json)}:${json},`);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(token); reject(new Error(`baresip ${name}: no response`)); }, ms);
      this.pending.set(token, (m) => { clearTimeout(t); resolve(m); });
    });
  }

  close() { this.sock.destroy(); }
}

/**
 * Start baresip registered as @ext/@password to ovoz @o, with a @freq Hz
 * tone (8 kHz mono, PCMU's rate) as its source. Resolves once `reginfo`
 * shows the registration OK. Returns { pid, sipPort, ctrl, log(),
 * recordings(), dial(uri), hangup(), waitEvent(type, ms), stop() }.
 * Always call stop() (kills by PID, removes the folder).
 */
// @modules, @accountParams and @config (lines) add to the defaults (e.g. ICE and DTLS-SRTP
// to check the harness against a WebRTC-capable peer). @source replaces the
// tone file: "aubridge,mute" (a bridge no player feeds) sends no RTP at all.
export async function startBaresip(o, { ext, password, freq = 1000, source = null, answer = 'auto', ms = 8000, modules = [], accountParams = '', config = [] }) {
  const dir = tempDir('baresip-e2e-');
  const rec = path.join(dir, 'rec');
  mkdirSync(rec);
  const tone = writeTone(path.join(dir, 'tone.wav'), { freq, rate: 8000, seconds: 60 });
  // baresip listens for TLS on its SIP port + 1: the control port is apart.
  const sipPort = await freePort();
  const ctrlPort = await freePort();
  writeFileSync(path.join(dir, 'config'), [
    'poll_method epoll',
    `sip_listen ${HOST}:${sipPort}`,
    'net_interface 127.0.0.1',
    'module_path /usr/lib/baresip/modules',
    'module g711.so',
    'module aufile.so',
    'module aubridge.so',
    'module sndfile.so',
    ...modules.map((m) => `module ${m}`),
    'module_app account.so',
    'module_app menu.so',
    'module_app ctrl_tcp.so',
    `ctrl_tcp_listen ${HOST}:${ctrlPort}`,
    'audio_player aubridge,null',
    `audio_source ${source ?? `aufile,${tone}`}`,
    `snd_path ${rec}`,
    `rtp_ports ${sipPort + 2}-${sipPort + 40}`,
    ...config,
    '',
  ].join('\n'));
  writeFileSync(path.join(dir, 'accounts'),
    `<sip:${ext}@127.0.0.1;transport=udp>;auth_pass=${password};` +
    `outbound="sip:127.0.0.1:${o.udpPort};transport=udp";regint=60;answermode=${answer};audio_codecs=PCMU${accountParams}\n`);
  const proc = spawn('baresip', ['-f', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  const b = {
    pid: proc.pid, sipPort, ctrlPort, dir, ctrl: null,
    log: () => log,
    /** Recorded WAVs: { dec: [...], enc: [...] } (absolute paths, oldest first). */
    recordings() {
      const files = readdirSync(rec).sort();
      return {
        dec: files.filter((f) => f.endsWith('-dec.wav')).map((f) => path.join(rec, f)),
        enc: files.filter((f) => f.endsWith('-enc.wav')).map((f) => path.join(rec, f)),
      };
    },
    dial: (uri) => b.ctrl.cmd('dial', uri),
    hangup: () => b.ctrl.cmd('hangup'),
    /** The first ctrl_tcp event of @type (e.g. CALL_ESTABLISHED) matching @pred. */
    async waitEvent(type, ms = 5000, pred = () => true) {
      let ev;
      await waitFor(() => (ev = b.ctrl.events.find((e) => e.type === type && pred(e))), ms, `baresip event ${type}`)
        .catch((e) => { throw new Error(`${e.message}; events: ${b.ctrl.events.map((x) => x.type).join(',')}\n${log.slice(-1500)}`); });
      return ev;
    },
    async stop() {
      b.ctrl?.close();
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor(async () => {
      try { b.ctrl ??= await Ctrl.open(ctrlPort); } catch { return false; }
      return proc.exitCode === null;
    }, ms, 'baresip ctrl_tcp');
    // reginfo lists each account with a coloured OK once registered.
    await waitFor(async () => /\sOK\s/.test(((await b.ctrl.cmd('reginfo')).data ?? '')
      .replace(/\x1b\[[0-9;]*m/g, ' ')), ms, 'baresip registration');
  } catch (e) {
    await b.stop();
    throw new Error(`${e.message}\nbaresip:\n${log.slice(-1500)}`);
  }
  return b;
}
