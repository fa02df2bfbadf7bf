// Which real clients register under each non-default `[sip]
// digest_algorithms` setting. One ovoz per setting; the clients register
// side by side, each as its own extension. A client that cannot use the
// challenge set stops after the 401, so "not registered" is judged after
// a fixed wait. The expected table is the one in docs/softphones.md.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { stopClean } from '../integration/lib/ovoz.mjs';
import { startWithConfig, extensionMaker } from '../integration/lib/calls.mjs';
import { startBaresip } from '../integration/lib/baresip.mjs';
import { sipjsPhone } from './lib/sipjs.mjs';
import { jssipPhone } from './lib/jssip.mjs';
import { startLinphone, sippClient, registersWithin, outcomes } from './lib/peers.mjs';

// Registered (true) or not (false), as measured with the Debian 12 and npm
// versions in ovoz-dev / package.json.
const SETTINGS = [
  { ini: 'digest_algorithms = SHA-256',
    expected: { 'SIP.js': false, JsSIP: false, baresip: false, linphonec: true, sipp: false } },
  { ini: 'digest_algorithms = MD5, SHA-256',
    expected: { 'SIP.js': false, JsSIP: false, baresip: false, linphonec: true, sipp: true } },
  { ini: 'digest_algorithms = SHA-256, MD5',
    expected: { 'SIP.js': true, JsSIP: true, baresip: false, linphonec: true, sipp: false } },
  // The opt-in for baresip with two challenges (configuration.md).
  { ini: 'digest_algorithms = SHA-256, MD5\nmd5_only_user_agents = baresip',
    expected: { 'SIP.js': true, JsSIP: true, baresip: true, linphonec: true, sipp: false } },
];
const WAIT = 4000; // ms a client gets to register

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

/** Each client registers as its own extension; { client: registered }. */
async function measure(o) {
  const exts = extensionMaker(o, 2100);
  const clients = {
    'SIP.js': async (e) => {
      const p = await sipjsPhone(o, e);
      cleanups.push(() => p.stop());
      p.register().catch(() => {});
      return registersWithin(o, e.ext, WAIT);
    },
    JsSIP: async (e) => {
      const p = jssipPhone(o, e);
      cleanups.push(() => p.stop());
      return registersWithin(o, e.ext, WAIT);
    },
    baresip: async (e) => {
      try {
        const b = await startBaresip(o, { ...e, ms: WAIT });
        cleanups.push(() => b.stop());
        return true;
      } catch { return false; }
    },
    linphonec: async (e) => {
      const l = await startLinphone(o, e);
      cleanups.push(() => l.stop());
      return registersWithin(o, e.ext, WAIT);
    },
    sipp: async (e) => {
      const h = await sippClient(o, 'register.xml', ['-s', e.ext, '-au', e.ext, '-ap', e.password]);
      cleanups.push(() => h.stop());
      const r = await h.done;
      return r.code === 0 && await registersWithin(o, e.ext, 100);
    },
  };
  const names = Object.keys(clients);
  const es = [];
  for (const n of names) es.push(await exts.make());
  const res = await Promise.all(names.map((n, i) => clients[n](es[i])));
  const out = {};
  const seen = {};
  for (let i = 0; i < names.length; i++) {
    out[names[i]] = res[i];
    seen[names[i]] = (await outcomes(o, es[i].ext)).join(',');
  }
  return { out, seen };
}

for (const { ini, expected } of SETTINGS) {
  test(`${ini.replace('\n', '; ')}: which clients register`, async () => {
    const o = await startWithConfig(`[sip]\n${ini}\n`);
    try {
      const { out, seen } = await measure(o);
      assert.deepEqual(out, expected, `attempts per client: ${JSON.stringify(seen)}`);
      // A client that did not register got at least one challenge and
      // never a 200: the registrar logged only challenges (or a 400).
      for (const [client, ok] of Object.entries(out)) {
        if (!ok) assert.doesNotMatch(seen[client], /registered/, `${client}: ${seen[client]}`);
        else assert.match(seen[client], /registered/, `${client}: ${seen[client]}`);
      }
    } finally {
      for (const c of cleanups.splice(0).reverse()) await c();
      await stopClean(o, assert);
      o.cleanup();
    }
  });
}
