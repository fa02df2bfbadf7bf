// Digest REGISTER over UDP against a running ovoz, with node and with sipp.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, stopClean, SHARED, HOST, freePort } from './lib/ovoz.mjs';
import { startWithConfig } from './lib/calls.mjs';
import { UdpPeer, register, registerWithAuth, parseChallenge, parseSip, digestAuth, rand } from './lib/sip.mjs';
import { options } from './lib/util.mjs';

let o;
before(async () => {
  o = await startOvoz();
  for (const [ext, pw] of [['1001', 'secret1001'], ['1002', 'secret1002']]) {
    const r = await o.api('POST', '/api/extensions', { extension: ext, password: pw, displayName: `Agent ${ext}` });
    assert.equal(r.status, 201);
  }
});
after(async () => { await stopClean(o, assert); o.cleanup(); });

async function udpRegister(user, password, opts = {}) {
  const peer = await UdpPeer.open();
  const send = (m) => peer.send(o.udpPort, m);
  const res = await registerWithAuth(peer, send, {
    user, password, viaHost: HOST, viaPort: peer.port,
    contact: `<sip:${user}@${HOST}:${peer.port}>`, ...opts,
  });
  return { peer, ...res };
}

test('the default challenge is one MD5 WWW-Authenticate with qop=auth', async () => {
  const { peer, challenge } = await udpRegister('1001', 'wrong-password-x');
  const chs = challenge.headers('www-authenticate').map(parseChallenge);
  assert.deepEqual(chs.map((c) => c.algorithm), ['MD5']);
  for (const c of chs) {
    assert.equal(c.qop, 'auth');
    assert.equal(c.realm, 'ovoz.test');
  }
  // RFC 3581: the response names where the request really came from.
  assert.match(challenge.header('via'), new RegExp(`rport=${peer.port}`));
  peer.close();
});

for (const alg of ['MD5']) {
  test(`correct password (${alg}) registers and shows in status`, async () => {
    const { peer, final } = await udpRegister('1001', 'secret1001', { alg });
    assert.equal(final.status, 200);
    assert.ok(final.headers('contact').some((c) => new RegExp(`sip:1001@127.0.0.1:${peer.port}>;expires=300`).test(c)),
      final.headers('contact').join(' | '));
    const st = await o.api('GET', '/api/extensions/1001/status');
    assert.equal(st.status, 200);
    assert.equal(st.json.registered, true);
    const c = st.json.contacts.find((x) => x.source === `127.0.0.1:${peer.port}`);
    assert.ok(c, JSON.stringify(st.json));
    assert.equal(c.transport, 'udp');
    assert.equal(c.userAgent, 'OvozTest/1.0');
    assert.ok(c.expires > 290 && c.expires <= 300);
    peer.close();
  });
}

test('SHA-256 first, by configuration: both challenges offered, each answered', async () => {
  const o2 = await startWithConfig('[sip]\ndigest_algorithms = SHA-256, MD5\n');
  assert.equal((await o2.api('POST', '/api/extensions', { extension: '1001', password: 'secret1001' })).status, 201);
  for (const alg of ['SHA-256', 'MD5']) {
    const peer = await UdpPeer.open();
    const send = (m) => peer.send(o2.udpPort, m);
    const { challenge, final } = await registerWithAuth(peer, send, {
      user: '1001', password: 'secret1001', alg, viaHost: HOST, viaPort: peer.port,
      contact: `<sip:1001@${HOST}:${peer.port}>`,
    });
    const chs = challenge.headers('www-authenticate').map(parseChallenge);
    assert.deepEqual(chs.map((c) => c.algorithm), ['SHA-256', 'MD5']);
    assert.equal(final.status, 200, `${alg}: ${final.status}`);
    peer.close();
  }
  await stopClean(o2, assert);
  o2.cleanup();
});

test('wrong password gets 403 and is logged as wrong_password', async () => {
  const { peer, final } = await udpRegister('1002', 'not-the-password');
  assert.equal(final.status, 403);
  const a = await o.api('GET', '/api/extensions/1002/attempts');
  assert.equal(a.status, 200);
  assert.equal(a.json.attempts[0].outcome, 'wrong_password');
  assert.equal(a.json.attempts[0].status, 403);
  assert.equal(a.json.attempts[1].outcome, 'challenged');
  assert.match(o.logs, /REGISTER 1002 from 127\.0\.0\.1:\d+ \(udp, OvozTest\/1\.0\): 403 wrong password \(digest mismatch\)/);
  peer.close();
});

test('unknown extension is refused and logged as unknown_extension', async () => {
  const { peer, final } = await udpRegister('9999', 'whatever99');
  assert.equal(final.status, 403);
  const a = await o.api('GET', '/api/extensions/9999/attempts');
  assert.equal(a.json.attempts[0].outcome, 'unknown_extension');
  assert.match(o.logs, /REGISTER 9999 from .*: 403 unknown extension/);
  peer.close();
});

test('Expires: 0 and * unregister; 423 below the minimum', async () => {
  const { peer, final } = await udpRegister('1002', 'secret1002', { expires: 30 });
  assert.equal(final.status, 423);
  assert.equal(final.header('min-expires'), '60');
  const r = await udpRegister('1002', 'secret1002', { expires: 120 });
  assert.equal(r.final.status, 200);
  let st = await o.api('GET', '/api/extensions/1002/status');
  assert.equal(st.json.contacts.length, 1);
  const un = await udpRegister('1002', 'secret1002', { contact: '*', expires: 0 });
  assert.equal(un.final.status, 200);
  st = await o.api('GET', '/api/extensions/1002/status');
  assert.equal(st.json.registered, false);
  peer.close(); r.peer.close(); un.peer.close();
});

