// Audio measurements on the real web phone page (/phone/, alone or in a
// frame): getStats() of the call's RTCPeerConnection and a spectrum of
// the remote stream, read from the test through window.ovozPhone (the
// page's own API object) — the page carries no test code. The numbers
// have the shape of the harness's, so assertBrowserHears() and
// assertSpectrum() (e2e.mjs) apply to them.
import { sleep } from '../../integration/lib/ovoz.mjs';

/** { inbound, outbound, ice } from getStats() of @target's (page or frame) call. */
export function phoneStats(target) {
  return target.evaluate(async () => {
    const pc = window.ovozPhone.phone.call?.session.sessionDescriptionHandler?.peerConnection;
    const out = { inbound: null, outbound: null, ice: pc?.iceConnectionState ?? null };
    if (!pc) return out;
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio')
        out.inbound = { packetsReceived: r.packetsReceived, packetsLost: r.packetsLost, audioLevel: r.audioLevel ?? 0,
          totalAudioEnergy: r.totalAudioEnergy ?? 0 };
      if (r.type === 'outbound-rtp' && r.kind === 'audio') out.outbound = { packetsSent: r.packetsSent };
    });
    return out;
  });
}

/** Two phoneStats() samples @ms apart, as audioSample() in e2e.mjs gives them. */
export async function phoneAudioSample(target, ms = 2000) {
  const a = await phoneStats(target);
  await sleep(ms);
  const b = await phoneStats(target);
  const diff = (x, y, k) => ((y?.[k] ?? 0) - (x?.[k] ?? 0)) * 1000 / ms;
  return {
    a, b,
    rate: diff(a.inbound, b.inbound, 'packetsReceived'),
    sentRate: diff(a.outbound, b.outbound, 'packetsSent'),
    energy: (b.inbound?.totalAudioEnergy ?? 0) - (a.inbound?.totalAudioEnergy ?? 0),
  };
}

/**
 * Share (0..1) of the remote audio's power within ±25 Hz of each of
 * @freqs, from an AnalyserNode on the call's remote stream over @ms.
 */
export function phoneSpectrum(target, freqs, ms = 500) {
  return target.evaluate(async ([fs, dur]) => {
    const stream = window.ovozPhone.phone.call.session.sessionDescriptionHandler.remoteMediaStream;
    const ctx = new AudioContext();
    await ctx.resume();
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    an.smoothingTimeConstant = 0;
    ctx.createMediaStreamSource(stream).connect(an);
    await new Promise((r) => setTimeout(r, 200));
    const bins = new Float32Array(an.frequencyBinCount);
    const power = new Float64Array(an.frequencyBinCount);
    const hz = ctx.sampleRate / an.fftSize;
    for (let k = 0; k < Math.max(1, Math.round(dur / 100)); k++) {
      an.getFloatFrequencyData(bins);
      bins.forEach((db, i) => { power[i] += Number.isFinite(db) ? 10 ** (db / 10) : 0; });
      await new Promise((r) => setTimeout(r, 100));
    }
    await ctx.close();
    let total = 0;
    for (let i = Math.ceil(100 / hz); i < power.length; i++) total += power[i];
    const share = {};
    for (const f of fs) {
      let p = 0;
      for (let i = Math.floor((f - 25) / hz); i <= Math.ceil((f + 25) / hz); i++) p += power[i] ?? 0;
      share[f] = total > 0 ? p / total : 0;
    }
    return { share, total };
  }, [freqs, ms]);
}
