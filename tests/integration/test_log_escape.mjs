// Log lines that quote what a peer sent (URI hosts, Call-IDs, display
// names, User-Agents) stay one short line of printable text: control
// characters are escaped and 10 KB fields are cut.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOvoz, stopClean, HOST } from './lib/ovoz.mjs';
import { UdpPeer, register, rand } from './lib/sip.mjs';

const BIG = 10 * 1024;
let o;
before(async () => {
  o = await startOvoz();
  const r = await o.api('POST', '/api/extensions', { extension: '1001', password: 'secret1001' });
  assert.equal(r.status, 201);
});
after(async () => { await stopClean(o, assert); o.cleanup(); });

/** The log lines written since offset @from. */
const linesSince = (from) => o.logs.slice(from).split('\n').filter((l) => l.length);

function assertClean(lines) {
  for (const l of lines) {
    assert.doesNotMatch(l, /[\x00-\x08\x0a-\x1f\x7f\u202e]/, `raw control character in: ${l.slice(0, 200)}`);
    assert.ok(l.length < 1200, `log line of ${l.length} characters: ${l.slice(0, 200)}`);
  }
}

test('a REGISTER for a 10 KB foreign domain is logged cut, on one line', async () => {
  const peer = await UdpPeer.open();
  const domain = 'd'.repeat(BIG) + '.example';
  const from = o.logs.length;
  await peer.send(o.udpPort, register({ user: '1001', domain, viaHost: HOST, viaPort: peer.port,
    contact: `<sip:1001@${HOST}:${peer.port}>`, userAgent: 'Phone\x1b[2J\x07' + 'U'.repeat(BIG) }));
  const r = await peer.recv();
  assert.equal(r?.status, 403);
  await o.waitLog(/REGISTER 1001 from .*: 403 Request-URI domain d+\u2026/);
  const lines = linesSince(from);
  const line = lines.find((l) => /REGISTER 1001 from /.test(l));
  assert.ok(line.includes('Phone\\x1b[2J\\x07UUU'), line.slice(0, 300));
  assertClean(lines);
  peer.close();
});

test('a BYE with a 10 KB Call-ID and a hostile display name is logged escaped and cut', async () => {
  const peer = await UdpPeer.open();
  const callId = 'c'.repeat(BIG) + '@' + rand(4);
  const from = o.logs.length;
  const bye = [
    `BYE sip:1001@${HOST}:${o.udpPort} SIP/2.0`,
    `Via: SIP/2.0/UDP ${HOST}:${peer.port};branch=z9hG4bK${rand(6)};rport`,
    'Max-Forwards: 70',
    `From: "Boss\x1b]0;owned\x07 \u202eevil ${'n'.repeat(BIG)}" <sip:1001@ovoz.test>;tag=${rand(4)}`,
    `To: <sip:1002@ovoz.test>;tag=${rand(4)}`,
    `Call-ID: ${callId}`,
    'CSeq: 7 BYE',
    `User-Agent: Evil\x1b[31m\x7f${'A'.repeat(BIG)}`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
  await peer.send(o.udpPort, Buffer.from(bye, 'utf8'));
  const r = await peer.recv();
  assert.equal(r?.status, 403, 'a dialog that is not ours');
  await o.waitLog(/BYE in dialog c+\u2026 from .*: 403, no Route of ours/);
  const lines = linesSince(from);
  const line = lines.find((l) => /BYE in dialog /.test(l));
  assert.ok(line.length < 400, `log line of ${line.length} characters`);
  assertClean(lines);
  peer.close();
});
