// Call-test helpers: an ovoz with a config file, extensions on demand,
// registered scripted UAs over UDP and WSS, the callee side of a dialog,
// and call-log lookups. Signalling only.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startOvoz, tempDir, waitFor, sleep, HOST } from './ovoz.mjs';
import { UdpPeer, WsPeer, registerWithAuth, rand } from './sip.mjs';
import { Ua, reply, SDP } from './ua.mjs';

export { reply, SDP, sleep, HOST, rand };

/** Start ovoz with @ini (INI text) as its --config; @opts go to startOvoz. */
export async function startWithConfig(ini = '', opts = {}) {
  const dir = opts.dir ?? tempDir();
  const cfg = path.join(dir, 'ovoz.ini');
  writeFileSync(cfg, ini);
  return startOvoz({ ...opts, dir, extraArgs: ['--config', cfg, ...(opts.extraArgs ?? [])] });
}

/** Create extensions with fresh numbers: await exts.make() -> { ext, password }. */
export function extensionMaker(o, first = 1000) {
  let n = first;
  return {
    async make() {
      const ext = String(n++);
      const password = 'pw-' + ext + '-' + rand(4);
      const r = await o.api('POST', '/api/extensions', { extension: ext, password });
      if (r.status !== 201) throw new Error(`POST /api/extensions ${ext}: ${r.status} ${r.text}`);
      return { ext, password };
    },
  };
}

/** A UdpPeer registered as @ext, wrapped in a Ua (ua.close() closes it). */
// @nat: 'ip:port' a phone behind NAT writes in its Via and Contact (not
// where its packets come from).
export async function udpUa(o, { ext, password }, { peer, nat } = {}) {
  peer ??= await UdpPeer.open();
  const [vh, vp] = nat ? nat.split(':') : [HOST, peer.port];
  const r = await registerWithAuth(peer, (m) => peer.send(o.udpPort, m), {
    user: ext, password, viaHost: vh, viaPort: vp, contact: `<sip:${ext}@${vh}:${vp}>`,
  });
  if (r.final?.status !== 200) { peer.close(); throw new Error(`UDP REGISTER ${ext}: ${r.final?.start}`); }
  const ua = new Ua({ peer, send: (m) => peer.send(o.udpPort, m), user: ext, password, transport: 'UDP' });
  if (nat) { ua.host = nat; ua.contact = `<sip:${ext}@${nat}>`; }
  ua.close = () => peer.close();
  return ua;
}

/** A WsPeer (SIP.js-like, .invalid host) registered as @ext, as a Ua. */
export async function wsUa(o, { ext, password }) {
  const peer = await WsPeer.open(o.httpsPort);
  const r = await registerWithAuth(peer, async (m) => peer.send(m), {
    user: ext, password, alg: 'MD5', transport: 'WSS', viaHost: peer.host, cseq: 2,
    contact: `<sip:${ext}@${peer.host};transport=ws>`,
  });
  if (r.final?.status !== 200) { peer.close(); throw new Error(`WSS REGISTER ${ext}: ${r.final?.start}`); }
  const ua = new Ua({ peer, send: async (m) => peer.send(m), user: ext, password, transport: 'WSS' });
  ua.close = () => peer.close();
  return ua;
}

/** Unauthenticated Ua on a UDP socket (not registered). */
export async function bareUdpUa(o, user, password = 'x') {
  const peer = await UdpPeer.open();
  const ua = new Ua({ peer, send: (m) => peer.send(o.udpPort, m), user, password, transport: 'UDP' });
  ua.close = () => peer.close();
  return ua;
}

const splitRR = (vals) => vals.flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim()));

/** The callee's view of the dialog created by @inv, with our @toTag. */
export function uasDialog(inv, toTag) {
  return {
    callId: inv.header('call-id'),
    fromTag: toTag,
    to: inv.header('from'),
    remote: /<([^>]+)>/.exec(inv.header('contact'))[1],
    routes: splitRR(inv.headers('record-route')),
  };
}

export const isReq = (method, callId) => (m) => m.method === method && (!callId || m.header('call-id') === callId);
export const isResp = (status, method, callId) => (m) => m.status === status &&
  new RegExp(`^\\d+ ${method}$`).test(m.header('cseq') ?? '') && (!callId || m.header('call-id') === callId);

/** ACK for a non-2xx final response @resp to the INVITE of dialog @d (same branch). */
export function ackFinal(ua, d, resp) {
  return ua.send(ua.request('ACK', { ruri: d.ruri, to: resp.header('to'), callId: d.callId, fromTag: d.fromTag, cseq: d.cseq, via: d.via })
    .replace(/CSeq: \d+ ACK/, `CSeq: ${d.cseq} ACK`));
}

/** CANCEL for the pending INVITE of @d (same branch and CSeq number). */
export function cancel(ua, d) {
  return ua.send(ua.request('CANCEL', { ruri: d.ruri, to: d.to, callId: d.callId, fromTag: d.fromTag, cseq: d.cseq, via: d.via }));
}

/**
 * Set up a call @caller -> @callee (both Ua, callee registered as @target):
 * INVITE/407/INVITE, 180, 200, ACK. Returns { d, cd, inv, ok, codes }.
 */
export async function establish(caller, callee, target, { toTag = rand(4), calleeSdp = SDP('127.0.0.1', 41000) } = {}) {
  const d = await caller.invite(target);
  const inv = await callee.expect(isReq('INVITE', d.callId), 3000, 'INVITE at callee');
  await callee.send(reply(inv, 180, 'Ringing', { toTag }));
  await callee.send(reply(inv, 200, 'OK', { toTag, contact: callee.contact, body: calleeSdp }));
  const ring = await caller.expect(isResp(180, 'INVITE', d.callId), 3000, '180 at caller');
  const ok = await caller.expect(isResp(200, 'INVITE', d.callId), 3000, '200 at caller');
  caller.confirm(d, ok);
  await caller.ack(d);
  const ack = await callee.expect(isReq('ACK', d.callId), 3000, 'ACK at callee');
  const cd = uasDialog(inv, toTag);
  return { d, cd, inv, ok, ring, ack };
}

/** BYE from @from (dialog @fd) answered 200 by @to; returns [bye, ok]. */
export async function hangup(from, fd, to) {
  const cseq = from.cseq;
  await from.inDialog('BYE', fd);
  const bye = await to.expect(isReq('BYE', fd.callId), 3000, 'BYE at the other side');
  await to.send(reply(bye, 200, 'OK'));
  const ok = await from.expect((m) => isResp(200, 'BYE', fd.callId)(m) && m.header('cseq').startsWith(`${cseq} `), 3000, '200 for BYE');
  return [bye, ok];
}

/** The call-log row of @callId (listed under @ext), once @pred(row) holds. */
export async function callRow(o, ext, callId, pred = (r) => r.endedAt, ms = 3000) {
  let row;
  await waitFor(async () => {
    const r = await o.api('GET', `/api/calls?extension=${encodeURIComponent(ext)}`);
    row = r.json?.calls?.find((c) => c.callId === callId);
    return row && pred(row);
  }, ms, `call-log row ${callId}`).catch((e) => {
    throw new Error(`${e.message}; last seen: ${JSON.stringify(row)}`);
  });
  return row;
}

export async function activeCalls(o) {
  return (await o.api('GET', '/api/calls/active')).json.calls;
}

/** Messages arriving at @ua matching @pred within @ms (drains the peer). */
export async function collect(ua, pred, ms) {
  const out = [];
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) break;
    try { out.push(await ua.expect(pred, left, 'collect')); } catch { break; }
  }
  return out;
}

export { sleep as wait };
