// Torture corpora against a running ovoz: every RFC 4475 and RFC 5118
// message over UDP (one datagram) and over WSS (one frame), with the
// verdict class of verdicts.tsv; then a sample of PROTOS c07-sip over UDP.
// After every message ovoz must still answer an OPTIONS with 200.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { stopClean, SHARED } from './lib/ovoz.mjs';
import { startWithConfig } from './lib/calls.mjs';
import { UdpPeer, WsPeer, parseSip } from './lib/sip.mjs';
import { udpOptions, options } from './lib/util.mjs';

const CORPORA = path.join(SHARED, 'corpora');
const SILENCE_MS = 300;

let o;
// The corpus registers for example.com and two IPv6 hosts: serve them, so
// an accepted REGISTER is challenged rather than refused as foreign.
before(async () => {
  o = await startWithConfig('[sip]\ndomains = example.com, 2001:db8::10, 2001:db8::10:5070\n');
});
after(async () => { await stopClean(o, assert); o.cleanup(); });

/** verdicts.tsv as { file: expected } (header row names the columns). */
function verdicts(dir) {
  const [head, ...rows] = readFileSync(path.join(dir, 'verdicts.tsv'), 'utf8').trim().split('\n');
  const cols = head.split('\t');
  const out = {};
  for (const r of rows) {
    const f = r.split('\t');
    out[f[cols.indexOf('file')]] = f[cols.indexOf('expected')];
  }
  return out;
}

/**
 * What ovoz (a registrar that challenges every REGISTER, and a proxy that
 * challenges every out-of-dialog request with 407 before routing it) must
 * do with a message whose verdict is @v. Returns
 * { answer: false } or { answer: true, ok(status) , what }.
 */
function expectation(file, v, bytes) {
  const isResponse = bytes.subarray(0, 8).toString('latin1') === 'SIP/2.0 ';
  const method = bytes.toString('latin1').split(' ')[0];
  const accepted = method === 'REGISTER'
    ? { ok: (s) => s === 401, what: '401 (accepted REGISTER is challenged)' }
    : { ok: (s) => s !== 400 && s >= 200, what: 'a final non-400 answer' };
  if (isResponse) return { answer: false };                         // DROP, responses
  if (/^DROP/.test(v)) return { answer: false };
  // An unknown method is routed like any other: authentication first.
  if (file === 'intmeth.dat') return { answer: true, ok: (s) => s === 407, what: '407 (parsed, challenged before routing)' };
  if (file === 'badbranch.dat') return { answer: true, ok: (s) => s >= 200, what: 'any final answer' };
  if (file === 'regaut01.dat') return { answer: true, ok: (s) => s === 401, what: '401 with a Digest challenge' };
  // RFC 4475 3.3.4: "A registrar would reject this request with a 400"
  // (the To of a REGISTER must be a SIP AOR): parsed, refused by the app.
  if (file === 'unksm2.dat') return { answer: true, ok: (s) => s === 400, what: '400 from the registrar' };
  // "UAS 415/406, proxy forwards": ovoz is the proxy, and a proxy does
  // not judge the body; the caller is challenged (407) before routing.
  if (/^UAS (\d{3})/.test(v) && method === 'INVITE')
    return { answer: true, ok: (s) => s === 407, what: '407 (proxy: challenged before routing)' };
  if (file === 'zeromf.dat') return { answer: true, ok: (s) => s === 200 || s === 483, what: '200 or 483' };
  let m;
  if ((m = /^REJECT (\d{3}) \(or tolerate\)/.exec(v))) {
    const code = Number(m[1]);
    return { answer: true, ok: (s) => s === code || accepted.ok(s), what: `${code} or tolerated (${accepted.what})` };
  }
  if ((m = /^(?:REJECT|UAS) (\d{3})/.exec(v))) {
    const code = Number(m[1]);
    return { answer: true, ok: (s) => s === code, what: String(code) };
  }
  if (/^(ACCEPT|TOLERATE|PARSE OK)/.test(v)) return { answer: true, ...accepted };
  throw new Error(`no rule for ${file}: ${v}`);
}

