// The phone's SIP side: one SIP.js UserAgent over Ovoz's WSS, its
// registration, automatic reconnection with back-off, and one call at a
// time. No DOM here: it reports through events (EventTarget) that the
// page (app.js) and the embedding bridge (bridge.js) listen to:
//   'conn'  detail { state: idle|connecting|registered|reconnecting|failed,
//                    reason?, ext?, retryIn? }
//   'call'  detail { state: calling|ringing|incoming|answered|ended,
//                    direction: in|out, number, name, reason?, held, muted }
import {
  UserAgent, Registerer, RegistererState, Inviter, SessionState,
} from '../vendor/sip.js';

const BACKOFF = [1, 2, 4, 8, 15, 30]; // seconds between reconnection attempts

/**
 * Split a username: ephemeral credentials are "<expiry unix>:<extension>"
 * (the TURN REST / auth_ephemeral convention); others are the extension.
 */
export function parseUsername(username) {
  const m = /^(\d{9,12}):(.+)$/.exec(username);
  return m ? { ext: m[2], expires: Number(m[1]) } : { ext: username, expires: null };
}

/** Why a REGISTER was refused, from the final response. */
export function rejectReason(status, phrase, expires) {
  if (expires !== null && expires * 1000 <= Date.now()) return 'expired';
  if (status === 403 && /banned|too many/i.test(phrase)) return 'banned';
  if (status === 401 || status === 403 || status === 407) {
    return expires !== null && /expired/i.test(phrase) ? 'expired' : 'wrong_password';
  }
  return 'other';
}

/** Why an outgoing call failed, from its final response. */
function callFailReason(status) {
  if (status === 486 || status === 600) return 'busy';
  if (status === 404 || status === 484 || status === 604) return 'not_found';
  if (status === 480 || status === 408) return 'unavailable';
  if (status === 603) return 'declined';
  return `${status}`;
}

/** Classify getUserMedia's failure for the user. */
export function mediaErrorReason(e) {
  if (!window.isSecureContext || !navigator.mediaDevices) return 'insecure';
  if (e?.name === 'NotAllowedError' || e?.name === 'SecurityError') return 'mic_denied';
  if (e?.name === 'NotFoundError' || e?.name === 'OverconstrainedError') return 'no_mic';
  return null;
}

export class SipClient extends EventTarget {
  constructor({ server, domain }) {
    super();
    this.server = server;
    this.domain = domain;
    this.ua = null;
    this.registerer = null;
    this.call = null; // { session, direction, number, name, held, muted, answeredAt }
    this.micId = '';
    this.retry = { n: 0, timer: null, tick: null };
    this.signedIn = false;
  }

