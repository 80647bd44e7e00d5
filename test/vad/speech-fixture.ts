// Real speech for VAD tests: TTS utterances placed between known silences, so the truth
// (where speech is) comes from how the program was built, not from any detector.
import type { VadEvent, VadStream } from '../../src/vad/vad.js';

export const RATE = 16_000;
export const FRAME_SAMPLES = 320;
const MS = RATE / 1000;

/** The part of a clip that is speech: first to last 10 ms block louder than -45 dBFS. */
export function audibleSpan(clip: Int16Array): { startMs: number; endMs: number } {
  const block = 10 * MS;
  const limit = 32768 * 10 ** (-45 / 20);
  let first = -1;
  let last = -1;
  for (let b = 0; b * block < clip.length; b++) {
    let sum = 0;
    const end = Math.min(clip.length, (b + 1) * block);
    for (let i = b * block; i < end; i++) sum += clip[i] * clip[i];
    if (Math.sqrt(sum / (end - b * block)) > limit) {
      if (first < 0) first = b;
      last = b;
    }
  }
  if (first < 0) throw new Error('clip has no audible part');
  return { startMs: first * 10, endMs: (last + 1) * 10 };
}

export interface Program {
  pcm: Int16Array;
  /** Where each utterance's audible part lies in `pcm`. */
  truth: { startMs: number; endMs: number }[];
}

/** Concatenates silences (numbers, in ms) and utterances (clips) into one signal. */
export function program(parts: (number | Int16Array)[]): Program {
  const total = parts.reduce<number>((n, p) => n + (typeof p === 'number' ? p * MS : p.length), 0);
  const pcm = new Int16Array(total);
  const truth: Program['truth'] = [];
  let at = 0;
  for (const part of parts) {
    if (typeof part === 'number') {
      at += part * MS;
      continue;
    }
    pcm.set(part, at);
    const span = audibleSpan(part);
    truth.push({ startMs: at / MS + span.startMs, endMs: at / MS + span.endMs });
    at += part.length;
  }
  return { pcm, truth };
}

/** Deterministic Gaussian noise (xorshift + Box-Muller) with RMS at `dbfs`. */
export function noise(samples: number, dbfs: number, seed = 1): Int16Array {
  const sigma = 32768 * 10 ** (dbfs / 20);
  let x = seed >>> 0 || 1;
  const uniform = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return (x + 1) / 4294967297;
  };
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) {
    const g = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    out[i] = clamp16(Math.round(g * sigma));
  }
  return out;
}

export function tone(samples: number, hz: number, dbfs: number): Int16Array {
  // dBFS of a sine's RMS: peak is √2 above it.
  const peak = 32768 * 10 ** (dbfs / 20) * Math.SQRT2;
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = clamp16(Math.round(peak * Math.sin((2 * Math.PI * hz * i) / RATE)));
  return out;
}

export function mix(a: Int16Array, b: Int16Array): Int16Array {
  const out = new Int16Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = clamp16(a[i] + (b[i] ?? 0));
  return out;
}

export function silence(ms: number): Int16Array {
  return new Int16Array(ms * MS);
}

function clamp16(v: number): number {
  return v > 32767 ? 32767 : v < -32768 ? -32768 : v;
}

/** Pushes `pcm` in 20 ms frames (the last one may be short). */
export function pushFrames(stream: VadStream, pcm: Int16Array): void {
  for (let at = 0; at < pcm.length; at += FRAME_SAMPLES) stream.push(pcm.subarray(at, at + FRAME_SAMPLES));
}

export interface Segment {
  onsetMs: number;
  endMs: number;
  startDetectedMs: number;
  endDetectedMs: number;
}

/** Pairs speech_start/speech_end events into segments, checking they alternate. */
export function segments(events: VadEvent[]): Segment[] {
  const out: Segment[] = [];
  for (let i = 0; i < events.length; i += 2) {
    const start = events[i];
    const end = events[i + 1];
    if (start.type !== 'speech_start' || !end || end.type !== 'speech_end') {
      throw new Error(`events do not alternate start/end: ${JSON.stringify(events)}`);
    }
    out.push({ onsetMs: start.onsetMs, endMs: end.endMs, startDetectedMs: start.detectedMs, endDetectedMs: end.detectedMs });
  }
  return out;
}