test('nonce count cannot be replayed', async () => {
  const peer = await UdpPeer.open();
  const base = { user: '1001', viaHost: HOST, viaPort: peer.port, contact: `<sip:1001@${HOST}:${peer.port}>` };
  const callId = rand(8);
  await peer.send(o.udpPort, register({ ...base, callId, cseq: 1 }));
  const ch = parseChallenge((await peer.recv()).headers('www-authenticate')[0]);
  const auth = digestAuth({ ch, user: '1001', password: 'secret1001', method: 'REGISTER', uri: 'sip:ovoz.test', nc: 1, cnonce: 'abc' });
  await peer.send(o.udpPort, register({ ...base, callId, cseq: 2, auth }));
  assert.equal((await peer.recv()).status, 200);
  await peer.send(o.udpPort, register({ ...base, callId, cseq: 3, auth }));
  const again = await peer.recv();
  assert.equal(again.status, 401);
  const a = await o.api('GET', '/api/extensions/1001/attempts?limit=1');
  assert.equal(a.json.attempts[0].outcome, 'nonce_replay');
  peer.close();
});

test('CRLF keep-alives get no answer, while an OPTIONS in the same window does', async () => {
  const metric = async (name) => Number((await o.api('GET', '/metrics')).text
    .split('\n').find((l) => l.startsWith(name + ' '))?.split(' ').at(-1));
  const rejected0 = await metric('ovoz_sip_rejected_total');
  const peer = await UdpPeer.open();
  const callId = rand(8);
  await peer.send(o.udpPort, '\r\n\r\n');
  await peer.send(o.udpPort, '\r\n');
  await peer.send(o.udpPort, options({ port: peer.port, callId }));
  await peer.send(o.udpPort, '\r\n\r\n');
  // Everything that comes back within the window: the OPTIONS answer only.
  const got = [];
  for (let m; (m = await peer.recvRaw(500)) !== null;) got.push(parseSip(m));
  assert.deepEqual(got.map((m) => [m.status, m.header('call-id')]), [[200, callId]]);
  // Keep-alives are not counted as malformed SIP either.
  assert.equal(await metric('ovoz_sip_rejected_total'), rejected0);
  peer.close();
});

test('a hostile User-Agent (ESC sequences, 60 KB) is logged escaped and cut', async () => {
  const peer = await UdpPeer.open();
  const ua = 'Evil\x1b[31mRED\x1b[0m\x07\x7fJos\xe9' + 'A'.repeat(60 * 1024);
  const logFrom = o.logs.length;
  await peer.send(o.udpPort, register({ user: '1001', viaHost: HOST, viaPort: peer.port,
    contact: `<sip:1001@${HOST}:${peer.port}>`, userAgent: ua }));
  const r = await peer.recv();
  assert.equal(r?.status, 401, 'the REGISTER itself is served');
  await o.waitLog(/REGISTER 1001 from .*Evil.*: 401 challenge sent/);
  const lines = o.logs.slice(logFrom).split('\n');
  const line = lines.find((l) => /REGISTER 1001 from .*Evil/.test(l));
  assert.ok(line.includes('Evil\\x1b[31mRED\\x1b[0m\\x07\\x7fJos\\xe9AAA'), line.slice(0, 300));
  assert.ok(line.length < 400, `log line of ${line.length} characters`);
  assert.match(line, /A\u2026\): 401 challenge sent$/);
  for (const l of lines) assert.doesNotMatch(l, /[\x00-\x08\x0b-\x1f\x7f]/, `raw control character in: ${l.slice(0, 200)}`);
  peer.close();
});

test('sipp digest REGISTER scenario: right password 200, wrong password refused', async () => {
  // The shared scenario hard-codes its user and password: take them from
  // -s/-au/-ap instead.
  const dir = o.dir;
  const scenario = path.join(dir, 'register_challenge.xml');
  writeFileSync(scenario, readFileSync(path.join(SHARED, 'corpora/sipp/upstream/uc360_register_challenge.xml'), 'utf8')
    .replace(/\[authentication [^\]]*\]/, '[authentication]')
    .replaceAll('16001', '[service]'));
  for (const [pw, expectOk] of [['secret1001', true], ['bad-password', false]]) {
    const port = await freePort();
    const r = spawnSync('sipp', [HOST + ':' + o.udpPort, '-sf', scenario, '-i', HOST, '-p', String(port),
      '-s', '1001', '-au', '1001', '-ap', pw, '-m', '1', '-timeout', '10s', '-nostdin',
      '-trace_err', '-error_file', path.join(dir, `sipp-${port}.err`)], { cwd: dir, encoding: 'utf8', timeout: 20000 });
    if (expectOk) assert.equal(r.status, 0, r.stdout + r.stderr);
    else assert.notEqual(r.status, 0);
  }
  const a = await o.api('GET', '/api/extensions/1001/attempts?limit=4');
  const outcomes = a.json.attempts.map((x) => x.outcome);
  assert.equal(outcomes[0], 'wrong_password');
  assert.ok(outcomes.includes('registered'));
});
