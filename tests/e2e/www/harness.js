// The end-to-end tests' web phone: SIP.js over Ovoz's WSS, driven from
// the test through window.harness (page.evaluate). Everything a test
// checks is kept in `log` (registration and session states, rejections,
// received SDP) or read from the peer connection (getStats, an
// AnalyserNode on the remote audio).
import { UserAgent, Registerer, RegistererState, Inviter, SessionState } from './sipjs/index.js';

// Raw audio: browser processing squashes a steady tone.
const constraints = {
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  video: false,
};
const sdhOptions = { constraints };

const st = { ua: null, registerer: null, session: null, incoming: [], domain: null, analyser: null, invitesSent: [] };
const log = [];
const note = (what, data = {}) => {
  log.push({ t: Math.round(performance.now()), what, ...data });
  document.getElementById('status').textContent = what;
};

function sdh() {
  const h = st.session?.sessionDescriptionHandler;
  if (!h) throw new Error('no session description handler (no call?)');
  return h;
}

/** Play the remote audio (audioLevel stays 0 unless it is played). */
function attachRemote() {
  const audio = document.getElementById('remote');
  audio.srcObject = sdh().remoteMediaStream;
  audio.play().catch((e) => note('play-error', { error: String(e) }));
}

function watch(session, direction) {
  st.session = session;
  note('session', { direction, state: session.state });
  session.stateChange.addListener((state) => {
    note('session', { direction, state });
    if (state === SessionState.Established) attachRemote();
  });
}

function target(t) {
  return UserAgent.makeURI(t.startsWith('sip:') ? t : `sip:${t}@${st.domain}`);
}

