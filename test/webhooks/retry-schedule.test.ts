// The retry schedule: delays by consecutive failures, rounds that restart after a replay, jitter.
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE_MS, jittered, retryDelayMs, validateSchedule } from '../../src/webhooks/retry-schedule.js';

describe('webhook retry schedule', () => {
  it('waits each delay in turn, then gives up; a replayed round starts over', () => {
    const schedule = [1000, 2000, 3000];
    expect([1, 2, 3, 4].map((n) => retryDelayMs(schedule, n))).toEqual([1000, 2000, 3000, null]);
    expect([5, 6, 7, 8].map((n) => retryDelayMs(schedule, n))).toEqual([1000, 2000, 3000, null]);
    expect(retryDelayMs([], 1)).toBeNull();
    expect(() => retryDelayMs(schedule, 0)).toThrow(/at least 1/);
  });

  it('spreads the default schedule over about sixteen hours', () => {
    const total = DEFAULT_RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    expect(total).toBe(15 * 3600_000 + 42.5 * 60_000);
    expect(DEFAULT_RETRY_SCHEDULE_MS[0]).toBe(30_000);
    expect(DEFAULT_RETRY_SCHEDULE_MS.at(-1)).toBe(8 * 3600_000);
  });

  it('jitters within ±the fraction, and not at all when it is 0', () => {
    expect(jittered(60_000, 0.1, () => 0)).toBe(54_000);
    expect(jittered(60_000, 0.1, () => 0.5)).toBe(60_000);
    expect(jittered(60_000, 0.1, () => 0.999999)).toBe(66_000);
    expect(jittered(60_000, 0, () => 0)).toBe(60_000);
  });

  it('rejects negative or non-numeric delays', () => {
    expect(() => validateSchedule([1000, -1])).toThrow(/non-negative/);
    expect(() => validateSchedule([Number.NaN])).toThrow(/non-negative/);
    expect(validateSchedule([0, 5])).toEqual([0, 5]);
  });
});
