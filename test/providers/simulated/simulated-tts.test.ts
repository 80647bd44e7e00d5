import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { SimulatedStt } from '../../../src/providers/simulated/simulated-stt.js';
import { SimulatedTts } from '../../../src/providers/simulated/simulated-tts.js';
import { AbortedError, type SttEvent, type TtsAudio, type WordTiming } from '../../../src/providers/types.js';
import { consume, runClock } from './clock-driver.js';

const TEXT = 'Hello there, how are you doing today?';
const TTFB = 200;
const RTF = 5;

function setup(options: { msPerChar?: number; chunkMs?: number } = {}) {
  const clock = new VirtualClock(500);
  const tts = new SimulatedTts({ clock, ttfbMs: TTFB, realtimeFactor: RTF, ...options });
  return { clock, tts };
}

async function synthesizeAll(text: string, sampleRate: number, voice?: string) {
  const { clock, tts } = setup();
  const c = consume(tts.synthesize({ text, sampleRate, voice, signal: new AbortController().signal }), clock);
  await runClock(clock, 10_000, () => c.state.done);
  expect(c.state.error).toBeUndefined();
  return c.items;
}

function concat(chunks: TtsAudio[]): Int16Array {
  const out = new Int16Array(chunks.reduce((n, c) => n + c.samples.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c.samples, at);
    at += c.samples.length;
  }
  return out;
}

const rmsDbfs = (x: Int16Array) => {
  let sum = 0;
  for (const s of x) sum += s * s;
  return 20 * Math.log10(Math.sqrt(sum / x.length) / 32768);
};

/** Hann-windowed DFT power per bin (bins 0..n/2). */
function powerSpectrum(x: Int16Array): Float64Array {
  const n = x.length;
  const power = new Float64Array(n / 2 + 1);
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      const w = (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1))) * x[i];
      re += w * Math.cos((2 * Math.PI * k * i) / n);
      im -= w * Math.sin((2 * Math.PI * k * i) / n);
    }
    power[k] = re * re + im * im;
  }
  return power;
}

/** Fundamental by autocorrelation over 70–400 Hz: the shortest lag nearly as strong as the best one. */
function pitchHz(x: Int16Array, sampleRate: number): number {
  const minLag = Math.floor(sampleRate / 400);
  const maxLag = Math.ceil(sampleRate / 70);
  const r = new Float64Array(maxLag + 2);
  for (let lag = minLag; lag <= maxLag + 1; lag++) {
    for (let i = 0; i + lag < x.length; i++) r[lag] += x[i] * x[i + lag];
    r[lag] /= x.length - lag;
  }
  const best = Math.max(...r.subarray(minLag, maxLag + 1));
  for (let lag = minLag + 1; lag <= maxLag; lag++) {
    if (r[lag] >= 0.85 * best && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]) {
      // Parabolic interpolation for sub-sample resolution.
      const shift = (0.5 * (r[lag - 1] - r[lag + 1])) / (r[lag - 1] - 2 * r[lag] + r[lag + 1]);
      return sampleRate / (lag + shift);
    }
  }
  return NaN;
}

const wordsOf = (items: { value: TtsAudio }[]): WordTiming[] => items.flatMap((i) => i.value.words ?? []);

