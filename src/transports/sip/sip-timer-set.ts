// The running timers of one transaction, on the injected clock: each fires once and leaves the set;
// a state change that makes them moot cancels them all.
import type { Clock, TimerHandle } from '../../clock.js';

export class TimerSet {
  private handles: TimerHandle[] = [];

  constructor(private readonly clock: Clock) {}

  after(ms: number, fn: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.handles = this.handles.filter((t) => t !== handle);
      fn();
    }, ms);
    this.handles.push(handle);
  }

  clear(): void {
    for (const t of this.handles) t.cancel();
    this.handles = [];
  }
}
