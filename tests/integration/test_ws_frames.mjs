// WebSocket frame types a browser accepts: SIP that is not valid UTF-8
// (a Latin-1 display name from a UDP phone) goes down as a binary frame,
// which SIP.js decodes, instead of an invalid text frame that RFC 6455 8.1
// makes the browser fail the connection on. Valid UTF-8 stays text.
// The browser side is SIP.js 0.21.2 itself, over Node's `ws`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import WS from 'ws';
import { UserAgent, Registerer, RegistererState } from 'sip.js';
import { stopClean, waitFor, HOST } from './lib/ovoz.mjs';
import { startWithConfig, extensionMaker, udpUa, wsUa, reply, rand } from './lib/calls.mjs';
import { within, options } from './lib/util.mjs';

// SIP.js uses the browser's WebSocket; give it `ws`, trusting the dev
// certificate, and remember every socket so the test can watch them.
const sockets = [];
class TestWebSocket extends WS {
  constructor(url, protocols) {
    super(url, protocols, { rejectUnauthorized: false });
    this.closedBy = null;
    this.on('close', (code) => { this.closedBy ??= { code }; });
    sockets.push(this);
  }
}
globalThis.WebSocket = TestWebSocket;

let o;
let exts;
const cleanup = [];

before(async () => {
  o = await startWithConfig('');
  exts = extensionMaker(o, 3100);
});

after(async () => {
  for (const f of cleanup.reverse()) { try { await f(); } catch { /* already gone */ } }
  if (o && !o.exited) await stopClean(o, assert);
  o?.cleanup();
});

/** A SIP.js UserAgent registered as @ext; resolves once Registered. */
async function sipjsRegistered({ ext, password }, invites) {
  const ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${ext}@ovoz.test`),
    transportOptions: { server: `wss://${HOST}:${o.httpsPort}/ws` },
    authorizationUsername: ext,
    authorizationPassword: password,
    logBuiltinEnabled: false,
    delegate: { onInvite: (inv) => invites.push(inv) },
  });
  await ua.start();
  const registerer = new Registerer(ua, { expires: 300 });
  const registered = new Promise((resolve, reject) => {
    registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) resolve();
      if (s === RegistererState.Unregistered) reject(new Error('SIP.js registration refused'));
    });
  });
  await registerer.register();
  await within(registered, 5000);
  assert.equal(registerer.state, RegistererState.Registered, 'SIP.js did not register');
  cleanup.push(() => ua.stop());
  return { ua, registerer, ws: sockets.at(-1) };
}

/** An INVITE from UDP phone @caller to @target with From display name @name (a JS string, sent as Latin-1 bytes). */
async function inviteWithName(caller, target, name) {
  const send = caller.send;
  caller.send = (m) => send(m.replace(/^From: </m, `From: "${name}" <`));
  try {
    return await caller.invite(target);
  } finally { caller.send = send; }
}

test('SIP.js receives an INVITE with a Latin-1 display name and stays registered', async () => {
  const a = await exts.make();
  const b = await exts.make();
  const invites = [];
  const { ws } = await sipjsRegistered(a, invites);
  assert.equal((await o.api('GET', `/api/extensions/${a.ext}/status`)).json.registered, true);

  const phone = await udpUa(o, b);
  cleanup.push(() => phone.close());
  const d = await inviteWithName(phone, a.ext, 'Jos\xe9');
  await waitFor(() => invites.length > 0, 5000, 'SIP.js onInvite');
  const inv = invites[0];
  // TextDecoder turns the lone 0xE9 into U+FFFD; either form is the name.
  assert.match(inv.remoteIdentity.displayName, /^Jos(\u00e9|\ufffd)$/);
  assert.equal(inv.request.callId, d.callId);

  // SIP.js answers, and the answer comes back to the phone over the same socket.
  await inv.reject({ statusCode: 486 });
  const busy = await phone.expect((m) => m.status === 486 && m.header('call-id') === d.callId, 5000, '486 from SIP.js');
  assert.equal(busy.status, 486);

  // The connection was never failed: same socket open, binding still there.
  assert.equal(ws.closedBy, null, `SIP.js's WebSocket closed: ${JSON.stringify(ws.closedBy)}`);
  assert.equal(ws.readyState, WS.OPEN);
  const st = (await o.api('GET', `/api/extensions/${a.ext}/status`)).json;
  assert.equal(st.registered, true);
  assert.equal(st.contacts.length, 1);
  assert.equal(st.contacts[0].transport, 'wss');
});

test('valid UTF-8 goes as a text frame, anything else as binary', async () => {
  const a = await exts.make();
  const b = await exts.make();
  const callee = await wsUa(o, a);
  cleanup.push(() => callee.close());
  const frames = [];
  callee.peer.ws.on('message', (data, isBinary) => frames.push({ isBinary, raw: Buffer.from(data) }));
  const phone = await udpUa(o, b);
  cleanup.push(() => phone.close());

  const cases = [
    { name: 'Jos\u00c3\u00a9', binary: false, bytes: Buffer.from('"Jos\u00e9"', 'utf8') }, // UTF-8 José
    { name: 'Jos\xe9', binary: true, bytes: Buffer.from([0x22, 0x4a, 0x6f, 0x73, 0xe9, 0x22]) }, // Latin-1
    { name: '\xc7\xf0\xe0', binary: true, bytes: Buffer.from([0x22, 0xc7, 0xf0, 0xe0, 0x22]) }, // cp1251
  ];
  for (const c of cases) {
    const d = await inviteWithName(phone, a.ext, c.name);
    const inv = await callee.expect((m) => m.method === 'INVITE' && m.header('call-id') === d.callId, 5000, 'INVITE');
    await callee.send(reply(inv, 486, 'Busy Here', { toTag: rand(4) }));
    await phone.expect((m) => m.status === 486 && m.header('call-id') === d.callId, 5000, '486');
    const f = frames.find((x) => x.raw.includes(d.callId));
    assert.ok(f, 'frame of the INVITE');
    assert.ok(f.raw.includes(c.bytes), `display name bytes passed unchanged (${c.name})`);
    assert.equal(f.isBinary, c.binary, `frame type for ${JSON.stringify(c.name)}`);
  }
  // Ovoz's own answers (ASCII) are text.
  const callId = rand(8);
  callee.peer.send(options({ transport: 'WSS', host: callee.peer.host, callId }));
  await callee.expect((m) => m.status === 200 && m.header('call-id') === callId, 3000, 'OPTIONS 200');
  assert.equal(frames.find((x) => x.raw.includes(callId))?.isBinary, false, 'OPTIONS 200 as text');
  assert.equal(callee.peer.ws.readyState, WS.OPEN);
});
