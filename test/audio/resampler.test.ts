import { describe, it, expect } from 'vitest';
import { Resampler } from '../../src/audio/resampler.js';
import { SUPPORTED_SAMPLE_RATES, concatPcm, samplesPerFrame } from '../../src/audio/pcm.js';

const RATES = [...SUPPORTED_SAMPLE_RATES];
const PAIRS = RATES.flatMap((from) => RATES.filter((to) => to !== from).map((to) => [from, to] as const));
const AMPLITUDE = 10000;

function tone(freq: number, rate: number, samples: number, amplitude = AMPLITUDE): Int16Array {
  return Int16Array.from({ length: samples }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)));
}

function rms(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i] * x[i];
  return Math.sqrt(sum / x.length);
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

/**
 * Least-squares fit of a*sin + b*cos + c at a known frequency; returns the tone's amplitude,
 * its phase, and the RMS of what the fit leaves over (noise, aliases, glitches).
 */
function fitTone(y: Int16Array, freq: number, rate: number): { amplitude: number; phase: number; residual: number } {
  const n = y.length;
  const basis = (i: number): [number, number, number] => {
    const w = (2 * Math.PI * freq * i) / rate;
    return [Math.sin(w), Math.cos(w), 1];
  };
  // Normal equations (B^T B) x = B^T y for the basis [sin, cos, 1].
  const gram = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  const rhs = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const b = basis(i);
    for (let r = 0; r < 3; r++) {
      rhs[r] += b[r] * y[i];
      for (let c = 0; c < 3; c++) gram[r][c] += b[r] * b[c];
    }
  }
  const det3 = (m: number[][]): number =>
    m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
    m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
    m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
  const d = det3(gram);
  // Cramer's rule: replace column k with the right-hand side.
  const [a, b, c] = [0, 1, 2].map((k) => det3(gram.map((row, r) => row.map((v, col) => (col === k ? rhs[r] : v)))) / d);
  const left = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const [s, co] = basis(i);
    left[i] = y[i] - (a * s + b * co + c);
  }
  return { amplitude: Math.hypot(a, b), phase: Math.atan2(b, a), residual: rms(left) };
}

/** Output with the start-up transient (one full filter length) cut off. */
function steady(r: Resampler, out: Int16Array): Int16Array {
  return out.subarray(Math.ceil(2 * r.delaySamples) + 2);
}

describe('Resampler basics', () => {
  it('passes audio through unchanged (as a copy) when the rates match', () => {
    const r = new Resampler(16000, 16000);
    const input = tone(440, 16000, 320);
    const out = r.process(input);
    expect(out).toEqual(input);
    expect(out).not.toBe(input);
    expect(r.delaySamples).toBe(0);
    expect(r.flush().length).toBe(0);
  });

  it.each(PAIRS)('turns each 20 ms frame at %i Hz into exactly one 20 ms frame at %i Hz', (from, to) => {
    const r = new Resampler(from, to);
    const lengths = new Set<number>();
    for (let i = 0; i < 5; i++) lengths.add(r.process(tone(300, from, samplesPerFrame(from))).length);
    expect([...lengths]).toEqual([samplesPerFrame(to)]);
  });

  it('rejects non-integer or non-positive rates', () => {
    expect(() => new Resampler(0, 16000)).toThrow(RangeError);
    expect(() => new Resampler(16000, 44100.5)).toThrow(RangeError);
    expect(() => new Resampler(-8000, 16000)).toThrow(RangeError);
  });

  it('rejects rate pairs whose ratio needs an enormous filter bank', () => {
    expect(() => new Resampler(44100, 44099)).toThrow(/filter phases/);
  });

  it('reports a positive group delay for converting pairs', () => {
    for (const [from, to] of PAIRS) {
      const r = new Resampler(from, to);
      expect(r.delaySamples).toBeGreaterThan(1);
      expect(r.delaySamples).toBeLessThan((2 * to) / 1000); // under 2 ms
    }
  });
});

describe('Resampler streaming', () => {
  it.each(PAIRS)('gives identical output for any chunking, %i -> %i Hz', (from, to) => {
    let seed = from + to;
    const rand = (n: number): number => {
      seed = (seed * 48271) % 2147483647;
      return seed % n;
    };
    const input = Int16Array.from({ length: from / 5 }, () => rand(40000) - 20000); // 200 ms of noise
    const whole = new Resampler(from, to).process(input);

    const chunked = new Resampler(from, to);
    const parts: Int16Array[] = [];
    let at = 0;
    while (at < input.length) {
      const n = Math.min(input.length - at, [0, 1, 2, 3, 7, 160, 441, 1000, 2500][rand(9)]);
      parts.push(chunked.process(input.subarray(at, at + n)));
      at += n;
    }
    expect(concatPcm(parts)).toEqual(whole);
  });

  it('reset forgets history, so the next output equals a fresh resampler', () => {
    const input = tone(1234, 44100, 4410);
    const fresh = new Resampler(44100, 16000).process(input);
    const used = new Resampler(44100, 16000);
    used.process(tone(500, 44100, 1000));
    used.reset();
    expect(used.process(input)).toEqual(fresh);
  });

  it('flush emits the delayed tail and leaves the resampler like new', () => {
    const r = new Resampler(48000, 16000);
    const step = new Int16Array(4800).fill(10000);
    const body = r.process(step);
    expect(body.length).toBe(1600);
    const tail = r.flush();
    // The input ended delaySamples ago in output time: the tail starts with signal, then decays.
    expect(tail.length).toBeGreaterThanOrEqual(Math.ceil(r.delaySamples));
    expect(tail.length).toBeLessThanOrEqual(Math.ceil(r.delaySamples) + 1);
    expect(Math.abs(tail[0] - 10000)).toBeLessThan(100);
    expect(Math.abs(tail[tail.length - 1])).toBeLessThan(6000);
    expect(r.process(step)).toEqual(new Resampler(48000, 16000).process(step));
  });

  it('flush on an upsampler emits about delaySamples of tail', () => {
    const r = new Resampler(8000, 48000);
    r.process(new Int16Array(800).fill(-5000));
    const tail = r.flush();
    expect(tail.length).toBeGreaterThanOrEqual(Math.ceil(r.delaySamples));
    expect(tail.length).toBeLessThanOrEqual(Math.ceil(r.delaySamples) + 6);
    expect(Math.abs(tail[0] + 5000)).toBeLessThan(50);
  });
});

