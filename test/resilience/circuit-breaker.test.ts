import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { CircuitBreaker, type CircuitState } from '../../src/resilience/circuit-breaker.js';

const boom = new ProviderError('p', 'server', 'boom');

function failTimes(breaker: CircuitBreaker, n: number, error: unknown = boom): void {
  for (let i = 0; i < n; i++) {
    const permit = breaker.acquire();
    if (!permit) throw new Error('expected a permit');
    permit.failure(error);
  }
}

describe('CircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and then rejects fast', () => {
    const clock = new VirtualClock(1000);
    const changes: [CircuitState, CircuitState][] = [];
    const breaker = new CircuitBreaker(clock, { failureThreshold: 3, openMs: 5000 }, (s, p) => changes.push([p, s]));
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(2);
    failTimes(breaker, 1);
    expect(breaker.snapshot()).toEqual({ state: 'open', consecutiveFailures: 3, openedAt: 1000, lastError: 'p: boom' });
    expect(breaker.acquire()).toBeNull();
    expect(changes).toEqual([['closed', 'open']]);
  });

  it('a success in between resets the count', () => {
    const breaker = new CircuitBreaker(new VirtualClock(), { failureThreshold: 3, openMs: 5000 });
    failTimes(breaker, 2);
    breaker.acquire()?.success();
    failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  it('half-open after openMs lets exactly one probe through; its success closes the circuit', () => {
    const clock = new VirtualClock();
    const breaker = new CircuitBreaker(clock, { failureThreshold: 1, openMs: 5000 });
    failTimes(breaker, 1);
    clock.advance(4999);
    expect(breaker.acquire()).toBeNull();
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
    const probe = breaker.acquire();
    expect(probe?.probe).toBe(true);
    expect(breaker.acquire()).toBeNull();
    probe?.success();
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutiveFailures: 0, openedAt: null });
    expect(breaker.acquire()?.probe).toBe(false);
  });

  it('a failed probe opens the circuit again for a full openMs', () => {
    const clock = new VirtualClock();
    const breaker = new CircuitBreaker(clock, { failureThreshold: 2, openMs: 1000 });
    failTimes(breaker, 2);
    clock.advance(1000);
    breaker.acquire()?.failure(new ProviderError('p', 'timeout', 'slow'));
    expect(breaker.snapshot()).toMatchObject({ state: 'open', openedAt: 1000, lastError: 'p: slow' });
    clock.advance(999);
    expect(breaker.acquire()).toBeNull();
    clock.advance(1);
    expect(breaker.acquire()?.probe).toBe(true);
  });

  it('a released probe (aborted call) frees the slot without a verdict', () => {
    const clock = new VirtualClock();
    const breaker = new CircuitBreaker(clock, { failureThreshold: 1, openMs: 10 });
    failTimes(breaker, 1);
    clock.advance(10);
    breaker.acquire()?.release();
    expect(breaker.state).toBe('half_open');
    const again = breaker.acquire();
    expect(again?.probe).toBe(true);
    // Settling twice changes nothing.
    again?.success();
    again?.failure(boom);
    expect(breaker.state).toBe('closed');
  });

  it('auth failures count too', () => {
    const breaker = new CircuitBreaker(new VirtualClock(), { failureThreshold: 2, openMs: 1000 });
    failTimes(breaker, 2, new ProviderError('p', 'auth', 'invalid key', { status: 401 }));
    expect(breaker.state).toBe('open');
  });

  it('with a rolling window, failures spread further apart than the window never open it', () => {
    const clock = new VirtualClock();
    const breaker = new CircuitBreaker(clock, { failureThreshold: 3, openMs: 1000, failureWindowMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      failTimes(breaker, 1);
      clock.advance(10_001);
    }
    expect(breaker.state).toBe('closed');
    expect(breaker.snapshot().consecutiveFailures).toBe(1);
    failTimes(breaker, 1);
    clock.advance(9_000);
    failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
  });

  it('a late success from before the circuit opened does not close it', () => {
    const clock = new VirtualClock();
    const breaker = new CircuitBreaker(clock, { failureThreshold: 1, openMs: 1000 });
    const early = breaker.acquire();
    failTimes(breaker, 1);
    early?.success();
    expect(breaker.state).toBe('open');
  });

  it('rejects nonsense options', () => {
    expect(() => new CircuitBreaker(new VirtualClock(), { failureThreshold: 0, openMs: 1 })).toThrow(RangeError);
  });
});
