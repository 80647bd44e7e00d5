// The booking-dialogue utterances the pocketsphinx accuracy tests speak (flite, kal16 voice), and
// the run that streams them through a provider the way a session does: the caller's audio, a
// short pause, then finalize() at the end of the turn.
import { expect } from 'vitest';
import type { SttEvent, SttProvider, WordTiming } from '../../../src/providers/types.js';
import { silence, speak } from '../../helpers/speech.js';
import { BOOKING_UTTERANCES } from '../../helpers/booking-utterances.js';
import { normalizeWords, wordEditDistance, wordErrorRate } from '../../helpers/wer.js';

export const UTTERANCES: readonly string[] = BOOKING_UTTERANCES;

export const RATE = 16000;
export const PAUSE_MS = 300;

export type Clip = { text: string; samples: Int16Array; startMs: number; endMs: number };
export type Run = { name: string; pairs: { reference: string; hypothesis: string }[]; words: WordTiming[][]; finalizeLatencyMs: number[] };

/** The utterances as speech, laid end to end with PAUSE_MS between them (stream times). */
export function speakCorpus(): Clip[] {
  let at = 0;
  return UTTERANCES.map((text) => {
    const samples = speak(text, 'flite', RATE);
    const clip = { text, samples, startMs: at, endMs: at + (samples.length * 1000) / RATE };
    at = clip.endMs + PAUSE_MS;
    return clip;
  });
}

/**
 * Streams every clip (faster than real time: the decoder keeps its own pace behind the pipe),
 * a pause, then finalize(); the next clip goes only after the final, so each final belongs to
 * one clip. The finalize latency therefore includes decoding whatever audio was still queued.
 */
export async function transcribe(name: string, provider: SttProvider, clips: readonly Clip[]): Promise<Run> {
  const finals: Extract<SttEvent, { type: 'final' }>[] = [];
  const errors: SttEvent[] = [];
  let wake: (() => void) | null = null;
  const stream = provider.open({
    sampleRate: RATE,
    signal: new AbortController().signal,
    onEvent: (event) => {
      if (event.type === 'final') finals.push(event);
      else if (event.type === 'error') errors.push(event);
      wake?.();
    },
  });
  const run: Run = { name, pairs: [], words: [], finalizeLatencyMs: [] };
  try {
    for (const clip of clips) {
      const before = finals.length;
      for (let i = 0; i < clip.samples.length; i += 320) stream.write(clip.samples.subarray(i, i + 320));
      stream.write(silence(PAUSE_MS, RATE));
      const finalizedAt = performance.now();
      stream.finalize();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name}: no final for "${clip.text}"`)), 10_000);
        wake = () => {
          if (finals.length > before || errors.length > 0) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      wake = null;
      expect(errors).toEqual([]);
      run.finalizeLatencyMs.push(performance.now() - finalizedAt);
      // A pause inside the clip may have split it into two finals, the first already out.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const mine = finals.slice(before);
      run.pairs.push({ reference: clip.text, hypothesis: mine.map((f) => f.text).join(' ') });
      run.words.push(mine.flatMap((f) => f.words ?? []));
    }
  } finally {
    stream.close();
  }
  return run;
}

export function percent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** Prints the run's WER, finalize latency and every wrong utterance; returns the WER. */
export function report(run: Run): number {
  const { wer, errors, referenceWords } = wordErrorRate(run.pairs);
  const latency = [...run.finalizeLatencyMs].sort((a, b) => a - b);
  console.log(`pocketsphinx ${run.name}: WER ${percent(wer)} (${errors}/${referenceWords} words), finalize->final p50 ${latency[Math.floor(latency.length / 2)].toFixed(0)} ms, max ${latency[latency.length - 1].toFixed(0)} ms`);
  for (const pair of run.pairs) {
    const distance = wordEditDistance(normalizeWords(pair.reference), normalizeWords(pair.hypothesis));
    if (distance > 0) console.log(`  ${distance} error(s): "${pair.reference}" -> "${pair.hypothesis}"`);
  }
  return wer;
}

/** Word timings in order, each inside its own clip (flite pads its clips with silence). */
export function expectTimingsInsideClips(run: Run, clips: readonly Clip[]): void {
  run.words.forEach((words, i) => {
    let previousEnd = -Infinity;
    for (const w of words) {
      expect(w.endMs).toBeGreaterThan(w.startMs);
      expect(w.startMs).toBeGreaterThanOrEqual(previousEnd);
      expect(w.startMs).toBeGreaterThanOrEqual(clips[i].startMs);
      expect(w.endMs).toBeLessThanOrEqual(clips[i].endMs + PAUSE_MS);
      previousEnd = w.endMs;
    }
  });
}
