// Did a recording carry the speech that was sent? Compares loudness envelopes in 20 ms frames:
// where the speech starts and ends, how well the loud/quiet pattern matches once aligned at the
// onset, and how loud the recording is after the speech. Codecs (G.711), jitter buffers and
// packet timing change the samples, never this pattern, so it tells "heard this sentence" from
// "heard some other sound" without needing speech recognition.
import { readFileSync } from 'node:fs';
import { frameDbfs } from '../../src/audio/energy-meter.js';
import { readWav, toMono } from '../../src/audio/wav.js';

export const FRAME_MS = 20;
/** Frames louder than this count as speech. */
export const LOUD_DBFS = -35;
/** Frame levels are clamped here so runs of digital silence compare as equal. */
const FLOOR_DBFS = -70;

/** dBFS of each whole 20 ms frame of a WAV file (mixed to mono). */
export function frameLevels(wavPath: string): number[] {
  const wav = readWav(readFileSync(wavPath));
  const mono = toMono(wav.samples, wav.channels);
  const frame = (wav.sampleRate * FRAME_MS) / 1000;
  const levels: number[] = [];
  for (let at = 0; at + frame <= mono.length; at += frame) levels.push(frameDbfs(mono.subarray(at, at + frame)));
  return levels;
}

/** Index of the first and last frame louder than LOUD_DBFS; -1 for both when none is. */
export function loudSpan(levels: readonly number[]): { first: number; last: number } {
  const first = levels.findIndex((db) => db > LOUD_DBFS);
  if (first < 0) return { first: -1, last: -1 };
  let last = levels.length - 1;
  while (levels[last] <= LOUD_DBFS) last--;
  return { first, last };
}

/** Pearson correlation of two equal-length series (NaN when either is constant). */
export function correlation(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (a[i] - ma) * (b[i] - mb);
    da += (a[i] - ma) ** 2;
    db += (b[i] - mb) ** 2;
  }
  return num / Math.sqrt(da * db);
}

export interface SpeechComparison {
  /** Length of the loud part of the sent file and of the recording, in ms (-20 when silent). */
  sentSpeechMs: number;
  heardSpeechMs: number;
  /** Where the recording's speech starts, in ms from its beginning (-20 when silent). */
  heardOnsetMs: number;
  /** Correlation of the two envelopes over the sent speech, aligned at their onsets. */
  envelopeCorrelation: number;
  /** Loudest frame of the recording from `settleMs` after its speech ended (-Infinity if none). */
  maxDbfsAfterSpeech: number;
}

/**
 * Compares a recording with the file that was sent. When the sender looped the file,
 * heardSpeechMs spans every repetition; envelopeCorrelation still compares the first.
 */
export function compareSpeech(heardWav: string, sentWav: string, settleMs = 500): SpeechComparison {
  const sent = frameLevels(sentWav);
  const heard = frameLevels(heardWav);
  const s = loudSpan(sent);
  const h = loudSpan(heard);
  const clamp = (db: number): number => Math.max(db, FLOOR_DBFS);
  const sentEnv = s.first < 0 ? [] : sent.slice(s.first, s.last + 1).map(clamp);
  const heardEnv = h.first < 0 ? [] : heard.slice(h.first, h.first + sentEnv.length).map(clamp);
  while (heardEnv.length < sentEnv.length) heardEnv.push(FLOOR_DBFS);
  const after = h.last < 0 ? [] : heard.slice(h.last + 1 + settleMs / FRAME_MS);
  return {
    sentSpeechMs: (s.last - s.first + 1) * FRAME_MS,
    heardSpeechMs: (h.last - h.first + 1) * FRAME_MS,
    heardOnsetMs: h.first * FRAME_MS,
    envelopeCorrelation: sentEnv.length > 0 ? correlation(sentEnv, heardEnv) : Number.NaN,
    maxDbfsAfterSpeech: after.length > 0 ? Math.max(...after) : Number.NEGATIVE_INFINITY,
  };
}
