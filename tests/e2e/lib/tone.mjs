// Test tones and a tone detector. writeTone() writes a sine as a PCM
// S16LE WAV (Chromium's fake capture wants 48 kHz mono; baresip's aufile
// source wants the codec's rate, 8 kHz mono for PCMU). toneShare() reads a
// WAV and tells which share of its energy sits at one frequency (a
// Goertzel filter per block), so a test can check that a recording holds
// the other side's tone and not its own.
import { writeFileSync, readFileSync } from 'node:fs';

/** Write @seconds of a @freq Hz sine at @rate Hz (mono) to @file. */
export function writeTone(file, { freq, rate = 48000, seconds = 20, amplitude = 0.5 } = {}) {
  const n = Math.round(rate * seconds);
  const buf = Buffer.alloc(44 + n * 2);
  buf.write('RIFF', 0); buf.writeUInt32LE(36 + n * 2, 4); buf.write('WAVE', 8);
  buf.write('fmt ', 12); buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20);            // PCM
  buf.writeUInt16LE(1, 22);            // mono
  buf.writeUInt32LE(rate, 24); buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32); buf.writeUInt16LE(16, 34);
  buf.write('data', 36); buf.writeUInt32LE(n * 2, 40);
  const a = Math.round(amplitude * 32767);
  for (let i = 0; i < n; i++)
    buf.writeInt16LE(freq ? Math.round(a * Math.sin(2 * Math.PI * freq * i / rate)) : 0, 44 + i * 2);
  writeFileSync(file, buf);
  return file;
}

/** { rate, channels, samples: Float64Array (first channel, -1..1) } of a 16-bit PCM WAV. */
export function readWav(file) {
  const b = readFileSync(file);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not a WAV file`);
  let fmt = null;
  for (let off = 12; off + 8 <= b.length;) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      fmt = { format: b.readUInt16LE(body), channels: b.readUInt16LE(body + 2),
        rate: b.readUInt32LE(body + 4), bits: b.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt || fmt.bits !== 16 || (fmt.format !== 1 && fmt.format !== 0xfffe))
        throw new Error(`${file}: not 16-bit PCM (${JSON.stringify(fmt)})`);
      // A writer killed mid-call leaves size 0 or 0xffffffff: take what is there.
      if (size === 0 || body + size > b.length) size = b.length - body;
      const frame = 2 * fmt.channels;
      const n = Math.floor(size / frame);
      const samples = new Float64Array(n);
      for (let i = 0; i < n; i++) samples[i] = b.readInt16LE(body + i * frame) / 32768;
      return { rate: fmt.rate, channels: fmt.channels, samples };
    }
    off = body + size + (size & 1);
  }
  throw new Error(`${file}: no data chunk`);
}

/**
 * Share (0..1) of the energy of @samples (at @rate Hz) that lies at @freq
 * Hz, measured with a Goertzel filter over @blockMs blocks. A clean sine
 * at @freq gives about 1, silence or another tone about 0.
 */
export function goertzelShare(samples, rate, freq, blockMs = 100) {
  const n = Math.max(1, Math.round(rate * blockMs / 1000));
  const w = 2 * Math.PI * freq / rate;
  const coeff = 2 * Math.cos(w);
  let tone = 0;
  let total = 0;
  for (let start = 0; start + n <= samples.length; start += n) {
    let s1 = 0, s2 = 0, e = 0;
    for (let i = start; i < start + n; i++) {
      const x = samples[i];
      const s0 = x + coeff * s1 - s2;
      s2 = s1; s1 = s0;
      e += x * x;
    }
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2; // |X(freq)|^2
    tone += 2 * power / n;  // a sine of amplitude A: A^2 n / 2, like e
    total += e;
  }
  return total > 0 ? Math.min(1, tone / total) : 0;
}

/** RMS (0..1) of @samples. */
export function rms(samples) {
  let e = 0;
  for (const x of samples) e += x * x;
  return samples.length ? Math.sqrt(e / samples.length) : 0;
}

/**
 * Analyse the WAV @file: { rate, seconds, rms, share: { [freq]: 0..1 } }
 * for each frequency in @freqs.
 */
export function toneShare(file, freqs) {
  const { rate, samples } = readWav(file);
  const share = {};
  for (const f of freqs) share[f] = goertzelShare(samples, rate, f);
  return { rate, seconds: samples.length / rate, rms: rms(samples), share };
}
