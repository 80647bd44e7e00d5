// Runs a subscription's handler one entry at a time, in the order entries were handed over, off
// the publisher's stack: a slow or throwing handler never holds up or breaks a publisher.
import type { BusEntry, BusHandler, Ack } from './event-bus.js';

export class SerialDelivery<T> {
  private readonly queue: BusEntry<T>[] = [];
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private stopped = false;

  constructor(
    private readonly handler: BusHandler<T>,
    private readonly ack: Ack,
    private readonly onError: (err: unknown) => void,
  ) {}

  push(entry: BusEntry<T>): void {
    if (this.stopped) return;
    this.queue.push(entry);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.drain());
    }
  }

  /** Runs the handler on each entry now and resolves once all are handled (used by read loops). */
  async deliverNow(entries: BusEntry<T>[]): Promise<void> {
    for (const entry of entries) {
      if (this.stopped) return;
      await this.invoke(entry);
    }
  }

  stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.stopped) {
      const entry = this.queue.shift() as BusEntry<T>;
      await this.invoke(entry);
    }
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private async invoke(entry: BusEntry<T>): Promise<void> {
    try {
      await this.handler(entry, this.ack);
    } catch (err) {
      this.onError(err);
    }
  }
}
