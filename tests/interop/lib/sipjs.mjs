// SIP.js 0.21 (the library the web phone uses) running in Node against a
// real ovoz over WSS. Node has no WebSocket or WebRTC: `ws` stands in for
// the browser's WebSocket (trusting the development CA), and a session
// description handler that hands out a fixed audio SDP stands in for
// WebRTC. Everything SIP is SIP.js's own.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { UserAgent, Registerer, RegistererState, Inviter, SessionState } from 'sip.js';
import { SOURCE_ROOT, HOST, waitFor } from '../../integration/lib/ovoz.mjs';

export { RegistererState, SessionState };

const ca = readFileSync(path.join(SOURCE_ROOT, 'certs/dev/ca.pem'));

/** The browser WebSocket API, from `ws`, trusting the development CA. */
class DevCaWebSocket extends WebSocket {
  constructor(url, protocols) { super(url, protocols, { ca }); }
}
globalThis.WebSocket = DevCaWebSocket;

/** A plain audio offer/answer, as a SIP phone without WebRTC would send. */
export function stubSdp(port = 49170) {
  return ['v=0', `o=- ${port} 1 IN IP4 ${HOST}`, 's=-', `c=IN IP4 ${HOST}`, 't=0 0',
    `m=audio ${port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=sendrecv', ''].join('\r\n');
}

/** SessionDescriptionHandler without WebRTC: offers and answers stubSdp(). */
class StubSessionDescriptionHandler {
  constructor() { this.remoteSdp = null; }
  close() {}
  getDescription() { return Promise.resolve({ body: stubSdp(), contentType: 'application/sdp' }); }
  hasDescription(contentType) { return contentType === 'application/sdp'; }
  rollbackDescription() { return Promise.resolve(); }
  sendDtmf() { return false; }
  setDescription(sdp) { this.remoteSdp = sdp; return Promise.resolve(); }
}

/**
 * A started SIP.js UserAgent for @ext on @o's WSS, with a Registerer.
 * @authUser (default @ext) is the digest username: an ephemeral
 * "<expiry>:<ext>" from POST /api/credentials, for instance.
 * Reconnection as SIP.js offers it: up to 30 attempts, 1 s apart.
 * Returns { ua, registerer, states (every registerer state, in order),
 * register(), stop() }.
 */
export async function sipjsPhone(o, { ext, password, authUser = ext }, { httpsPort = o.httpsPort } = {}) {
  const ua = new UserAgent({
    uri: UserAgent.makeURI(`sip:${ext}@${HOST}`),
    transportOptions: { server: `wss://${HOST}:${httpsPort}/ws`, connectionTimeout: 3 },
    authorizationUsername: authUser,
    authorizationPassword: password,
    sessionDescriptionHandlerFactory: () => new StubSessionDescriptionHandler(),
    reconnectionAttempts: 30,
    reconnectionDelay: 1,
    logBuiltinEnabled: false,
    logConfiguration: false,
  });
  const registerer = new Registerer(ua, { expires: 300 });
  const states = [];
  const rejected = [];
  registerer.stateChange.addListener((s) => states.push(s));
  await ua.start();
  const phone = {
    ua, registerer, states, rejected,
    /** Send a REGISTER; SIP responses >= 300 land in `rejected`. */
    register: () => registerer.register({
      requestDelegate: { onReject: (r) => rejected.push(r.message.statusCode) },
    }),
    waitState: (state, ms = 5000) => waitFor(() => registerer.state === state, ms, `SIP.js ${state}`),
    async stop() {
      try { await ua.stop(); } catch { /* already stopped */ }
    },
  };
  return phone;
}

/**
 * Call @target from @phone: resolves with { inviter, states, accepted }
 * once the session is Established (or throws with what SIP.js saw).
 */
export async function sipjsCall(phone, target, ms = 5000) {
  const inviter = new Inviter(phone.ua, UserAgent.makeURI(`sip:${target}@${HOST}`));
  const states = [];
  const finals = [];
  inviter.stateChange.addListener((s) => states.push(s));
  await inviter.invite({
    requestDelegate: {
      onAccept: (r) => finals.push(r.message.statusCode),
      onReject: (r) => finals.push(r.message.statusCode),
    },
  });
  await waitFor(() => inviter.state === SessionState.Established || inviter.state === SessionState.Terminated,
    ms, 'SIP.js call to answer');
  return { inviter, states, finals };
}
