// Lockout attacks on loopback: forged datagrams, a colleague behind the same
// NAT, a scanner inside an office, bans listed and lifted over REST, and
// REGISTERs for other domains. Distinct loopback addresses (127.0.0.3 ...)
// stand for distinct public addresses; ports behind one address for phones
// behind one NAT.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { stopClean, waitFor } from './lib/ovoz.mjs';
import { startWithConfig, udpUa, ackFinal } from './lib/calls.mjs';
import { UdpPeer, register, registerWithAuth, rand } from './lib/sip.mjs';

let o;
const peers = [];
before(async () => {
  o = await startWithConfig('[sip]\ndomains = pbx.example.org\n' +
    '[security]\nban_failures = 3\nban_window = 60\nban_time = 120\n');
  for (const [ext, pw] of [['1001', 'secret1001'], ['2000', 'secret2000'], ['2001', 'secret2001']]) {
    assert.equal((await o.api('POST', '/api/extensions', { extension: ext, password: pw })).status, 201);
  }
});
after(async () => {
  for (const p of peers) p.close();
  await stopClean(o, assert);
  o.cleanup();
});

/** A UDP phone bound to @ip (a loopback address standing for a public one). */
async function phoneAt(ip) {
  const p = new UdpPeer();
  p.sock = dgram.createSocket('udp4');
  p.sock.on('message', (m) => p.deliver(m));
  await new Promise((r) => p.sock.bind(0, ip, r));
  p.ip = ip;
  p.port = p.sock.address().port;
  peers.push(p);
  return p;
}

/** Full digest REGISTER of @user from @p; the final response. */
async function reg(p, user, password, domain) {
  const { final } = await registerWithAuth(p, (m) => p.send(o.udpPort, m), {
    user, password, viaHost: p.ip, viaPort: p.port, domain,
    contact: `<sip:${user}@${p.ip}:${p.port}>`,
  });
  return final;
}

const isBan = (r) => r?.status === 403 && /too many failed attempts/.test(r.reason);
const bans = async () => {
  const r = await o.api('GET', '/api/bans');
  assert.equal(r.status, 200, r.text);
  return r.json.bans;
};
async function metric(name) {
  const m = (await o.api('GET', '/metrics')).text;
  const line = m.split('\n').find((l) => l.startsWith(name + ' '));
  return line ? Number(line.split(' ').at(-1)) : NaN;
}
/** The newest attempts of @ext once one matches @pred. */
async function attemptsUntil(ext, pred) {
  let list = [];
  await waitFor(async () => {
    list = (await o.api('GET', `/api/extensions/${ext}/attempts?limit=20`)).json.attempts;
    return list.some(pred);
  }, 3000, `attempt of ${ext}`);
  return list;
}

/** A REGISTER with made-up credentials (nonce="bogus"), nobody reading. */
function forged(p, user) {
  const auth = `Digest username="${user}", realm="ovoz.test", nonce="bogus", uri="sip:ovoz.test", ` +
    `response="${rand(16)}", algorithm=MD5, cnonce="${rand(4)}", qop=auth, nc=00000001`;
  return p.send(o.udpPort, register({ user, viaHost: p.ip, viaPort: p.port, auth,
    contact: `<sip:${user}@${p.ip}:${p.port}>` }));
}

test('forged datagrams with bogus nonces from a phone\'s own address lock nobody out', async () => {
  const phone = await phoneAt('127.0.0.3');
  const office = await phoneAt('127.0.0.3');
  const fails0 = await metric('ovoz_auth_failures_total');
  // Sent from the phone's very source address and port, as a spoofer
  // would; the answers are never read.
  for (let i = 0; i < 10; i++) {
    await forged(phone, '1001');
    await forged(phone, `9${i}00`); // unknown extensions: would ban the address
  }
  await waitFor(() => phone.queue.length >= 20, 3000, '20 answers');
  assert.ok(phone.queue.every((m) => / 401 /.test(m.toString('latin1').split('\r\n')[0])));
  phone.queue.length = 0;

  assert.equal((await reg(phone, '1001', 'secret1001')).status, 200);
  assert.equal((await reg(office, '2000', 'secret2000')).status, 200, 'another phone of that address');
  assert.deepEqual(await bans(), []);
  assert.equal(await metric('ovoz_auth_failures_total'), fails0);
  const a = await attemptsUntil('1001', (x) => x.outcome === 'registered');
  assert.ok(a.some((x) => x.outcome === 'bad_nonce' && x.status === 401), JSON.stringify(a[0]));
  assert.ok(!a.some((x) => ['wrong_password', 'banned'].includes(x.outcome)));
});

