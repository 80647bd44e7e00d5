import { describe, expect, it } from 'vitest';
import { ReplayTts } from '../../../bench/lib/replay-tts.js';
import { VirtualClock } from '../../../src/clock.js';
import { SimulatedTts } from '../../../src/providers/simulated/index.js';
import { AbortedError, type TtsProvider } from '../../../src/providers/types.js';

const TIMING = { ttfbMs: 120, realtimeFactor: 4 };
const TEXT = 'You said: "Hello there". That is interesting.';

/** Runs one synthesis to the end on a virtual clock; returns each chunk with the clock time it came out. */
async function collect(tts: TtsProvider, clock: VirtualClock, signal = new AbortController().signal) {
  const out: { at: number; samples: Int16Array; words: string[] }[] = [];
  let done = false;
  let failure: unknown = null;
  const run = (async () => {
    try {
      for await (const a of tts.synthesize({ text: TEXT, sampleRate: 16000, signal })) {
        out.push({ at: clock.now(), samples: a.samples, words: (a.words ?? []).map((w) => `${w.word}@${w.startMs}`) });
      }
    } catch (err) {
      failure = err;
    } finally {
      done = true;
    }
  })();
  for (let i = 0; i < 5000 && !done; i++) {
    await new Promise((r) => setImmediate(r));
    clock.advance(1);
  }
  await run;
  return { out, failure };
}

describe('ReplayTts', () => {
  it('gives the simulated TTS audio, word timings and schedule, rendering each text once', async () => {
    const simClock = new VirtualClock();
    const expected = await collect(new SimulatedTts({ clock: simClock, ...TIMING }), simClock);
    const clock = new VirtualClock();
    const replay = new ReplayTts(clock, TIMING);
    for (let round = 0; round < 2; round++) {
      const start = clock.now();
      const got = await collect(replay, clock);
      expect(got.failure).toBeNull();
      expect(got.out.length).toBe(expected.out.length);
      expect(got.out.map((c) => c.at - start)).toEqual(expected.out.map((c) => c.at));
      expect(got.out.map((c) => Array.from(c.samples))).toEqual(expected.out.map((c) => Array.from(c.samples)));
      expect(got.out.flatMap((c) => c.words)).toEqual(expected.out.flatMap((c) => c.words));
    }
    expect(expected.out[0].at).toBe(120);
    expect(replay.requests).toBe(2);
    expect(replay.renders).toBe(1);
  });

  it('stops with AbortedError when the request is aborted', async () => {
    const clock = new VirtualClock();
    const replay = new ReplayTts(clock, TIMING);
    const abort = new AbortController();
    clock.setTimeout(() => abort.abort(), 200);
    const got = await collect(replay, clock, abort.signal);
    expect(got.failure).toBeInstanceOf(AbortedError);
    // Chunks due before the abort (120 ms, then every 10 ms of clock) came out; none after.
    expect(got.out.length).toBeGreaterThan(0);
    expect(got.out.every((c) => c.at < 200)).toBe(true);
  });
});
