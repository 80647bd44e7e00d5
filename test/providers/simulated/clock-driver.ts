// Drives async iterators on a VirtualClock: advance in small steps, letting promise chains settle between.
import type { Clock, VirtualClock } from '../../../src/clock.js';

export const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export type Timed<T> = { at: number; value: T };

export type Consumer<T> = { items: Timed<T>[]; state: { done: boolean; error: unknown } };

/** Starts a for-await over `iterable`, stamping each item with the clock time it arrived. */
export function consume<T>(iterable: AsyncIterable<T>, clock: Clock): Consumer<T> {
  const consumer: Consumer<T> = { items: [], state: { done: false, error: undefined } };
  void (async () => {
    try {
      for await (const value of iterable) consumer.items.push({ at: clock.now(), value });
    } catch (error) {
      consumer.state.error = error;
    } finally {
      consumer.state.done = true;
    }
  })();
  return consumer;
}

/** Advances `clock` by `ms` in `step` increments, flushing after each; stops early when `until()` holds. */
export async function runClock(clock: VirtualClock, ms: number, until?: () => boolean, step = 1): Promise<void> {
  await flush();
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    if (until?.()) return;
    clock.advance(step);
    await flush();
  }
}
