// Minimal SIP user-agent helpers for tests: build REGISTERs, answer digest
// challenges, and carry messages over UDP (dgram) or WSS (ws).
import dgram from 'node:dgram';
import { createHash, randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { HOST } from './ovoz.mjs';

export const rand = (n = 8) => randomBytes(n).toString('hex');

/** Parse a SIP message (test-side only): start line, headers, body. */
export function parseSip(text) {
  const s = Buffer.isBuffer(text) ? text.toString('latin1') : text;
  const idx = s.indexOf('\r\n\r\n');
  const head = idx >= 0 ? s.slice(0, idx) : s;
  const body = idx >= 0 ? s.slice(idx + 4) : '';
  const lines = head.split('\r\n');
  const start = lines.shift();
  const headers = [];
  for (const l of lines) {
    if (/^[ \t]/.test(l) && headers.length) { headers[headers.length - 1][1] += ' ' + l.trim(); continue; }
    const c = l.indexOf(':');
    if (c > 0) headers.push([l.slice(0, c).trim().toLowerCase(), l.slice(c + 1).trim()]);
  }
  const m = /^SIP\/2\.0 (\d{3}) ?(.*)$/.exec(start);
  const compact = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length' };
  const norm = (n) => compact[n] ?? n;
  return {
    start, body, raw: s,
    status: m ? Number(m[1]) : 0,
    reason: m ? m[2] : '',
    method: m ? null : start.split(' ')[0],
    header: (n) => { const h = headers.find(([k]) => norm(k) === n.toLowerCase()); return h ? h[1] : null; },
    headers: (n) => headers.filter(([k]) => norm(k) === n.toLowerCase()).map(([, v]) => v),
  };
}

export function hash(alg, s) {
  return createHash(alg === 'SHA-256' ? 'sha256' : 'md5').update(s).digest('hex');
}

/** Parse 'Digest realm="x", nonce="y", ...' into an object. */
export function parseChallenge(h) {
  const out = {};
  const re = /(\w+)=(?:"([^"]*)"|([^\s,]+))/g;
  let m;
  while ((m = re.exec(h))) out[m[1].toLowerCase()] = m[2] ?? m[3];
  return out;
}

/** Authorization header value answering challenge @ch. */
export function digestAuth({ ch, user, password, method, uri, nc = 1, cnonce = rand(4), alg }) {
  const algorithm = alg ?? ch.algorithm ?? 'MD5';
  const ha1 = hash(algorithm, `${user}:${ch.realm}:${password}`);
  const ha2 = hash(algorithm, `${method}:${uri}`);
  const ncs = nc.toString(16).padStart(8, '0');
  const response = hash(algorithm, `${ha1}:${ch.nonce}:${ncs}:${cnonce}:auth:${ha2}`);
  return `Digest username="${user}", realm="${ch.realm}", nonce="${ch.nonce}", uri="${uri}", ` +
    `response="${response}", algorithm=${algorithm}, cnonce="${cnonce}", qop=auth, nc=${ncs}`;
}

/** Build a REGISTER. */
export function register({ user, domain = 'ovoz.test', transport = 'UDP', viaHost, viaPort, contact,
  expires = 300, cseq = 1, callId, fromTag, auth, extraHeaders = [], userAgent = 'OvozTest/1.0' }) {
  const branch = 'z9hG4bK' + rand(6);
  const via = transport === 'UDP'
    ? `SIP/2.0/UDP ${viaHost}:${viaPort};branch=${branch};rport`
    : `SIP/2.0/WSS ${viaHost};branch=${branch}`;
  const lines = [
    `REGISTER sip:${domain} SIP/2.0`,
    `Via: ${via}`,
    'Max-Forwards: 70',
    `From: <sip:${user}@${domain}>;tag=${fromTag ?? rand(4)}`,
    `To: <sip:${user}@${domain}>`,
    `Call-ID: ${callId ?? rand(8)}`,
    `CSeq: ${cseq} REGISTER`,
    ...(contact === null ? [] : [`Contact: ${contact}`]),
    ...(expires === null ? [] : [`Expires: ${expires}`]),
    `User-Agent: ${userAgent}`,
    ...(auth ? [`Authorization: ${auth}`] : []),
    ...extraHeaders,
    'Content-Length: 0',
    '', '',
  ];
  return lines.join('\r\n');
}

/** What both peers share: a queue of received messages and waiters. */
class Peer {
  constructor() { this.queue = []; this.waiters = []; }
  deliver(m) {
    const w = this.waiters.shift();
    if (w) w(m); else this.queue.push(m);
  }
  /** Next message (Buffer for UDP, latin1 string for WS), or null after @ms. */
  recvRaw(ms = 2000) {
    if (this.queue.length) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => {
      const w = (m) => { clearTimeout(t); resolve(m); };
      const t = setTimeout(() => { this.waiters = this.waiters.filter((x) => x !== w); resolve(null); }, ms);
      this.waiters.push(w);
    });
  }
  async recv(ms = 2000) {
    const m = await this.recvRaw(ms);
    return m === null ? null : parseSip(m);
  }
}

/** A UDP SIP endpoint on loopback. */
export class UdpPeer extends Peer {
  static async open(port = 0) {
    const p = new UdpPeer();
    p.sock = dgram.createSocket('udp4');
    p.sock.on('message', (msg) => p.deliver(msg));
    await new Promise((r) => p.sock.bind(port, HOST, r));
    p.port = p.sock.address().port;
    return p;
  }
  send(port, data, host = HOST) {
    return new Promise((res, rej) => this.sock.send(Buffer.isBuffer(data) ? data : Buffer.from(data, 'latin1'), port, host, (e) => e ? rej(e) : res()));
  }
  close() { this.sock.close(); }
}

/** A SIP-over-WSS client like SIP.js: subprotocol sip, .invalid hosts. */
export class WsPeer extends Peer {
  static open(port, { origin, path = '/ws', protocol = 'sip', headers = {}, maxPayload } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`wss://${HOST}:${port}${path}`, protocol, {
        rejectUnauthorized: false, headers: { ...(origin ? { Origin: origin } : {}), ...headers },
        ...(maxPayload ? { maxPayload } : {}),
      });
      const p = new WsPeer();
      p.ws = ws;
      p.host = rand(6) + '.invalid';
      p.closed = new Promise((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
      ws.on('message', (data) => p.deliver(data.toString('latin1')));
      ws.once('open', () => resolve(p));
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }
  send(text, binary = false) { this.ws.send(Buffer.from(text, 'latin1'), { binary }); }
  close() { this.ws.close(); return this.closed; }
}

/**
 * Full digest REGISTER over @peer: REGISTER, 401, REGISTER with
 * credentials. Returns { challenge, final } responses.
 */
export async function registerWithAuth(peer, send, { user, password, alg = 'MD5', ...rest }) {
  const callId = rand(8);
  await send(register({ user, callId, cseq: 1, ...rest }));
  const challenge = await peer.recv();
  if (!challenge || challenge.status !== 401) return { challenge, final: challenge };
  const chs = challenge.headers('www-authenticate').map(parseChallenge);
  const ch = chs.find((c) => (c.algorithm ?? 'MD5') === alg) ?? chs[0];
  const auth = digestAuth({ ch, user, password, method: 'REGISTER', uri: `sip:${rest.domain ?? 'ovoz.test'}`, alg: ch.algorithm ?? 'MD5' });
  await send(register({ user, callId, cseq: 2, auth, ...rest }));
  const final = await peer.recv();
  return { challenge, final, ch };
}