test('a colleague guessing 2000\'s password behind the same NAT is refused; the real 2000 keeps registering', async () => {
  const real = await phoneAt('127.0.0.4');
  const colleague = await phoneAt('127.0.0.4');
  assert.equal((await reg(real, '2000', 'secret2000')).status, 200);
  for (let i = 0; i < 3; i++) {
    const r = await reg(colleague, '2000', `guess-${i}`);
    assert.equal(r.status, 403);
    assert.ok(!isBan(r), `refused as banned after ${i} failures`);
  }
  // The guessing source is refused even with the right password...
  assert.ok(isBan(await reg(colleague, '2000', 'secret2000')));
  // ...the real phone on another port of the same address is not, and the
  // colleague's own line still works.
  assert.equal((await reg(real, '2000', 'secret2000')).status, 200);
  assert.equal((await reg(colleague, '2001', 'secret2001')).status, 200);

  const b = (await bans()).find((x) => x.source === `127.0.0.4:${colleague.port}`);
  assert.ok(b, JSON.stringify(await bans()));
  assert.equal(b.scope, 'source_extension');
  assert.equal(b.extension, '2000');
  assert.equal(b.address, '127.0.0.4');
  assert.equal(b.failures, 3);
  assert.match(b.reason, /3 wrong passwords for 2000/);
  assert.ok(b.remaining > 100 && b.remaining <= 120);
  const a = await attemptsUntil('2000', (x) => x.outcome === 'banned');
  const banned = a.find((x) => x.outcome === 'banned');
  assert.equal(banned.source, `127.0.0.4:${colleague.port}`);
  assert.match(banned.detail, new RegExp(`ban #${b.id}.*3 wrong passwords for 2000`));
});

test('unknown-extension scanning is throttled per source even from an address that authenticated', async () => {
  const phone = await phoneAt('127.0.0.5');
  const scanner = await phoneAt('127.0.0.5');
  assert.equal((await reg(phone, '1001', 'secret1001')).status, 200);
  for (const u of ['9001', '9002', '9003']) assert.equal((await reg(scanner, u, 'guess')).status, 403);
  assert.ok(isBan(await reg(scanner, '9004', 'guess')), 'scanner not throttled');
  assert.ok(isBan(await reg(scanner, '1001', 'secret1001')), 'the whole source is refused');
  assert.equal((await reg(phone, '1001', 'secret1001')).status, 200, 'the authenticated port is refused too');
  const b = (await bans()).find((x) => x.source === `127.0.0.5:${scanner.port}`);
  assert.equal(b?.scope, 'source');
  assert.equal(b.extension, null);
  assert.ok(!(await bans()).some((x) => x.scope === 'address' && x.address === '127.0.0.5'));
});

test('a ban is listed by GET /api/bans and lifted by DELETE, after which the phone registers', async () => {
  const phone = await phoneAt('127.0.0.6');
  for (let i = 0; i < 3; i++) assert.equal((await reg(phone, '1001', `typo-${i}`)).status, 403);
  // Nothing ever authenticated from 127.0.0.6: the whole address is out.
  const other = await phoneAt('127.0.0.6');
  assert.ok(isBan(await reg(other, '2000', 'secret2000')));
  assert.ok(isBan(await reg(phone, '1001', 'secret1001')));
  const b = (await bans()).find((x) => x.address === '127.0.0.6');
  assert.equal(b?.scope, 'address', JSON.stringify(await bans()));
  assert.equal(b.source, null);
  assert.ok(b.refused >= 2);
  assert.ok(b.until > b.since);

  assert.equal((await o.api('GET', '/api/bans', undefined, 'not-the-token')).status, 401);
  assert.equal((await o.api('DELETE', `/api/bans/${b.id}`, undefined, 'not-the-token')).status, 401);
  assert.equal((await o.api('DELETE', '/api/bans/999999')).status, 404);
  assert.equal((await o.api('DELETE', `/api/bans/${b.id}`)).status, 204);
  assert.ok(!(await bans()).some((x) => x.id === b.id));
  assert.equal((await reg(phone, '1001', 'secret1001')).status, 200);
  assert.equal((await o.api('DELETE', `/api/bans/${b.id}`)).status, 404);
});

test('REGISTER for another domain gets 403 and binds nothing', async () => {
  const phone = await phoneAt('127.0.0.7');
  const before = (await o.api('GET', '/api/extensions/2001/status')).json.contacts.length;
  const r = await reg(phone, '2001', 'secret2001', 'example.org');
  assert.equal(r.status, 403);
  assert.equal(r.reason, 'Forbidden - domain not served here');
  const a = await attemptsUntil('2001', (x) => x.outcome === 'foreign_domain');
  assert.match(a.find((x) => x.outcome === 'foreign_domain').detail, /example\.org/);
  assert.equal((await o.api('GET', '/api/extensions/2001/status')).json.contacts.length, before);
  // The listen address names us as well as the realm does.
  assert.equal((await reg(phone, '2001', 'secret2001', '127.0.0.1')).status, 200);
});

test('a name in [sip] domains is served for REGISTER and calls; other domains are not', async () => {
  const phone = await phoneAt('127.0.0.8');
  assert.equal((await reg(phone, '2001', 'secret2001', 'PBX.example.org')).status, 200);
  const caller = await udpUa(o, { ext: '1001', password: 'secret1001' });
  peers.push({ close: () => caller.close() });
  const final = async (d) => {
    const r = await caller.expect((m) => m.header('call-id') === d.callId && m.status >= 300 && m.status !== 407, 3000, 'final');
    await ackFinal(caller, d, r);
    return r;
  };
  // 7777 is no extension: a served domain gets as far as 404, another
  // domain is refused before that.
  const local = await caller.invite('7777', { domain: 'pbx.example.org' });
  assert.equal((await final(local)).status, 404, 'unknown extension of a served domain');
  const outside = await caller.invite('7777', { domain: 'example.com' });
  assert.equal((await final(outside)).status, 403);
});
