// Connection limits on the HTTPS/WSS port: every request shape a client
// can stall or confuse the server with (CONNECT, unknown methods, %00 in
// the path, idle TCP, half a TLS ClientHello, idle TLS, headers or a body
// a byte at a time) is answered and/or closed BY THE SERVER within
// [http] idle_timeout, and the process's descriptors return to where they
// were. Connections beyond [http] max_connections_per_ip are closed right
// after accept, before any TLS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { stopClean, waitFor, sleep, HOST } from './lib/ovoz.mjs';
import { startWithConfig } from './lib/calls.mjs';

const IDLE = 3;          // [http] idle_timeout
const MARGIN_MS = 3000;  // scheduling slack on a loaded machine
const PER_IP = 150;      // [http] max_connections_per_ip
let o;

before(async () => {
  o = await startWithConfig(`[http]\nidle_timeout = ${IDLE}\nmax_connections_per_ip = ${PER_IP}\n`);
  // One full TLS connection first, so anything the TLS library opens
  // once (and keeps) is in the baseline.
  await shape(tlsShape('GET /index.html HTTP/1.0\r\n\r\n'), IDLE * 1000 + MARGIN_MS);
});

after(async () => {
  if (o && !o.exited) await stopClean(o, assert);
  o?.cleanup();
});

const fds = () => readdirSync(`/proc/${o.pid}/fd`).length;

async function metric(name) {
  const m = (await o.api('GET', '/metrics')).text;
  const line = m.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}

/** Wait until no client connection is left (keep-alive ones included). */
async function settle() {
  await waitFor(async () => (await metric('ovoz_http_connections')) <= 1, (IDLE + 6) * 1000, 'connections to drain');
  await sleep(IDLE * 1000 + 500); // the metrics connection itself
}

const tlsShape = (text, drip) => () => {
  const s = tls.connect({ host: HOST, port: o.httpsPort, rejectUnauthorized: false }, () => {
    if (text) s.write(text);
    if (drip) s.drip = setInterval(() => s.write(drip), 500);
  });
  return s;
};
const tcpShape = (bytes) => () => {
  const s = net.connect(o.httpsPort, HOST, () => { if (bytes) s.write(bytes); });
  return s;
};

/**
 * Open one connection; resolve { by: 'server', ms, data } when the server
 * ends or resets it, or { by: 'client' } if it is still open after
 * @deadline ms (then the test destroys it).
 */
function shape(open, deadline) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = open();
    let data = '';
    let gaveUp = false;
    const timer = setTimeout(() => { gaveUp = true; s.destroy(); }, deadline);
    s.on('data', (d) => { data += d.toString('latin1'); });
    s.on('error', () => { /* a reset is the server closing too */ });
    s.on('close', () => {
      clearTimeout(timer);
      clearInterval(s.drip);
      resolve({ by: gaveUp ? 'client' : 'server', ms: Date.now() - t0, data });
    });
  });
}

const SHAPES = {
  connect: tlsShape('CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n'),
  'unknown method': tlsShape('FROB / HTTP/1.1\r\nHost: x\r\n\r\n'),
  '%00 in the path': tlsShape('GET /a%00b.html HTTP/1.1\r\nHost: x\r\n\r\n'),
  '%00 in an API path': tlsShape('GET /api/extensions/%00 HTTP/1.1\r\nHost: x\r\n\r\n'),
  'idle TCP, no TLS': tcpShape(null),
  'half a ClientHello': tcpShape(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00])),
  'idle TLS': tlsShape(null),
  'headers a line at a time': tlsShape('GET / HTTP/1.1\r\n', 'X-Slow: 1\r\n'),
  'body a byte at a time': tlsShape('POST /api/extensions HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\n', 'x'),
  'websocket upgrade, wrong subprotocol': tlsShape('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n'),
};

test('50 CONNECTs and every other stalling shape are closed by the server within idle_timeout; fds return', async () => {
  await settle();
  const base = fds();
  const runs = [];
  for (let i = 0; i < 50; i++) runs.push(['connect', shape(SHAPES.connect, IDLE * 1000 + MARGIN_MS)]);
  for (const [name, open] of Object.entries(SHAPES)) {
    for (let i = 0; i < 6; i++) runs.push([name, shape(open, IDLE * 1000 + MARGIN_MS)]);
  }
  await sleep(300);
  assert.ok(fds() > base + 20, `ovoz holds the connections while they are open (${fds()} fds, base ${base})`);
  const results = await Promise.all(runs.map(async ([name, p]) => [name, await p]));
  for (const [name, r] of results) {
    assert.equal(r.by, 'server', `${name}: still open after ${IDLE} s + margin`);
    assert.ok(r.ms <= IDLE * 1000 + MARGIN_MS, `${name}: closed after ${r.ms} ms`);
  }
  // Refused outright, not left to time out.
  for (const [name, r] of results.filter(([n]) => n === 'connect' || n.startsWith('websocket'))) {
    assert.ok(r.ms < IDLE * 1000, `${name}: took ${r.ms} ms to be closed`);
  }
  // An unknown method gets an HTTP error before the close.
  const unknown = results.find(([n]) => n === 'unknown method')[1];
  assert.match(unknown.data, /^HTTP\/1\.[01] 4\d\d /);
  await waitFor(() => fds() <= base, 2000, `fds back to ${base} (now ${fds()})`);
  assert.ok(await metric('ovoz_http_connections_refused_total{reason="connect"}') >= 50);
  assert.ok(await metric('ovoz_ws_refused_total{reason="subprotocol"}') >= 6);
  assert.equal((await o.api('GET', '/api/extensions')).status, 200, 'REST works after the storm');
});

test('max_connections_per_ip: connections past the limit are closed at once, before TLS', async () => {
  await settle();
  const base = fds();
  const refused0 = await metric('ovoz_http_connections_refused_total{reason="per_ip_limit"}');
  await settle();
  const extra = 10;
  // All at once, so none reaches its idle timeout before the last is in.
  const socks = await Promise.all(Array.from({ length: PER_IP + extra }, () => new Promise((resolve) => {
    const s = net.connect(o.httpsPort, HOST);
    s.closedAt = null;
    s.on('error', () => {});
    s.on('close', () => { s.closedAt = Date.now(); });
    s.once('connect', () => resolve(s)).once('close', () => resolve(s));
  })));
  await sleep(500);
  // Idle TCP would wait for idle_timeout: the ones closed already were refused.
  const early = socks.filter((s) => s.closedAt !== null).length;
  assert.equal(early, extra, `${early} of ${PER_IP + extra} closed at once (want ${extra})`);
  await o.waitLog(new RegExp(`connection from 127\\.0\\.0\\.1 refused: ${PER_IP} connections open \\(limit ${PER_IP}\\)`), 2000);
  // The held ones time out; then the address may connect again.
  await waitFor(() => socks.every((s) => s.closedAt !== null), IDLE * 1000 + MARGIN_MS, 'idle connections closed by the server');
  await waitFor(() => fds() <= base, 2000, `fds back to ${base} (now ${fds()})`);
  assert.equal(await metric('ovoz_http_connections_refused_total{reason="per_ip_limit"}'), refused0 + extra);
  assert.equal((await o.api('GET', '/api/extensions')).status, 200);
});
