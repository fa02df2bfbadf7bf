// Shared helpers for the integration tests: SIP one-shots over UDP and WSS,
// liveness checks, and reading the sqlite file with the sqlite3 CLI.
import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { HOST } from './ovoz.mjs';
import { UdpPeer, WsPeer, registerWithAuth, rand } from './sip.mjs';

/** Rows of @sql from the sqlite file @db, as objects (sqlite3 -json). */
export function sqlite(db, sql) {
  const out = execFileSync('sqlite3', ['-json', db, sql], { encoding: 'utf8' }).trim();
  return out ? JSON.parse(out) : [];
}

/** The db file plus its WAL, as one Buffer (to grep for secrets). */
export function dbBytes(db) {
  return Buffer.concat([db, db + '-wal', db + '-journal']
    .filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

/** An OPTIONS request addressed to ovoz itself. */
export function options({ transport = 'UDP', host = HOST, port = 5060, callId = rand(8) } = {}) {
  const via = transport === 'UDP'
    ? `SIP/2.0/UDP ${host}:${port};branch=z9hG4bK${rand(6)};rport`
    : `SIP/2.0/WSS ${host};branch=z9hG4bK${rand(6)}`;
  return [
    'OPTIONS sip:ovoz.test SIP/2.0', `Via: ${via}`, 'Max-Forwards: 70',
    `From: <sip:probe@ovoz.test>;tag=${rand(4)}`, '<sip:ovoz.test>'.replace(/^/, 'To: '),
    `Call-ID: ${callId}`, 'CSeq: 1 OPTIONS', 'Accept: application/sdp', 'Content-Length: 0', '', '',
  ].join('\r\n');
}

/** Send an OPTIONS over UDP from a fresh socket; the response or null. */
export async function udpOptions(o, ms = 2000) {
  const peer = await UdpPeer.open();
  try {
    await peer.send(o.udpPort, options({ port: peer.port }));
    return await peer.recv(ms);
  } finally { peer.close(); }
}

/** Assert that ovoz is alive: process running, OPTIONS 200, REST 200. */
export async function assertAlive(o, assert, what = '') {
  assert.equal(o.exited, null, `ovoz exited ${what}\n` + o.logs.slice(-3000));
  const r = await udpOptions(o);
  assert.ok(r, `no OPTIONS answer ${what}`);
  assert.equal(r.status, 200, `OPTIONS ${what}`);
  const l = await o.api('GET', '/api/extensions');
  assert.equal(l.status, 200, `REST ${what}`);
}

/** Full digest REGISTER over UDP from a fresh socket (kept open). */
export async function udpRegister(o, user, password, opts = {}) {
  const peer = await UdpPeer.open(opts.localPort ?? 0);
  const send = (m) => peer.send(o.udpPort, m);
  const res = await registerWithAuth(peer, send, {
    user, password, viaHost: HOST, viaPort: peer.port,
    contact: `<sip:${user}@${HOST}:${peer.port}>`, ...opts,
  });
  return { peer, ...res };
}

/** Full digest REGISTER over a new WSS connection, SIP.js style (MD5). */
export async function wsRegister(o, user, password, opts = {}) {
  const { wsOpts, ...rest } = opts;
  const peer = await WsPeer.open(o.httpsPort, wsOpts);
  const send = (m) => peer.send(m, rest.binary ?? false);
  const res = await registerWithAuth(peer, send, {
    user, password, alg: 'MD5', transport: 'WSS', viaHost: peer.host,
    contact: `<sip:${rand(4)}@${peer.host};transport=ws>`, cseq: 2, ...rest,
  });
  return { peer, ...res };
}

/** @p's value, or null after @ms (the timer is cleared either way). */
export async function within(p, ms) {
  let timer;
  try {
    return await Promise.race([p, new Promise((res) => { timer = setTimeout(() => res(null), ms); })]);
  } finally { clearTimeout(timer); }
}