const cases = [];
for (const [sub, extra] of [['rfc4475', ['extras/baddn.terminated.dat']], ['rfc5118', []]]) {
  const dir = path.join(CORPORA, sub);
  const v = verdicts(dir);
  const files = readdirSync(dir).filter((f) => f.endsWith('.dat')).sort();
  for (const f of files) {
    assert.ok(v[f], `${sub}/${f} has no verdict`);
    cases.push({ name: `${sub}/${f}`, file: f, verdict: v[f], bytes: readFileSync(path.join(dir, f)) });
  }
  for (const f of extra) {
    const verdict = v[path.basename(f).replace('.terminated', '')];
    cases.push({ name: `${sub}/${f}`, file: path.basename(f), verdict, bytes: readFileSync(path.join(dir, f)) });
  }
}

/** Check one answer (or silence) against the expectation. */
function judge(c, exp, got, more) {
  const label = `${c.name} [${c.verdict}]`;
  if (!exp.answer) {
    assert.equal(got, null, `${label}: expected no answer, got ${got && parseSip(got).start}`);
    return;
  }
  assert.ok(got, `${label}: no answer`);
  const r = parseSip(got);
  assert.ok(r.status, `${label}: answer is not a response: ${r.start}`);
  assert.ok(exp.ok(r.status), `${label}: got ${r.start}, expected ${exp.what}`);
  if (c.file === 'bext01.dat') {
    // A UAS lists the Require tags, a proxy the Proxy-Require ones; ovoz
    // is both a registrar UAS and (later) a proxy: either set is right.
    assert.match(r.header('unsupported') ?? '', /nothingSupportsThis|noProxiesSupportThis/, 'bext01: Unsupported header');
  }
  if (c.file === 'invut.dat' && r.status === 415) assert.ok(r.header('accept'), 'invut: 415 lists Accept');
  if (r.status === 405) assert.ok(r.header('allow'), `${label}: 405 without Allow`);
  if (r.status === 400) assert.notEqual(r.reason, '', `${label}: 400 without a reason phrase`);
  if (c.file === 'dblreq.dat') assert.equal(more, null, 'dblreq: trailing INVITE must be ignored');
}

/** Run @fn, collecting an assertion failure instead of stopping. */
function check(failures, fn) {
  try { fn(); } catch (e) { if (e.code !== 'ERR_ASSERTION') throw e; failures.push(e.message.split('\n')[0]); }
}

test('torture corpus over UDP: verdicts and survival', async () => {
  const failures = [];
  assert.ok(cases.length >= 62, `only ${cases.length} cases`);
  for (const c of cases) {
    const exp = expectation(c.file, c.verdict, c.bytes);
    const peer = await UdpPeer.open();
    try {
      await peer.send(o.udpPort, c.bytes);
      const got = await peer.recvRaw(exp.answer ? 2000 : SILENCE_MS);
      const more = exp.answer ? await peer.recvRaw(c.file === 'dblreq.dat' ? SILENCE_MS : 0) : null;
      check(failures, () => judge(c, exp, got, more));
    } finally { peer.close(); }
    assert.equal(o.exited, null, `ovoz died on ${c.name}\n${o.logs.slice(-3000)}`);
    assert.equal((await udpOptions(o))?.status, 200, `no OPTIONS 200 after ${c.name}`);
  }
  assert.deepEqual(failures, []);
});

test('torture corpus over WSS: verdicts and survival', async () => {
  const failures = [];
  for (const c of cases) {
    const exp = expectation(c.file, c.verdict, c.bytes);
    const binary = c.file === 'mpart01.dat' || c.file === 'intmeth.dat';
    const p = await WsPeer.open(o.httpsPort);
    let closedEarly = null;
    p.closed.then((r) => { closedEarly = r; });
    try {
      p.ws.send(c.bytes, { binary });
      const got = await p.recvRaw(exp.answer ? 2000 : SILENCE_MS);
      const more = exp.answer && c.file === 'dblreq.dat' ? await p.recvRaw(SILENCE_MS) : null;
      check(failures, () => {
        assert.equal(closedEarly, null, `${c.name}: connection closed ${JSON.stringify(closedEarly)}`);
        judge(c, exp, got, more);
      });
      if (!closedEarly) {
        // The same connection still works.
        p.send(options({ transport: 'WSS', host: p.host }));
        const r = await p.recv();
        check(failures, () => assert.equal(r?.status, 200, `no OPTIONS 200 on the connection after ${c.name}`));
      }
    } finally { p.ws.terminate(); }
    assert.equal(o.exited, null, `ovoz died on ${c.name}\n${o.logs.slice(-3000)}`);
    assert.equal((await udpOptions(o))?.status, 200, `no OPTIONS 200 after ${c.name}`);
  }
  assert.deepEqual(failures, []);
});

