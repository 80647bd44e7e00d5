// PCM16 mono is Parley's one internal audio format; these helpers convert at the edges.

export const FRAME_MS = 20;
export const DEFAULT_SAMPLE_RATE = 16000;
export const SUPPORTED_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;
export type SupportedSampleRate = (typeof SUPPORTED_SAMPLE_RATES)[number];

/** Raised when bytes cannot be PCM16 (or another expected audio layout). */
export class AudioFormatError extends Error {
  override readonly name = 'AudioFormatError';
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export function isSupportedSampleRate(rate: number): rate is SupportedSampleRate {
  return (SUPPORTED_SAMPLE_RATES as readonly number[]).includes(rate);
}

/** Samples in one 20 ms frame; every supported rate is a multiple of 50 Hz, so this is exact. */
export function samplesPerFrame(rate: number): number {
  const n = (rate * FRAME_MS) / 1000;
  if (!Number.isInteger(n) || n <= 0) {
    throw new RangeError(`sample rate ${rate} Hz has no whole number of samples in ${FRAME_MS} ms`);
  }
  return n;
}

export function samplesToMs(samples: number, rate: number): number {
  return (samples * 1000) / rate;
}

export function msToSamples(ms: number, rate: number): number {
  return Math.round((ms * rate) / 1000);
}

/**
 * Little-endian PCM16 bytes to samples. Returns a view sharing the bytes' memory when it can
 * (little-endian host, 2-byte aligned offset); otherwise a copy, since Int16Array cannot be odd-aligned.
 */
export function pcm16FromBytes(bytes: Uint8Array): Int16Array {
  if (bytes.byteLength % 2 !== 0) {
    throw new AudioFormatError(`PCM16 needs an even number of bytes, got ${bytes.byteLength}`);
  }
  const count = bytes.byteLength / 2;
  if (HOST_IS_LITTLE_ENDIAN && bytes.byteOffset % 2 === 0) {
    return new Int16Array(bytes.buffer, bytes.byteOffset, count);
  }
  const out = new Int16Array(count);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
  }
  return out;
}

/** Samples to little-endian PCM16 bytes; shares the samples' memory on little-endian hosts. */
export function pcm16ToBytes(samples: Int16Array): Buffer {
  if (HOST_IS_LITTLE_ENDIAN) {
    return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  }
  const out = Buffer.allocUnsafe(samples.byteLength);
  for (let i = 0; i < samples.length; i++) out.writeInt16LE(samples[i], i * 2);
  return out;
}

export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Scales by 1/32768 so that float32ToInt16 inverts it exactly. */
export function int16ToFloat32(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i] / 32768;
  return out;
}

/** Rounds and clamps to the int16 range, so out-of-range floats saturate instead of wrapping. */
export function float32ToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = clampToInt16(samples[i] * 32768);
  return out;
}

/** Nearest int16 to x; NaN becomes 0. */
export function clampToInt16(x: number): number {
  const r = Math.round(x);
  if (r > 32767) return 32767;
  if (r < -32768) return -32768;
  return r || 0;
}
