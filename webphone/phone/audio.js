// Sound around the call: a ringtone made with WebAudio (no file), the
// choice of microphone and speaker, and a microphone level meter.

let ctx = null;
function audioContext() {
  ctx ??= new AudioContext();
  if (ctx.state === 'suspended') ctx.resume().catch(() => {});
  return ctx;
}

/** Ring (440+480 Hz, 2 s on, 4 s off) until the returned stop() is called. */
export function ring() {
  const ac = audioContext();
  const gain = ac.createGain();
  gain.gain.value = 0;
  gain.connect(ac.destination);
  const oscs = [440, 480].map((f) => {
    const o = ac.createOscillator();
    o.frequency.value = f;
    o.connect(gain);
    o.start();
    return o;
  });
  const burst = () => {
    const t = ac.currentTime;
    gain.gain.setValueAtTime(0.15, t);
    gain.gain.setValueAtTime(0, t + 2);
  };
  burst();
  const timer = setInterval(burst, 6000);
  return () => {
    clearInterval(timer);
    for (const o of oscs) o.stop();
    gain.disconnect();
  };
}

/** Fill @micSel and @spkSel with the devices; keep @cur selections. */
export async function listDevices(micSel, spkSel, cur, defaultLabel) {
  if (!navigator.mediaDevices?.enumerateDevices) return;
  const devs = await navigator.mediaDevices.enumerateDevices();
  const fill = (sel, kind, value) => {
    sel.replaceChildren(new Option(defaultLabel, ''));
    devs.filter((d) => d.kind === kind && d.deviceId && d.deviceId !== 'default')
      .forEach((d, i) => sel.add(new Option(d.label || `${kind} ${i + 1}`, d.deviceId)));
    sel.value = [...sel.options].some((o) => o.value === value) ? value : '';
  };
  fill(micSel, 'audioinput', cur.mic);
  fill(spkSel, 'audiooutput', cur.speaker);
}

/** Play @audio on the output @sinkId where the browser allows it. */
export async function setSpeaker(audio, sinkId) {
  if (typeof audio.setSinkId !== 'function') return false;
  await audio.setSinkId(sinkId).catch(() => {});
  return true;
}

/**
 * Show the level of @stream on the <meter> @meter until stop() is called.
 * The stream's tracks are not stopped (the caller owns them).
 */
export function meter(stream, meterEl) {
  const ac = audioContext();
  const src = ac.createMediaStreamSource(stream);
  const an = ac.createAnalyser();
  an.fftSize = 512;
  src.connect(an);
  const buf = new Float32Array(an.fftSize);
  let raf = 0;
  const draw = () => {
    an.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const v of buf) sum += v * v;
    meterEl.value = Math.min(1, Math.sqrt(sum / buf.length) * 4);
    raf = requestAnimationFrame(draw);
  };
  draw();
  return () => {
    cancelAnimationFrame(raf);
    src.disconnect();
    meterEl.value = 0;
  };
}