  emit(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  conn(state, extra = {}) {
    this.connState = { state, ext: this.ext, ...extra };
    this.emit('conn', this.connState);
  }

  constraints() {
    return { audio: this.micId ? { deviceId: { exact: this.micId } } : true, video: false };
  }

  /** Sign in with @username / @password; resolves when the first attempt ends. */
  async signIn(username, password) {
    await this.signOut(true);
    const { ext, expires } = parseUsername(username);
    this.ext = ext;
    this.expires = expires;
    this.signedIn = true;
    if (expires !== null && expires * 1000 <= Date.now()) {
      this.signedIn = false;
      this.conn('failed', { reason: 'expired' });
      return;
    }
    this.ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${ext}@${this.domain}`),
      authorizationUsername: username,
      authorizationPassword: password,
      transportOptions: { server: this.server, connectionTimeout: 5 },
      logBuiltinEnabled: false,
      logLevel: 'error',
      logConnector: (level, category, label, content) => console.debug(`[sip ${category}] ${content}`),
      sessionDescriptionHandlerFactoryOptions: {
        iceGatheringTimeout: 500,
        peerConnectionConfiguration: { bundlePolicy: 'max-bundle', iceServers: [] },
      },
      delegate: {
        onDisconnect: (error) => this.onDisconnect(error),
        onInvite: (inv) => this.onInvite(inv),
      },
    });
    this.registerer = new Registerer(this.ua, { expires: 300 });
    this.registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) {
        this.retry.n = 0;
        this.conn('registered');
      }
    });
    this.conn('connecting');
    try {
      await this.ua.start();
    } catch (e) {
      await this.connectFailed();
      return;
    }
    await this.register();
  }

  async register() {
    const ua = this.ua;
    await this.registerer.register({
      requestDelegate: {
        // After a reconnection the Registerer may still say Registered,
        // so its state does not change: the 200 itself is the sign.
        onAccept: () => {
          if (ua !== this.ua) return;
          this.retry.n = 0;
          this.conn('registered');
        },
        onReject: (resp) => {
          if (ua !== this.ua) return;
          const m = resp.message;
          const reason = rejectReason(m.statusCode, m.reasonPhrase, this.expires);
          this.conn('failed', { reason, detail: `${m.statusCode} ${m.reasonPhrase}` });
          // A refused sign-in does not retry by itself: the user decides.
          this.signedIn = false;
          this.stopUa();
        },
      },
    }).catch((e) => this.conn('failed', { reason: 'other', detail: e.message }));
  }

  /** The WebSocket never opened: unreachable, refused or untrusted. */
  async connectFailed() {
    const origin = new URL(this.server.replace(/^ws/, 'http')).origin;
    let reason = 'unreachable';
    try {
      await fetch(`${origin}/phone/`, { method: 'HEAD', cache: 'no-store', mode: 'no-cors' });
      reason = 'refused'; // HTTPS answers: the upgrade itself was refused
    } catch {
      // Same origin as this page: its certificate was trusted to load
      // it, so the server is down. Another origin: cannot tell apart.
      if (origin !== location.origin) reason = 'certificate';
    }
    if (!this.signedIn) return;
    this.scheduleRetry(reason);
  }

  onDisconnect(error) {
    if (!error || !this.signedIn) return;
    if (this.call) this.endCall('lost');
    // Ovoz closes a deleted extension's connections with 4410: signing
    // in again cannot work, so say why and stop.
    if (/\(code: 4410\)/.test(error.message)) {
      this.signedIn = false;
      this.stopUa();
      this.conn('failed', { reason: 'removed' });
      return;
    }
    this.scheduleRetry('unreachable');
  }

  scheduleRetry(reason) {
    clearTimeout(this.retry.timer);
    clearInterval(this.retry.tick);
    let left = BACKOFF[Math.min(this.retry.n, BACKOFF.length - 1)];
    this.retry.n++;
    const origin = new URL(this.server.replace(/^ws/, 'http')).origin;
    this.conn('reconnecting', { reason, retryIn: left, url: origin });
    this.retry.tick = setInterval(() => {
      left = Math.max(0, left - 1);
      this.conn('reconnecting', { reason, retryIn: left, url: origin });
    }, 1000);
    this.retry.timer = setTimeout(() => this.reconnectNow(), left * 1000);
  }

  async reconnectNow() {
    clearTimeout(this.retry.timer);
    clearInterval(this.retry.tick);
    if (!this.signedIn || !this.ua) return;
    this.conn('connecting');
    try {
      await this.ua.reconnect();
    } catch {
      await this.connectFailed();
      return;
    }
    await this.register();
  }

  stopUa() {
    const ua = this.ua;
    this.ua = null;
    this.registerer = null;
    clearTimeout(this.retry.timer);
    clearInterval(this.retry.tick);
    return ua ? ua.stop().catch(() => {}) : Promise.resolve();
  }

  /** Sign out (unregister if connected) and forget the user agent. */
  async signOut(quiet = false) {
    this.signedIn = false;
    if (this.call) await this.hangup();
    if (this.registerer && this.ua?.isConnected()) {
      await this.registerer.unregister().catch(() => {});
    }
    await this.stopUa();
    if (!quiet) this.conn('idle');
  }

  target(number) {
    return UserAgent.makeURI(number.startsWith('sip:') ? number : `sip:${number}@${this.domain}`);
  }

  /** Check the microphone first, so its failure gets a clear reason. */
  async checkMic() {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('insecure'), { reason: 'insecure' });
    try {
      const s = await navigator.mediaDevices.getUserMedia(this.constraints());
      s.getTracks().forEach((t) => t.stop());
    } catch (e) {
      throw Object.assign(e, { reason: mediaErrorReason(e) ?? 'mic_denied' });
    }
  }

  async dial(number) {
    if (this.call || !this.ua) return;
    await this.checkMic();
    const uri = this.target(number);
    if (!uri) throw Object.assign(new Error('bad number'), { reason: 'not_found' });
    const session = new Inviter(this.ua, uri, {
      sessionDescriptionHandlerOptions: { constraints: this.constraints() },
    });
    this.track(session, 'out', number, '');
    this.callEvent('calling');
    await session.invite({
      requestDelegate: {
        onProgress: (r) => {
          if (r.message.statusCode >= 180) this.callEvent('ringing');
        },
        onReject: (r) => { this.failReason = callFailReason(r.message.statusCode); },
      },
    }).catch((e) => { this.failReason = e.message; session.dispose?.(); });
  }

  onInvite(inv) {
    if (this.call) {
      inv.reject({ statusCode: 486 }).catch(() => {});
      return;
    }
    const id = inv.remoteIdentity;
    this.track(inv, 'in', id.uri.user ?? id.uri.toString(), id.displayName ?? '');
    this.callEvent('incoming');
  }

  track(session, direction, number, name) {
    this.failReason = null;
    this.call = { session, direction, number, name, held: false, muted: false, answeredAt: null };
    session.stateChange.addListener((s) => {
      if (this.call?.session !== session) return;
      if (s === SessionState.Established) {
        this.call.answeredAt = Date.now();
        this.callEvent('answered');
        this.emit('media', { stream: session.sessionDescriptionHandler?.remoteMediaStream,
          local: session.sessionDescriptionHandler?.localMediaStream });
      } else if (s === SessionState.Terminated) {
        // SIP.js ends the session before it hands the final response to
        // onReject: read the reason once that has run.
        setTimeout(() => { if (this.call?.session === session) this.endCall(this.failReason); }, 0);
      }
    });
  }

  callEvent(state, extra = {}) {
    const c = this.call;
    if (!c) return;
    this.emit('call', {
      state, direction: c.direction, number: c.number, name: c.name,
      held: c.held, muted: c.muted, answeredAt: c.answeredAt, ...extra,
    });
  }

  endCall(reason) {
    const c = this.call;
    if (!c) return;
    this.callEvent('ended', { reason: reason ?? null,
      duration: c.answeredAt ? Math.round((Date.now() - c.answeredAt) / 1000) : 0 });
    this.call = null;
    if (reason === 'lost') c.session.dispose?.().catch?.(() => {});
  }

  async answer() {
    const c = this.call;
    if (!c || c.direction !== 'in' || c.session.state !== SessionState.Initial) return;
    await this.checkMic();
    await c.session.accept({ sessionDescriptionHandlerOptions: { constraints: this.constraints() } });
  }

  async reject() {
    const c = this.call;
    if (!c || c.direction !== 'in' || c.session.state !== SessionState.Initial) return;
    this.failReason = 'declined';
    await c.session.reject({ statusCode: 486 }).catch(() => {});
  }

  async hangup() {
    const c = this.call;
    if (!c) return;
    const s = c.session;
    if (s.state === SessionState.Established) await s.bye().catch(() => {});
    else if (c.direction === 'out' && s.state !== SessionState.Terminated) await s.cancel().catch(() => {});
    else if (c.direction === 'in' && s.state === SessionState.Initial) await this.reject();
    else await s.dispose?.();
  }

  setMute(muted) {
    const c = this.call;
    const pc = c?.session.sessionDescriptionHandler?.peerConnection;
    if (!pc) return false;
    for (const snd of pc.getSenders()) if (snd.track) snd.track.enabled = !muted;
    c.muted = muted;
    this.callEvent('answered');
    return true;
  }

  /** Hold or resume with a re-INVITE (sendonly / sendrecv). */
  async setHold(held) {
    const c = this.call;
    if (!c || c.session.state !== SessionState.Established) return false;
    c.session.sessionDescriptionHandlerOptionsReInvite = { hold: held };
    let ok = true;
    await c.session.invite({
      requestDelegate: { onReject: () => { ok = false; } },
    }).catch(() => { ok = false; });
    if (ok) c.held = held;
    this.callEvent('answered');
    return ok;
  }

  /** Send @tone as RFC 4733 telephone-event. */
  sendDtmf(tone) {
    const sdh = this.call?.session.sessionDescriptionHandler;
    if (!sdh || this.call.session.state !== SessionState.Established) return false;
    return sdh.sendDtmf(tone);
  }
}
