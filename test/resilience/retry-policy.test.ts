import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { AbortedError } from '../../src/providers/types.js';
import { backoffDelay, isRetryableFailure, sleep, toProviderError, type RetryPolicy } from '../../src/resilience/retry-policy.js';
import { flush, seeded } from './fakes.js';

const policy: RetryPolicy = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0.5 };
const server = new ProviderError('p', 'server', '500');

describe('backoffDelay', () => {
  it('doubles from the base up to the ceiling, and jitter takes away up to its share', () => {
    const none = [1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 0, server));
    expect(none).toEqual([100, 200, 400, 800, 1000]);
    const half = [1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, () => 0.5, server));
    expect(half).toEqual([75, 150, 300, 600, 750]);
    expect(backoffDelay({ ...policy, jitter: 0 }, 3, () => 0.9, server)).toBe(400);
  });

  it('with a seeded random: the same numbers every run, each within [raw*(1-jitter), raw], not all at one end', () => {
    const run = (): (number | null)[] => {
      const random = seeded(42);
      return [1, 2, 3, 4, 5].map((n) => backoffDelay(policy, n, random, server));
    };
    const first = run();
    expect(run()).toEqual(first);
    const raw = [100, 200, 400, 800, 1000];
    first.forEach((d, i) => {
      expect(d).not.toBeNull();
      expect(d as number).toBeGreaterThanOrEqual(raw[i] * 0.5);
      expect(d as number).toBeLessThanOrEqual(raw[i]);
    });
    expect(first.filter((d, i) => d !== raw[i]).length).toBeGreaterThan(0);
  });

  it('stops when the attempts are used up (maxAttempts counts the first attempt)', () => {
    const p = { ...policy, maxAttempts: 3 };
    expect(backoffDelay(p, 2, () => 0, server)).toBe(200);
    expect(backoffDelay(p, 3, () => 0, server)).toBeNull();
    expect(backoffDelay({ ...policy, maxAttempts: 1 }, 1, () => 0, server)).toBeNull();
  });

  it('never retries auth (401), quota or bad_request', () => {
    const auth = new ProviderError('p', 'auth', 'invalid key', { status: 401 });
    expect(backoffDelay(policy, 1, () => 0, auth)).toBeNull();
    expect(backoffDelay(policy, 1, () => 0, new ProviderError('p', 'quota', 'no credit', { status: 402 }))).toBeNull();
    expect(backoffDelay(policy, 1, () => 0, new ProviderError('p', 'bad_request', 'bad', { status: 400 }))).toBeNull();
    expect(backoffDelay(policy, 1, () => 0, new AbortedError())).toBeNull();
  });

  it('honours retry-after on a rate limit exactly, even beyond maxDelayMs, and gives up beyond the cap', () => {
    const limited = (ms: number): ProviderError => new ProviderError('p', 'rate_limited', '429', { status: 429, retryAfterMs: ms });
    expect(backoffDelay(policy, 1, () => 0.7, limited(2500))).toBe(2500);
    expect(backoffDelay(policy, 1, () => 0.7, limited(30_000))).toBe(30_000);
    expect(backoffDelay(policy, 1, () => 0.7, limited(30_001))).toBeNull();
    expect(backoffDelay({ ...policy, maxRetryAfterMs: 5000 }, 1, () => 0, limited(6000))).toBeNull();
    // No retry-after: ordinary exponential backoff.
    expect(backoffDelay(policy, 2, () => 0, new ProviderError('p', 'rate_limited', '429'))).toBe(200);
  });

  it('does not retry programming errors, but does retry socket errors that are not ProviderErrors', () => {
    expect(backoffDelay(policy, 1, () => 0, new TypeError('x is undefined'))).toBeNull();
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(backoffDelay(policy, 1, () => 0, reset)).toBe(100);
    const fetchFailed = new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    expect(isRetryableFailure(fetchFailed)).toBe(true);
    expect(toProviderError('p', fetchFailed).kind).toBe('network');
    expect(toProviderError('p', new TypeError('oops')).kind).toBe('protocol');
  });

  it('rejects a retry number below 1', () => {
    expect(() => backoffDelay(policy, 0, () => 0)).toThrow(RangeError);
  });
});

describe('sleep', () => {
  it('resolves when the virtual clock reaches the delay, not before', async () => {
    const clock = new VirtualClock();
    let done = false;
    void sleep(clock, 500, new AbortController().signal).then(() => (done = true));
    clock.advance(499);
    await flush();
    expect(done).toBe(false);
    clock.advance(1);
    await flush();
    expect(done).toBe(true);
  });

  it('rejects with AbortedError on abort and leaves no timer behind', async () => {
    const clock = new VirtualClock();
    const ac = new AbortController();
    const slept = sleep(clock, 500, ac.signal);
    ac.abort();
    await expect(slept).rejects.toBeInstanceOf(AbortedError);
    expect(clock.pendingTimers()).toBe(0);
    await expect(sleep(clock, 1, ac.signal)).rejects.toBeInstanceOf(AbortedError);
  });
});
