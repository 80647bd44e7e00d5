// Resampler cost per 20 ms frame, for the conversions calls actually make (browser 48k/44.1k in,
// telephony 8k, TTS 24k out). Prints nothing itself; bench/run.ts reports the figures.
import { Resampler } from '../src/audio/resampler.js';
import { samplesPerFrame } from '../src/audio/pcm.js';

const PAIRS: ReadonlyArray<readonly [number, number]> = [
  [48000, 16000],
  [16000, 48000],
  [8000, 16000],
  [16000, 24000],
  [44100, 16000],
];
const WARMUP_FRAMES = 2000;
const FRAMES_PER_RUN = 2000;
const RUNS = 9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Speech-like input: a few partials with slowly varying level, so no path is trivially cheap. */
function testFrames(rate: number, count: number): Int16Array[] {
  const n = samplesPerFrame(rate);
  return Array.from({ length: count }, (_, f) =>
    Int16Array.from({ length: n }, (_, i) => {
      const t = (f * n + i) / rate;
      const level = 6000 + 4000 * Math.sin(2 * Math.PI * 3 * t);
      return Math.round(level * (Math.sin(2 * Math.PI * 220 * t) + 0.5 * Math.sin(2 * Math.PI * 1330 * t)));
    }),
  );
}

function nsPerFrame(from: number, to: number): number {
  const frames = testFrames(from, 50);
  const resampler = new Resampler(from, to);
  let sink = 0;
  for (let i = 0; i < WARMUP_FRAMES; i++) sink += resampler.process(frames[i % frames.length]).length;
  const runs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < FRAMES_PER_RUN; i++) sink += resampler.process(frames[i % frames.length]).length;
    runs.push(Number(process.hrtime.bigint() - start) / FRAMES_PER_RUN);
  }
  if (sink === 0) throw new Error('resampler produced no output');
  return median(runs);
}

/** Median nanoseconds to resample one 20 ms frame, keyed like `resample_48000_to_16000_ns_per_frame`. */
export async function benchResampler(): Promise<Record<string, number>> {
  const results: Record<string, number> = {};
  for (const [from, to] of PAIRS) {
    results[`resample_${from}_to_${to}_ns_per_frame`] = Math.round(nsPerFrame(from, to));
    // Let other work (and GC) run between pairs so one pair's garbage is not billed to the next.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return results;
}
