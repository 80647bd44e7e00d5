// Pulling the next chunk of a provider stream without trusting the provider to end promptly: the
// wait ends at a deadline or at the caller's abort even when the adapter never answers.
import type { Clock } from '../clock.js';
import { AbortedError } from '../providers/types.js';

export const TIMED_OUT: unique symbol = Symbol('timed out');

/**
 * `iterator.next()`, or TIMED_OUT after `timeoutMs` (no deadline when undefined); rejects with
 * AbortedError as soon as `signal` fires. A `next()` left behind has its result swallowed, so a
 * late rejection from an abandoned attempt is never unhandled.
 */
export function nextWithin<T>(
  iterator: AsyncIterator<T>,
  clock: Clock,
  timeoutMs: number | undefined,
  signal: AbortSignal,
): Promise<IteratorResult<T> | typeof TIMED_OUT> {
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (fn: () => void): void => {
      if (done) return;
      done = true;
      timer?.cancel();
      signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = (): void => finish(() => reject(new AbortedError()));
    const timer = timeoutMs === undefined ? undefined : clock.setTimeout(() => finish(() => resolve(TIMED_OUT)), timeoutMs);
    signal.addEventListener('abort', onAbort, { once: true });
    let pending: Promise<IteratorResult<T>>;
    try {
      pending = Promise.resolve(iterator.next());
    } catch (err) {
      finish(() => reject(err));
      return;
    }
    pending.then(
      (result) => finish(() => resolve(result)),
      (err: unknown) => finish(() => reject(err)),
    );
  });
}

/** Asks an abandoned iterator to clean up, without waiting for it and without unhandled rejections. */
export function abandon(iterator: AsyncIterator<unknown> | undefined): void {
  if (!iterator?.return) return;
  try {
    Promise.resolve(iterator.return()).catch(() => undefined);
  } catch {
    /* a synchronous throw from return() leaves nothing to clean up */
  }
}
