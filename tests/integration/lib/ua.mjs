// A scripted SIP user agent for call tests (signalling only): build
// requests and responses the way a phone does, over a UdpPeer or WsPeer.
import { rand, digestAuth, parseChallenge, parseSip } from './sip.mjs';
import { HOST } from './ovoz.mjs';

/** A response to @req (parsed) with @status, copying what RFC 3261 8.2.6 says. */
export function reply(req, status, reason, { toTag, contact, body = '', extra = [] } = {}) {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of req.headers('via')) lines.push(`Via: ${v}`);
  for (const rr of req.headers('record-route')) lines.push(`Record-Route: ${rr}`);
  lines.push(`From: ${req.header('from')}`);
  let to = req.header('to');
  if (toTag && !/;tag=/.test(to)) to += `;tag=${toTag}`;
  lines.push(`To: ${to}`, `Call-ID: ${req.header('call-id')}`, `CSeq: ${req.header('cseq')}`);
  if (contact) lines.push(`Contact: ${contact}`);
  lines.push(...extra);
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`, '', body);
  return lines.join('\r\n');
}

export const SDP = (ip, port) => [
  'v=0', `o=- 1 1 IN IP4 ${ip}`, 's=-', `c=IN IP4 ${ip}`, 't=0 0',
  `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', '',
].join('\r\n');

/**
 * One side of a dialog. @peer is a UdpPeer or WsPeer; @send(text) sends to
 * ovoz; @transport 'UDP' or 'WSS'.
 */
export class Ua {
  constructor({ peer, send, user, password, transport, domain = 'ovoz.test' }) {
    Object.assign(this, { peer, send, user, password, transport, domain });
    this.host = transport === 'UDP' ? `${HOST}:${peer.port}` : peer.host;
    this.contact = transport === 'UDP' ? `<sip:${user}@${HOST}:${peer.port}>` : `<sip:${user}@${peer.host};transport=ws>`;
    this.cseq = 1;
  }
  via() {
    const b = 'z9hG4bK' + rand(6);
    return this.transport === 'UDP' ? `SIP/2.0/UDP ${this.host};branch=${b};rport` : `SIP/2.0/WSS ${this.host};branch=${b}`;
  }
  /** Build a request; @d is the dialog state when in-dialog. */
  request(method, { ruri, to, callId, fromTag, cseq, routes = [], auth, body = '', via, contentType = 'application/sdp', extra = [] } = {}) {
    const lines = [
      `${method} ${ruri} SIP/2.0`, `Via: ${via ?? this.via()}`, 'Max-Forwards: 70',
      `From: <sip:${this.user}@${this.domain}>;tag=${fromTag}`, `To: ${to}`,
      `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`, `Contact: ${this.contact}`,
      ...routes.map((r) => `Route: ${r}`),
      ...(auth ? [`Proxy-Authorization: ${auth}`] : []),
      'User-Agent: OvozTestUA/1.0', ...extra,
      ...(body ? [`Content-Type: ${contentType}`] : []),
      `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ];
    return lines.join('\r\n');
  }
  /** Next message matching @pred (others are kept for later). */
  async expect(pred, ms = 3000, what = 'message') {
    this.backlog ??= [];
    const i = this.backlog.findIndex(pred);
    if (i >= 0) return this.backlog.splice(i, 1)[0];
    const end = Date.now() + ms;
    for (;;) {
      const left = end - Date.now();
      if (left <= 0) throw new Error(`${this.user}: timed out waiting for ${what}`);
      const m = await this.peer.recv(left);
      if (!m) throw new Error(`${this.user}: timed out waiting for ${what}`);
      if (pred(m)) return m;
      this.backlog.push(m);
    }
  }
  /** Send an INVITE to @target with digest; resolves with the dialog. */
  async invite(target, { body = SDP('127.0.0.1', 40000), callId = rand(8), domain = this.domain } = {}) {
    const d = { callId, fromTag: rand(4), ruri: `sip:${target}@${domain}`, to: `<sip:${target}@${domain}>`, cseq: this.cseq++ };
    const via = this.via();
    await this.send(this.request('INVITE', { ...d, body, via }));
    const ch = await this.expect((m) => m.status === 407 && m.header('call-id') === d.callId, 3000, '407');
    d.first407 = ch;
    // ACK the 407 (same branch).
    await this.send(this.request('ACK', { ...d, via, to: ch.header('to') }).replace(/CSeq: \d+ ACK/, `CSeq: ${d.cseq} ACK`));
    const chs = ch.headers('proxy-authenticate').map(parseChallenge);
    d.challenges = chs;
    d.cseq = this.cseq++;
    const auth = digestAuth({ ch: chs[0], user: this.user, password: this.password, method: 'INVITE', uri: d.ruri });
    d.via = this.via();
    d.auth = auth;
    await this.send(this.request('INVITE', { ...d, body, auth, via: d.via }));
    return d;
  }
  /** After a 2xx: route set and remote target from the response. */
  confirm(d, ok) {
    d.to = ok.header('to');
    d.routes = ok.headers('record-route').flatMap((v) => v.split(/,(?=\s*<)/).map((x) => x.trim())).reverse();
    d.remote = /<([^>]+)>/.exec(ok.header('contact'))[1];
    return d;
  }
  ack(d) {
    return this.send(this.request('ACK', { ruri: d.remote, to: d.to, callId: d.callId, fromTag: d.fromTag, cseq: d.cseq, routes: d.routes }));
  }
  inDialog(method, d, extra = {}) {
    const cseq = this.cseq++;
    return this.send(this.request(method, { ruri: d.remote, to: d.to, callId: d.callId, fromTag: d.fromTag, cseq, routes: d.routes, ...extra }));
  }
}
export { parseSip };