const harness = {
  log,

  /**
   * Register @ext over @wssUrl (default: this page's /ws). @bundlePolicy
   * is max-bundle, as in the web phone. Resolves with the final state.
   */
  async register(ext, password, wssUrl = `wss://${location.host}/ws`, domain = location.hostname,
    bundlePolicy = 'max-bundle') {
    st.domain = domain;
    st.ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${ext}@${domain}`),
      authorizationUsername: ext,
      authorizationPassword: password,
      transportOptions: { server: wssUrl },
      logLevel: 'warn',
      sessionDescriptionHandlerFactoryOptions: {
        iceGatheringTimeout: 500,
        peerConnectionConfiguration: { bundlePolicy, iceServers: [] },
      },
      delegate: {
        onInvite(invitation) {
          st.incoming.push(invitation);
          note('invite', { from: invitation.remoteIdentity.uri.toString() });
          watch(invitation, 'in');
        },
      },
    });
    await st.ua.start();
    // When each INVITE leaves (set-up timing starts at the first one).
    const tr = st.ua.transport;
    const send = tr.send.bind(tr);
    tr.send = (msg) => {
      if (msg.startsWith('INVITE ')) st.invitesSent.push(performance.now());
      return send(msg);
    };
    st.registerer = new Registerer(st.ua, { expires: 300 });
    const done = new Promise((resolve) => {
      st.registerer.stateChange.addListener((s) => {
        note('registerer', { state: s });
        if (s === RegistererState.Registered || s === RegistererState.Unregistered) resolve(s);
      });
    });
    let rejected = null;
    await st.registerer.register({
      requestDelegate: { onReject(r) { rejected = r.message.statusCode; note('register-reject', { status: rejected }); } },
    });
    const s = await Promise.race([done, new Promise((r) => setTimeout(() => r(rejected ?? 'timeout'), 5000))]);
    return String(s);
  },

  /** Call @t (an extension or a sip: URI). Resolves once the INVITE is sent. */
  async call(t) {
    const inviter = new Inviter(st.ua, target(t), { sessionDescriptionHandlerOptions: sdhOptions });
    watch(inviter, 'out');
    await inviter.invite({
      requestDelegate: {
        onProgress(r) { note('progress', { status: r.message.statusCode }); },
        onAccept(r) { note('accept', { status: r.message.statusCode, sdp: r.message.body }); },
        onReject(r) { note('reject', { status: r.message.statusCode }); },
      },
    });
    return inviter.request.callId;
  },

  /** Answer the newest incoming call. */
  async answer() {
    const inv = st.incoming.at(-1);
    if (!inv) throw new Error('no incoming call');
    note('offer', { sdp: inv.request.body });
    await inv.accept({ sessionDescriptionHandlerOptions: sdhOptions });
    return inv.request.callId;
  },

  /**
   * Set-up timing of the outgoing call just placed (call() resolved):
   * performance.now() times of the first INVITE sent, the 2xx, the
   * browser's ICE checking / connected and DTLS connected, the remote
   * track's unmute (first RTP), the first inbound packet by getStats and
   * the first remote audio frame whose RMS reaches @level (an
   * AnalyserNode polled every 5 ms). Waits up to @ms for that frame.
   */
  async setupTimes(ms = 5000, level = 0.05) {
    const pc = sdh().peerConnection;
    const t = { invite: st.invitesSent[0] ?? null, invites: st.invitesSent.length };
    const mark = (k) => { t[k] ??= performance.now(); };
    const rx = pc.getReceivers().find((r) => r.track?.kind === 'audio');
    if (!rx) throw new Error('no audio receiver');
    if (!rx.track.muted) mark('unmute');
    rx.track.addEventListener('unmute', () => mark('unmute'), { once: true });
    const onIce = () => {
      if (pc.iceConnectionState === 'checking') mark('iceChecking');
      if (pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed') mark('iceConnected');
    };
    const onConn = () => { if (pc.connectionState === 'connected') mark('dtlsConnected'); };
    onIce(); onConn();
    pc.addEventListener('iceconnectionstatechange', onIce);
    pc.addEventListener('connectionstatechange', onConn);
    st.session.stateChange.addListener((s) => { if (s === SessionState.Established) mark('established'); });
    if (st.session.state === SessionState.Established) mark('established');
    // WebAudio hears a remote track only while a media element plays it.
    const audio = document.getElementById('remote');
    audio.srcObject = new MediaStream([rx.track]);
    audio.play().catch(() => {});
    const ctx = new AudioContext();
    await ctx.resume();
    const an = ctx.createAnalyser();
    an.fftSize = 256;
    ctx.createMediaStreamSource(new MediaStream([rx.track])).connect(an);
    const buf = new Float32Array(an.fftSize);
    const end = performance.now() + ms;
    while ((t.energy === undefined || t.packet === undefined) && performance.now() < end) {
      an.getFloatTimeDomainData(buf);
      let e = 0;
      for (const x of buf) e += x * x;
      if (Math.sqrt(e / buf.length) >= level) mark('energy');
      if (t.packet === undefined) {
        const now = performance.now();
        (await pc.getStats()).forEach((r) => {
          if (r.type !== 'inbound-rtp' || r.kind !== 'audio' || !r.packetsReceived) return;
          // Chromium's lastPacketReceivedTimestamp is epoch ms: back to
          // this page's clock, less the 20 ms packets that came since.
          let at = now;
          const last = r.lastPacketReceivedTimestamp;
          if (last) {
            const local = last - performance.timeOrigin - (r.packetsReceived - 1) * 20;
            if (local > (t.invite ?? 0) && local <= now + 1) at = local;
          }
          t.packet = at;
          t.packetsAtFirstStats = r.packetsReceived;
        });
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    pc.removeEventListener('iceconnectionstatechange', onIce);
    pc.removeEventListener('connectionstatechange', onConn);
    await ctx.close();
    t.accept = log.findLast((x) => x.what === 'accept' && x.t >= (t.invite ?? 0) - 1)?.t ?? null;
    st.invitesSent = [];
    return t;
  },

  /** End the current call whatever its state. */
  async hangup() {
    const s = st.session;
    if (!s) return 'none';
    if (s.state === SessionState.Established) await s.bye();
    else if (s instanceof Inviter) await s.cancel();
    else if (s.state === SessionState.Initial || s.state === SessionState.Establishing) await s.reject();
    return s.state;
  },

  /** Send DTMF @digits as RFC 4733 events; false when no telephone-event was negotiated. */
  sendDtmf(digits) {
    return sdh().sendDtmf(digits, { duration: 160, interToneGap: 100 });
  },

  state() {
    return { session: st.session?.state ?? null, registerer: st.registerer?.state ?? null };
  },

  /** The local and remote SDP of the current peer connection. */
  sdp() {
    const pc = sdh().peerConnection;
    return { local: pc.localDescription?.sdp ?? null, remote: pc.remoteDescription?.sdp ?? null };
  },

  /** Audio RTP counters from getStats() plus ICE/DTLS states. */
  async stats() {
    const pc = sdh().peerConnection;
    const out = { inbound: null, outbound: null, ice: pc.iceConnectionState, connection: pc.connectionState, dtls: null };
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio')
        out.inbound = { packetsReceived: r.packetsReceived, packetsLost: r.packetsLost, audioLevel: r.audioLevel ?? 0,
          totalAudioEnergy: r.totalAudioEnergy ?? 0, bytesReceived: r.bytesReceived };
      if (r.type === 'outbound-rtp' && r.kind === 'audio')
        out.outbound = { packetsSent: r.packetsSent, bytesSent: r.bytesSent };
      if (r.type === 'transport') out.dtls = r.dtlsState;
    });
    return out;
  },

  /**
   * Share (0..1) of the remote audio's spectral power within ±25 Hz of
   * each frequency in @freqs, and the peak frequency, from an
   * AnalyserNode averaged over @ms.
   */
  async spectrum(freqs, ms = 500) {
    if (!st.analyser) {
      const ctx = new AudioContext();
      await ctx.resume();
      const src = ctx.createMediaStreamSource(sdh().remoteMediaStream);
      const an = ctx.createAnalyser();
      an.fftSize = 8192;
      an.smoothingTimeConstant = 0;
      src.connect(an);
      st.analyser = { ctx, an };
      await new Promise((r) => setTimeout(r, 200));
    }
    const { ctx, an } = st.analyser;
    const bins = new Float32Array(an.frequencyBinCount);
    const power = new Float64Array(an.frequencyBinCount);
    const hz = ctx.sampleRate / an.fftSize;
    for (let k = 0; k < Math.max(1, Math.round(ms / 100)); k++) {
      an.getFloatFrequencyData(bins);
      bins.forEach((db, i) => { power[i] += Number.isFinite(db) ? 10 ** (db / 10) : 0; });
      await new Promise((r) => setTimeout(r, 100));
    }
    let total = 0, peak = 0;
    // From 100 Hz up: below is hum and DC.
    for (let i = Math.ceil(100 / hz); i < power.length; i++) {
      total += power[i];
      if (power[i] > power[peak]) peak = i;
    }
    const share = {};
    for (const f of freqs) {
      let p = 0;
      for (let i = Math.floor((f - 25) / hz); i <= Math.ceil((f + 25) / hz); i++) p += power[i] ?? 0;
      share[f] = total > 0 ? p / total : 0;
    }
    return { peakHz: Math.round(peak * hz), share, total };
  },

  async stop() {
    try { await harness.hangup(); } catch { /* gone */ }
    try { await st.registerer?.unregister(); } catch { /* gone */ }
    try { await st.ua?.stop(); } catch { /* gone */ }
  },
};

window.harness = harness;
note('ready');
