import { describe, expect, it } from 'vitest';
import { LatenessHistogram, quantileSorted, round, summarize } from '../../../bench/lib/stats.js';

describe('bench stats', () => {
  it('takes nearest-rank quantiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantileSorted(values, 0.5)).toBe(50);
    expect(quantileSorted(values, 0.95)).toBe(95);
    expect(quantileSorted(values, 0.99)).toBe(99);
    expect(quantileSorted(values, 1)).toBe(100);
    expect(quantileSorted([7], 0.99)).toBe(7);
    expect(quantileSorted([], 0.5)).toBeNaN();
  });

  it('summarizes unsorted values and skips non-finite ones', () => {
    const s = summarize([5, 1, Number.NaN, 3, Infinity, 2, 4]);
    expect(s).toEqual({ n: 5, p50: 3, p95: 5, p99: 5, min: 1, max: 5, mean: 3 });
    expect(summarize([]).n).toBe(0);
  });

  it('rounds by magnitude', () => {
    expect(round(1.23456)).toBe(1.23);
    expect(round(123.456)).toBe(123.5);
    expect(round(12345.6)).toBe(12346);
  });

  it('histogram quantiles land on 0.1 ms buckets, clamp negatives and keep the true max', () => {
    const h = new LatenessHistogram();
    for (let i = 0; i < 100; i++) h.record(i);
    h.record(-3);
    h.record(250);
    expect(h.samples).toBe(102);
    expect(h.quantile(0.5)).toBeCloseTo(49.1, 6);
    expect(h.quantile(1)).toBe(250);
    expect(h.max).toBe(250);
    h.reset();
    expect(h.samples).toBe(0);
    expect(h.quantile(0.99)).toBe(0);
  });
});
