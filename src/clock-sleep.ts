// Waiting on an injected clock, cut short by an AbortSignal, so simulated latencies run on a
// VirtualClock in tests and on the system clock in benchmarks.
import type { Clock } from './clock.js';
import { AbortedError } from './providers/types.js';

export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new AbortedError();
}

/**
 * Resolves once `clock.now()` has reached `at`; rejects with `AbortedError` as soon as `signal` fires.
 * An instant already passed resolves at once, which keeps an absolute schedule free of drift.
 */
export function sleepUntil(clock: Clock, at: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(new AbortedError());
  const ms = at - clock.now();
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      timer.cancel();
      reject(new AbortedError());
    };
    const timer = clock.setTimeout(() => {
      // Removed so that a long stream of sleeps never piles listeners onto one signal.
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
