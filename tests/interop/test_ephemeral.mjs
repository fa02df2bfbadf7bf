// Ephemeral credentials with SIP.js 0.21.2 (the web phone's library):
// POST /api/credentials mints "<expiry>:<ext>" and a password; SIP.js
// registers with them as the extension itself and calls through the
// proxy; an expired one is refused with credential_expired in the
// attempts, the log and the doctor; minted credentials survive a restart
// (the generated secret is kept in the database).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startOvoz, stopClean, waitFor } from '../integration/lib/ovoz.mjs';
import { extensionMaker, startWithConfig } from '../integration/lib/calls.mjs';
import { sipjsPhone, sipjsCall, RegistererState, SessionState } from './lib/sipjs.mjs';
import { sippUas, status, outcomes } from './lib/peers.mjs';

const SECRET = 'interop-ephemeral-secret-0123';
let o;
let exts;
const stops = [];

before(async () => {
  o = await startWithConfig(`[auth]\nephemeral_secret = ${SECRET}\n`);
  exts = extensionMaker(o, 4300);
});

after(async () => {
  for (const s of stops.reverse()) await s();
  if (o) await stopClean(o, assert);
  o?.cleanup();
});

async function phone(o2, creds) {
  const p = await sipjsPhone(o2, creds);
  stops.push(() => p.stop());
  return p;
}

async function mint(o2, ext, ttl) {
  const r = await o2.api('POST', '/api/credentials', ttl ? { extension: ext, ttl } : { extension: ext });
  assert.equal(r.status, 201, r.text);
  return r.json;
}

test('POST /api/credentials: SIP.js registers as the extension with the minted username and password', async () => {
  const e = await exts.make();
  const c = await mint(o, e.ext, 600);
  assert.match(c.username, new RegExp(`^\\d+:${e.ext}$`));
  assert.equal(c.expiresAt, Number(c.username.split(':')[0]));
  // The TURN REST API convention, computed here independently.
  assert.equal(c.password, createHmac('sha1', SECRET).update(c.username).digest('base64'));
  const p = await phone(o, { ext: e.ext, authUser: c.username, password: c.password });
  await p.register();
  await p.waitState(RegistererState.Registered);
  const st = await status(o, e.ext);
  assert.equal(st.registered, true);
  assert.equal(st.contacts[0].transport, 'wss');
  assert.equal((await outcomes(o, e.ext))[0], 'registered');
  const doc = (await o.api('GET', `/api/extensions/${e.ext}/doctor`)).json;
  assert.equal(doc.registered, true);
  assert.match(doc.findings.at(-1).text, /^registered from a web phone at 127\.0\.0\.1:\d+ over WebSocket \(SIP\.js\//);
  assert.equal((await o.api('POST', '/api/credentials', { extension: '4399' })).status, 404);
});

test('a call placed with ephemeral credentials is authenticated by the proxy', async () => {
  const caller = await exts.make();
  const callee = await exts.make();
  const c = await mint(o, caller.ext);
  const p = await phone(o, { ext: caller.ext, authUser: c.username, password: c.password });
  await p.register();
  await p.waitState(RegistererState.Registered);
  const sipp = await sippUas(o, callee);
  stops.push(() => sipp.stop());
  const { inviter, finals } = await sipjsCall(p, callee.ext);
  assert.equal(inviter.state, SessionState.Established, `finals ${finals}`);
  await inviter.bye();
});

test('an expired credential: 403, credential_expired in the attempts, the log and the doctor', async () => {
  const e = await exts.make();
  const username = `${Math.floor(Date.now() / 1000) - 30}:${e.ext}`;
  const password = createHmac('sha1', SECRET).update(username).digest('base64');
  const p = await phone(o, { ext: e.ext, authUser: username, password });
  await p.register();
  await waitFor(() => p.rejected.length > 0, 5000, 'SIP.js rejection');
  assert.deepEqual(p.rejected, [403]);
  assert.equal((await status(o, e.ext)).registered, false);
  const at = (await o.api('GET', `/api/extensions/${e.ext}/attempts`)).json.attempts;
  assert.equal(at[0].outcome, 'credential_expired');
  assert.equal(at[0].status, 403);
  await o.waitLog(new RegExp(`REGISTER ${e.ext} from .*: 403 credential_expired`));
  await o.waitLog(new RegExp(`doctor: ${e.ext}: expired web phone sign-in from 127\\.0\\.0\\.1`));
  const doc = (await o.api('GET', `/api/extensions/${e.ext}/doctor`)).json;
  assert.equal(doc.findings[0].code, 'credential_expired');
});

test('without a configured secret, one is generated and kept: credentials survive a restart', async () => {
  const o2 = await startOvoz();
  let stopped = false;
  try {
    const e = await extensionMaker(o2, 4350).make();
    const c = await mint(o2, e.ext);
    await o2.stop();
    stopped = true;
    const o3 = await startOvoz({ dir: o2.dir, udpPort: o2.udpPort, httpsPort: o2.httpsPort, token: o2.token });
    try {
      const p = await sipjsPhone(o3, { ext: e.ext, authUser: c.username, password: c.password });
      try {
        await p.register();
        await p.waitState(RegistererState.Registered);
      } finally {
        await p.stop();
      }
    } finally {
      await stopClean(o3, assert);
    }
  } finally {
    if (!stopped) await o2.stop();
    o2.cleanup();
  }
});
