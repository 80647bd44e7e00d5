import { describe, expect, it } from 'vitest';
import { PacingStats } from '../../src/session/pacing-stats.js';

describe('PacingStats', () => {
  it('is all zeros with no samples', () => {
    const stats = new PacingStats();
    expect(stats.quantile(0.5)).toBe(0);
    expect(stats.snapshot()).toEqual({ samples: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0, max_ms: 0 });
  });

  it('gives quantiles to 0.1 ms bucket precision (the upper edge of the bucket)', () => {
    const stats = new PacingStats();
    // 100 samples: 0.03, 0.13, ..., 9.93 ms, shuffled so order cannot matter.
    const values = Array.from({ length: 100 }, (_, i) => i * 0.1 + 0.03);
    for (let i = 0; i < values.length; i++) stats.record(values[(i * 37) % 100]);
    expect(stats.samples).toBe(100);
    expect(stats.quantile(0.5)).toBeCloseTo(5.0, 9);
    expect(stats.quantile(0.95)).toBeCloseTo(9.5, 9);
    expect(stats.quantile(0.99)).toBeCloseTo(9.9, 9);
    expect(stats.quantile(1)).toBeCloseTo(10.0, 9);
    const snap = stats.snapshot();
    expect(snap.samples).toBe(100);
    expect(snap.p50_ms).toBeCloseTo(5.0, 9);
    expect(snap.p95_ms).toBeCloseTo(9.5, 9);
    expect(snap.p99_ms).toBeCloseTo(9.9, 9);
    expect(snap.max_ms).toBeCloseTo(9.93, 9);
  });

  it('a few late frames show in the tail, not the median', () => {
    const stats = new PacingStats();
    for (let i = 0; i < 990; i++) stats.record(0.25);
    for (let i = 0; i < 10; i++) stats.record(12.34);
    expect(stats.quantile(0.5)).toBeCloseTo(0.3, 9);
    expect(stats.quantile(0.99)).toBeCloseTo(0.3, 9);
    expect(stats.quantile(0.991)).toBeCloseTo(12.4, 9);
    expect(stats.snapshot().max_ms).toBe(12.34);
  });

  it('quantile(0) is the smallest recorded lateness, not the first bucket', () => {
    const stats = new PacingStats();
    stats.record(5.05);
    stats.record(7.05);
    expect(stats.quantile(0)).toBeCloseTo(5.1, 9);
  });

  it('counts early frames as on time and puts anything past 100 ms in an overflow that reports the max', () => {
    const stats = new PacingStats();
    stats.record(-3);
    expect(stats.quantile(1)).toBeCloseTo(0.1, 9);
    expect(stats.snapshot().max_ms).toBe(0);
    stats.record(250);
    stats.record(180);
    expect(stats.quantile(1)).toBe(250);
    expect(stats.quantile(0.5)).toBe(250);
    expect(stats.snapshot().max_ms).toBe(250);
  });

  it('reset() starts over', () => {
    const stats = new PacingStats();
    stats.record(4);
    stats.record(300);
    stats.reset();
    expect(stats.snapshot()).toEqual({ samples: 0, p50_ms: 0, p95_ms: 0, p99_ms: 0, max_ms: 0 });
    stats.record(1.05);
    expect(stats.quantile(0.5)).toBeCloseTo(1.1, 9);
    expect(stats.snapshot().max_ms).toBe(1.05);
  });
});
