// Media-test helpers: the webrtc_peer program (a browser's ICE + DTLS +
// SRTP side, driven over stdin/stdout) and a plain RTP phone on a Node
// UDP socket. Loopback only.
import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { SOURCE_ROOT, HOST, freePort, waitFor } from './ovoz.mjs';

export const WEBRTC_PEER = process.env.WEBRTC_PEER ?? path.join(SOURCE_ROOT, 'build-test/tests/webrtc_peer');
export const havePeer = () => existsSync(WEBRTC_PEER);

/** What a text payload looks like in the peer's "rx HEX" lines. */
export const hex = (s) => Buffer.from(s, 'latin1').toString('hex');

/**
 * Start webrtc_peer with @args; resolves once it printed its offer:
 * { offer, lines (everything printed after it), answer(sdp), rx() (hex
 * payloads received), waitLine(re, ms), stop() -> exit code }.
 */
export async function startPeer(args = []) {
  const p = spawn(WEBRTC_PEER, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  p.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => p.on('exit', (code, signal) => r({ code, signal })));
  p.stdout.on('data', (d) => { out += d; });
  const h = {
    pid: p.pid,
    get offer() { return out.split('\n\n')[0].replace(/\n*$/, '\r\n'); },
    lines() { const i = out.indexOf('\n\n'); return i < 0 ? [] : out.slice(i + 2).split('\n').filter(Boolean); },
    rx() { return h.lines().filter((l) => l.startsWith('rx ')).map((l) => l.slice(3)); },
    log() { return `stdout:\n${out.slice(-3000)}\nstderr:\n${err.slice(-3000)}`; },
    answer(sdp) { p.stdin.end(sdp); },
    waitLine(re, ms = 5000) {
      return waitFor(async () => h.lines().find((l) => re.test(l)), ms, `webrtc_peer line ${re}`)
        .then(() => h.lines().find((l) => re.test(l)))
        .catch((e) => { throw new Error(`${e.message}\n${h.log()}`); });
    },
    async stop() {
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 10000);
      const r = await exited;
      clearTimeout(t);
      return r;
    },
  };
  await waitFor(async () => out.includes('\n\n') || p.exitCode !== null, 10000, 'webrtc_peer offer')
    .catch((e) => { throw new Error(`${e.message}\n${h.log()}`); });
  if (!out.includes('\n\n')) throw new Error(`webrtc_peer exited\n${h.log()}`);
  return h;
}

/** The audio address an SDP body names: { addr, port }. */
export function sdpAudio(sdp) {
  const m = /^m=audio (\d+) /m.exec(sdp);
  const cs = [...sdp.matchAll(/^c=IN IP[46] (\S+)/gm)].map((x) => x[1]);
  if (!m) throw new Error('no audio m-line in\n' + sdp);
  // media-level c= follows the m-line; else the session-level one.
  const after = sdp.slice(m.index);
  const mc = /^c=IN IP[46] (\S+)/m.exec(after);
  return { addr: mc ? mc[1] : cs[0], port: Number(m[1]) };
}

/**
 * A plain RTP phone on a UDP socket (even port >= 15000): records the
 * payloads it gets and where they came from; send(n) sends "phone-000"...
 * with pt 0 every 20 ms to @dest.
 */
export async function rtpPhone() {
  const port = await freePort();
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(port, HOST, r));
  const ph = {
    port, got: [], from: new Set(), seq: 0,
    async send(dest, n, prefix = 'phone') {
      for (let i = 0; i < n; i++) {
        const payload = Buffer.from(`${prefix}-${String(i).padStart(3, '0')}`, 'latin1');
        const hdr = Buffer.alloc(12);
        hdr[0] = 0x80; hdr[1] = 0;
        hdr.writeUInt16BE((2000 + ph.seq) & 0xffff, 2);
        hdr.writeUInt32BE((ph.seq * 160) >>> 0, 4);
        hdr.writeUInt32BE(0x50484f4e, 8);
        ph.seq++;
        await new Promise((res, rej) => sock.send(Buffer.concat([hdr, payload]), dest.port, dest.addr, (e) => e ? rej(e) : res()));
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close() { sock.close(); },
  };
  sock.on('message', (msg, rinfo) => {
    if (msg.length < 12 || (msg[0] & 0xc0) !== 0x80) return;
    const cc = msg[0] & 0x0f;
    let off = 12 + 4 * cc;
    if (msg[0] & 0x10) off += 4 + 4 * msg.readUInt16BE(off + 2);
    ph.got.push(msg.subarray(off).toString('latin1'));
    ph.from.add(`${rinfo.address}:${rinfo.port}`);
  });
  return ph;
}

/** The payloads "prefix-000".."prefix-(n-1)". */
export const payloads = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);
