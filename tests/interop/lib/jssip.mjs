// JsSIP 3.13 running in Node against a real ovoz over WSS, its socket from
// jssip-node-websocket (trusting the development CA). Node has no WebRTC,
// so a minimal RTCPeerConnection stands in for the browser API: it hands
// out a fixed audio SDP, gathers no candidates and carries no media. All
// SIP (registration, digest, INVITE, ACK, BYE) is JsSIP's own.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import JsSIP from 'jssip';
import NodeWebSocket from 'jssip-node-websocket';
import { SOURCE_ROOT, HOST, waitFor } from '../../integration/lib/ovoz.mjs';
import { stubSdp } from './sipjs.mjs';

JsSIP.debug.disable('JsSIP:*');
const ca = readFileSync(path.join(SOURCE_ROOT, 'certs/dev/ca.pem'));

/** The browser's RTCPeerConnection, reduced to what a signalling test needs. */
class StubPeerConnection extends EventTarget {
  constructor() {
    super();
    this.signalingState = 'stable';
    this.iceGatheringState = 'new';
    this.iceConnectionState = 'new';
    this.connectionState = 'new';
    this.localDescription = null;
    this.remoteDescription = null;
    this.senders = [];
  }

  addTrack(track) { const s = { track, replaceTrack: async () => {} }; this.senders.push(s); return s; }
  getSenders() { return this.senders; }
  getReceivers() { return []; }
  getTransceivers() { return []; }
  getLocalStreams() { return []; }
  getRemoteStreams() { return []; }
  async createOffer() { return { type: 'offer', sdp: stubSdp(49180) }; }
  async createAnswer() { return { type: 'answer', sdp: stubSdp(49182) }; }
  async setLocalDescription(d) {
    this.localDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-local-offer' : 'stable';
    this.iceGatheringState = 'complete';
  }

  async setRemoteDescription(d) {
    this.remoteDescription = d;
    this.signalingState = d.type === 'offer' ? 'have-remote-offer' : 'stable';
  }

  close() { this.signalingState = 'closed'; }
}

globalThis.window ??= globalThis;
globalThis.RTCPeerConnection = StubPeerConnection;
globalThis.RTCSessionDescription = class { constructor({ type, sdp }) { this.type = type; this.sdp = sdp; } };

/** A media stream with no tracks: JsSIP then skips getUserMedia. */
export const noMedia = () => ({ getTracks: () => [], getAudioTracks: () => [], getVideoTracks: () => [] });

/**
 * A started JsSIP UA for @ext on @o's WSS that registers at once.
 * Incoming calls are answered when @answer. Returns { ua, events (names
 * of registration events, in order), failures (SIP status of each
 * registrationFailed), incoming (RTCSessions, each with .seen: its events), stop() }.
 */
export function jssipPhone(o, { ext, password }, { answer = false } = {}) {
  const socket = new NodeWebSocket(`wss://${HOST}:${o.httpsPort}/ws`, { requestOptions: { ca } });
  const ua = new JsSIP.UA({
    sockets: [socket], uri: `sip:${ext}@${HOST}`, password,
    register: true, register_expires: 300, session_timers: false,
    connection_recovery_min_interval: 1, connection_recovery_max_interval: 2,
  });
  const p = { ua, events: [], failures: [], incoming: [] };
  ua.on('registered', () => p.events.push('registered'));
  ua.on('unregistered', () => p.events.push('unregistered'));
  ua.on('registrationFailed', (e) => { p.events.push('registrationFailed'); p.failures.push(e.response?.status_code ?? e.cause); });
  ua.on('newRTCSession', ({ originator, session }) => {
    if (originator !== 'remote') return;
    session.seen = []; // its events, in order
    for (const ev of ['accepted', 'confirmed', 'ended', 'failed']) session.on(ev, () => session.seen.push(ev));
    p.incoming.push(session);
    if (answer) session.answer({ mediaStream: noMedia() });
  });
  p.waitEvent = (name, ms = 5000) => waitFor(() => p.events.includes(name), ms, `JsSIP ${name}`);
  p.stop = async () => {
    ua.stop();
    await waitFor(() => !ua.isConnected(), 3000, 'JsSIP disconnect').catch(() => {});
  };
  ua.start();
  return p;
}

/**
 * Call @target from @phone; resolves { session, events, response } once
 * confirmed (ACK sent) or failed.
 */
export async function jssipCall(phone, target, ms = 5000) {
  const events = [];
  let response = null;
  const session = phone.ua.call(`sip:${target}@${HOST}`, {
    mediaStream: noMedia(),
    pcConfig: { iceServers: [] },
    eventHandlers: {
      accepted: (e) => { events.push('accepted'); response = e.response; },
      confirmed: () => events.push('confirmed'),
      failed: (e) => { events.push('failed'); response = e.message ?? null; events.push(`cause:${e.cause}`); },
      ended: () => events.push('ended'),
    },
  });
  await waitFor(() => events.includes('confirmed') || events.includes('failed'), ms, 'JsSIP call to answer');
  return { session, events, response };
}
