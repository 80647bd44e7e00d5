// A Clock decorator that knows which timer callback is running and when that timer was due. Work
// done synchronously inside a timer callback (the debounce starting the LLM, the speculative hold
// committing a reply) can then be measured from the instant the policy said it should happen,
// so the timer's own lateness counts as Parley's time, not as policy.
import type { Clock, TimerHandle } from '../../src/clock.js';

export type RunningTimer = { dueAt: number; firedAt: number };

export class TimingClock implements Clock {
  private running: RunningTimer | null = null;

  constructor(private readonly inner: Clock) {}

  now(): number {
    return this.inner.now();
  }

  /** The timer whose callback is executing right now (synchronously), if any. */
  get currentTimer(): RunningTimer | null {
    return this.running;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const dueAt = this.inner.now() + Math.max(0, ms);
    return this.inner.setTimeout(() => {
      const outer = this.running;
      this.running = { dueAt, firedAt: this.inner.now() };
      try {
        fn();
      } finally {
        this.running = outer;
      }
    }, ms);
  }
}