describe('SimulatedTts', () => {
  it('sends the first chunk after ttfbMs and later ones paced by the realtime factor', async () => {
    const items = await synthesizeAll(TEXT, 16000);
    // 40 ms chunks produced 5x faster than real time: one every 8 ms.
    expect(items.map((i) => i.at)).toEqual(items.map((_, k) => 500 + TTFB + 8 * k));
  });

  it('produces msPerChar of audio per character, in chunkMs chunks at the requested rate', async () => {
    for (const rate of [16000, 8000, 24000]) {
      const items = await synthesizeAll(TEXT, rate);
      const total = Math.round((TEXT.length * 60 * rate) / 1000);
      const chunk = (40 * rate) / 1000;
      expect(concat(items.map((i) => i.value)).length).toBe(total);
      expect(items.length).toBe(Math.ceil(total / chunk));
      items.slice(0, -1).forEach((i) => expect(i.value.samples.length).toBe(chunk));
    }
  });

  it('follows msPerChar and chunkMs options', async () => {
    const { clock, tts } = setup({ msPerChar: 80, chunkMs: 20 });
    const c = consume(tts.synthesize({ text: 'abc de', sampleRate: 16000, signal: new AbortController().signal }), clock);
    await runClock(clock, 1000, () => c.state.done);
    expect(concat(c.items.map((i) => i.value)).length).toBe(6 * 80 * 16);
    expect(c.items.length).toBe(24);
    expect(c.items[1].at - c.items[0].at).toBe(4);
  });

  it('gives word timings, monotonic, each on the chunk where the word starts', async () => {
    const items = await synthesizeAll(TEXT, 16000);
    const words = wordsOf(items);
    expect(words.map((w) => w.word)).toEqual(TEXT.split(' '));
    let charIndex = 0;
    words.forEach((w, k) => {
      expect(w.startMs).toBeCloseTo(charIndex * 60, 9);
      expect(w.endMs).toBeCloseTo((charIndex + w.word.length) * 60, 9);
      if (k > 0) expect(w.startMs).toBeGreaterThan(words[k - 1].endMs);
      charIndex += w.word.length + 1;
    });
    let chunkStartMs = 0;
    for (const { value } of items) {
      const chunkEndMs = chunkStartMs + value.samples.length / 16;
      for (const w of value.words ?? []) {
        expect(w.startMs).toBeGreaterThanOrEqual(chunkStartMs);
        expect(w.startMs).toBeLessThan(chunkEndMs);
      }
      chunkStartMs = chunkEndMs;
    }
  });

  it('is voiced at about -20 dBFS inside words and silent between them', async () => {
    const items = await synthesizeAll(TEXT, 16000);
    const audio = concat(items.map((i) => i.value));
    const words = wordsOf(items);
    for (const w of words) {
      const voiced = audio.subarray(w.startMs * 16, w.endMs * 16);
      expect(Math.abs(rmsDbfs(voiced) + 20)).toBeLessThan(2);
      // Words fade in and out instead of clicking on and off.
      const peakOf = (x: Int16Array) => x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(peakOf(voiced.subarray(0, 32))).toBeLessThan(0.1 * peakOf(voiced));
      expect(peakOf(voiced.subarray(voiced.length - 32))).toBeLessThan(0.1 * peakOf(voiced));
    }
    for (let k = 1; k < words.length; k++) {
      const gap = audio.subarray(words[k - 1].endMs * 16, words[k].startMs * 16);
      expect(gap.length).toBe(60 * 16);
      expect(gap.every((s) => s === 0)).toBe(true);
    }
  });

  it('is band-limited, with harmonics over a moving pitch', async () => {
    for (const rate of [16000, 8000]) {
      const items = await synthesizeAll('wonderful', rate);
      const audio = concat(items.map((i) => i.value));
      const perMs = rate / 1000;
      const n = 1024;
      const middle = audio.subarray(Math.round(270 * perMs) - n / 2, Math.round(270 * perMs) + n / 2);
      const power = powerSpectrum(middle);
      const hzPerBin = rate / n;
      const total = power.reduce((a, b) => a + b, 0);
      const above = power.slice(Math.ceil(2000 / hzPerBin)).reduce((a, b) => a + b, 0);
      expect(above / total).toBeLessThan(1e-6);

      // Not a pure tone: the second harmonic carries real energy next to the fundamental.
      const f0 = pitchHz(middle, rate);
      const band = (hz: number) => {
        const k = Math.round(hz / hzPerBin);
        return power[k - 1] + power[k] + power[k + 1];
      };
      expect(f0).toBeGreaterThan(90);
      expect(f0).toBeLessThan(200);
      expect(band(2 * f0) / band(f0)).toBeGreaterThan(0.2);
      expect((band(f0) + band(2 * f0)) / total).toBeGreaterThan(0.5);

      // The pitch rises from the start of the word to its middle.
      const early = audio.subarray(Math.round(40 * perMs), Math.round(90 * perMs));
      expect(pitchHz(middle, rate)).toBeGreaterThan(pitchHz(early, rate) * 1.02);
    }
  });

  it('is deterministic for a text and differs between texts and voices', async () => {
    const a = concat((await synthesizeAll(TEXT, 16000)).map((i) => i.value));
    const b = concat((await synthesizeAll(TEXT, 16000)).map((i) => i.value));
    const other = concat((await synthesizeAll(TEXT.replace('Hello', 'Howdy'), 16000)).map((i) => i.value));
    const voiced = concat((await synthesizeAll(TEXT, 16000, 'alice')).map((i) => i.value));
    expect(b).toEqual(a);
    expect(other.length).toBe(a.length);
    expect(other).not.toEqual(a);
    expect(voiced).not.toEqual(a);
  });

  it('is heard as a single speech segment by the simulated STT', async () => {
    const audio = concat((await synthesizeAll(TEXT, 16000)).map((i) => i.value));
    const clock = new VirtualClock();
    const events: SttEvent[] = [];
    const stream = new SimulatedStt({ clock, script: ['heard'], finalDelayMs: 0 }).open({
      sampleRate: 16000,
      signal: new AbortController().signal,
      onEvent: (e) => events.push(e),
    });
    stream.write(audio);
    stream.write(new Int16Array(16000));
    clock.advance(0);
    const finals = events.filter((e) => e.type === 'final');
    expect(finals).toMatchObject([{ text: 'heard', startMs: 0, endMs: TEXT.length * 60 }]);
  });

  it('ends without audio for blank text', async () => {
    const items = await synthesizeAll('  \n ', 16000);
    expect(items).toEqual([]);
  });

  it('stops at once on abort mid-stream and throws AbortedError', async () => {
    const { clock, tts } = setup();
    const controller = new AbortController();
    const c = consume(tts.synthesize({ text: TEXT, sampleRate: 16000, signal: controller.signal }), clock);
    await runClock(clock, 5000, () => c.items.length === 3);
    controller.abort();
    await runClock(clock, 5000);
    expect(c.items.length).toBe(3);
    expect(c.state.error).toBeInstanceOf(AbortedError);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('an abort right after a chunk fell due still wins over that chunk', async () => {
    const { clock, tts } = setup();
    const controller = new AbortController();
    const c = consume(tts.synthesize({ text: TEXT, sampleRate: 16000, signal: controller.signal }), clock);
    await runClock(clock, TTFB);
    expect(c.items.length).toBe(1);
    clock.advance(8); // the second chunk's timer fires here
    controller.abort(); // before the generator gets to run
    await runClock(clock, 100);
    expect(c.items.length).toBe(1);
    expect(c.state.error).toBeInstanceOf(AbortedError);
  });

  it('aborting before the first byte yields nothing', async () => {
    const { clock, tts } = setup();
    const controller = new AbortController();
    const c = consume(tts.synthesize({ text: TEXT, sampleRate: 16000, signal: controller.signal }), clock);
    await runClock(clock, TTFB - 1);
    controller.abort();
    await runClock(clock, 5000);
    expect(c.items).toEqual([]);
    expect(c.state.error).toBeInstanceOf(AbortedError);
  });

  it('rejects impossible options and sample rates', () => {
    const clock = new VirtualClock();
    expect(() => new SimulatedTts({ clock, ttfbMs: 0, realtimeFactor: 0 })).toThrow(RangeError);
    expect(() => new SimulatedTts({ clock, ttfbMs: -5, realtimeFactor: 1 })).toThrow(RangeError);
    expect(() => new SimulatedTts({ clock, ttfbMs: 0, realtimeFactor: 1, chunkMs: 0 })).toThrow(RangeError);
    const tts = new SimulatedTts({ clock, ttfbMs: 0, realtimeFactor: 1 });
    expect(() => tts.synthesize({ text: 'x', sampleRate: 0, signal: new AbortController().signal })).toThrow(RangeError);
  });
});