describe('Resampler quality', () => {
  it.each(PAIRS)('keeps a 1 kHz tone within 0.1 dB and clean, %i -> %i Hz', (from, to) => {
    const r = new Resampler(from, to);
    const out = steady(r, r.process(tone(1000, from, from / 4)));
    const fit = fitTone(out, 1000, to);
    expect(Math.abs(db(fit.amplitude / AMPLITUDE))).toBeLessThan(0.1);
    // Whatever is not the tone (aliases, images, rounding, glitches) stays 55 dB down.
    expect(db(fit.residual / (AMPLITUDE / Math.SQRT2))).toBeLessThan(-55);
  });

  it.each(PAIRS)('delays the signal by delaySamples, %i -> %i Hz', (from, to) => {
    const r = new Resampler(from, to);
    const out = r.process(tone(500, from, from / 4));
    const skip = Math.ceil(2 * r.delaySamples) + 2;
    const fit = fitTone(out.subarray(skip), 500, to);
    // A tone delayed by d output samples has phase -2*pi*f*(skip - d)/to at the fit's origin.
    const expected = (-2 * Math.PI * 500 * (r.delaySamples - skip)) / to;
    const error = Math.atan2(Math.sin(fit.phase - expected), Math.cos(fit.phase - expected));
    expect(Math.abs(error)).toBeLessThan(0.002); // radians: well under 1 microsecond at 500 Hz
  });

  it.each(PAIRS)('has exact unity gain at DC, %i -> %i Hz', (from, to) => {
    const r = new Resampler(from, to);
    const out = steady(r, r.process(new Int16Array(from / 10).fill(-12345)));
    expect(Math.min(...out)).toBe(-12345);
    expect(Math.max(...out)).toBe(-12345);
  });

  it.each([
    [48000, 8000, 7000],
    [16000, 8000, 7000],
    [44100, 16000, 10000],
    [48000, 16000, 9000],
    [24000, 16000, 11000],
    [22050, 8000, 5000],
    [48000, 22050, 14000],
  ])('attenuates a tone above the target Nyquist by at least 50 dB, %i -> %i Hz at %i Hz', (from, to, freq) => {
    const r = new Resampler(from, to);
    const input = tone(freq, from, from / 2);
    const out = steady(r, r.process(input));
    expect(db(rms(out) / rms(input))).toBeLessThan(-50);
  });

  it('attenuates every tone in the stopband of every downsampling pair by at least 50 dB', () => {
    const worst: string[] = [];
    // Pairs like 48000 -> 44100 have no input frequencies past the stopband edge, only transition band.
    for (const [from, to] of PAIRS.filter(([f, t]) => 0.56 * t < 0.5 * f)) {
      for (let k = 0; k <= 10; k++) {
        const freq = 0.56 * to + (k / 10) * (0.5 * from - 0.56 * to - 1);
        const r = new Resampler(from, to);
        const input = tone(freq, from, from / 10);
        const attenuation = db(rms(steady(r, r.process(input))) / rms(input));
        if (attenuation > -50) worst.push(`${from}->${to} @ ${freq.toFixed(0)} Hz: ${attenuation.toFixed(1)} dB`);
      }
    }
    expect(worst).toEqual([]);
  });

  it('keeps images of an upsampled tone at least 55 dB down', () => {
    for (const to of [16000, 22050, 24000, 44100, 48000]) {
      const r = new Resampler(8000, to);
      const out = steady(r, r.process(tone(3000, 8000, 4000)));
      // 3 kHz at 8 kHz images to 5 kHz, 11 kHz, ...; anything but 3 kHz is left in the residual.
      const fit = fitTone(out, 3000, to);
      expect(db(fit.residual / fit.amplitude)).toBeLessThan(-55);
    }
  });

  it.each([
    [48000, 16000],
    [16000, 44100],
  ])('saturates overshoot at full scale instead of wrapping, %i -> %i Hz', (from, to) => {
    // A full-scale square wave rings past full scale after filtering (Gibbs); it must clip.
    const period = from / 100;
    const square = Int16Array.from({ length: from / 10 }, (_, i) => (Math.floor((2 * i) / period) % 2 ? -32768 : 32767));
    const r = new Resampler(from, to);
    const out = r.process(square);
    let wrapped = 0;
    // Compare each output with the input it stands for, except within 2 output samples of an edge
    // (the overshoot peaks just outside that, so a wrapped peak would be caught).
    const edgeZone = (2 * from) / to;
    for (let m = Math.ceil(2 * r.delaySamples); m < out.length; m++) {
      const at = ((m - r.delaySamples) * from) / to;
      const fromEdge = at % (period / 2);
      if (fromEdge < edgeZone || period / 2 - fromEdge < edgeZone) continue;
      if (Math.sign(out[m]) !== Math.sign(square[Math.round(at)])) wrapped++;
    }
    expect(wrapped).toBe(0);
    expect(Math.max(...out)).toBe(32767);
    expect(Math.min(...out)).toBe(-32768);
  });
});