/** PROTOS raw case: "<len> <INVITE><len> <teardown>", placeholders filled as render_protos.py does. */
function protosCase(num, lport) {
  const raw = readFileSync(path.join(CORPORA, 'protos-c07-sip/raw', String(num).padStart(7, '0')));
  const take = (off) => {
    const sp = raw.indexOf(0x20, off);
    const n = Number(raw.subarray(off, sp).toString('latin1'));
    return [raw.subarray(sp + 1, sp + 1 + n), sp + 1 + n];
  };
  const [inv, off] = take(0);
  const [tdn] = take(off);
  const rep = [['<To>', 'test@127.0.0.1'], ['<From>', 'protos@127.0.0.1'], ['<From-Address>', '127.0.0.1'],
    ['<From-IP>', '127.0.0.1'], ['<Local-Port>', String(lport)], ['<Branch-ID>', String(num).padStart(7, '0')],
    ['<Call-ID>', `protos-${String(num).padStart(7, '0')}`], ['<CSeq>', String(num + 1)], ['<Teardown-Method>', 'CANCEL']];
  const sub = (b) => {
    let t = b.toString('latin1');
    for (const [k, v] of rep) t = t.split(k).join(v);
    return Buffer.from(t, 'latin1');
  };
  let i = sub(inv);
  const sep = i.indexOf('\r\n\r\n');
  if (sep >= 0) i = Buffer.from(i.toString('latin1').split('<Content-Length>').join(String(i.length - sep - 4)), 'latin1');
  return { invite: i, teardown: sub(tdn) };
}

/** Requests plus refused messages ovoz has counted, from /metrics. */
async function sipSeen() {
  const m = (await o.api('GET', '/metrics')).text;
  let n = 0;
  for (const l of m.split('\n')) {
    if (/^ovoz_sip_requests_received_total\{|^ovoz_sip_rejected_total /.test(l)) n += Number(l.split(' ').at(-1));
  }
  return n;
}

test('PROTOS c07-sip sample (every 10th case) over UDP: no crash, case 0 answered after each batch', async () => {
  const peer = await UdpPeer.open();
  const seen0 = await sipSeen();
  const total = readdirSync(path.join(CORPORA, 'protos-c07-sip/raw')).length;
  assert.equal(total, 4527);
  const valid = async (what) => {
    while (await peer.recvRaw(0)); // drain answers to the batch
    const { invite, teardown } = protosCase(0, peer.port);
    await peer.send(o.udpPort, invite);
    const r = await peer.recv(2000);
    assert.ok(r && r.status >= 200, `valid case 0 not answered after ${what}`);
    await peer.send(o.udpPort, teardown);
    await peer.recvRaw(100);
    assert.equal(o.exited, null, `ovoz died after ${what}\n${o.logs.slice(-3000)}`);
  };
  try {
    await valid('start');
    let batch = [];
    let sent = 0;
    for (let n = 10; n < total; n += 10) {
      const { invite, teardown } = protosCase(n, peer.port);
      for (const m of [invite, teardown]) {
        if (m.length > 65507) continue; // cannot be one UDP datagram
        await peer.send(o.udpPort, m);
        sent++;
      }
      batch.push(n);
      if (batch.length === 25) {
        await valid(`cases ${batch[0]}..${batch.at(-1)}`);
        batch = [];
      }
    }
    await valid(`cases ${batch[0]}..${batch.at(-1)}`);
    assert.ok(sent > 800, `sent ${sent}`);
    // The datagrams really reached the SIP layer (not lost in a buffer).
    const seen = (await sipSeen()) - seen0;
    assert.ok(seen > sent * 0.8, `ovoz counted ${seen} of ${sent} messages`);
  } finally { peer.close(); }
  assert.equal((await udpOptions(o))?.status, 200);
});
