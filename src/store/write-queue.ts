// A bounded, ordered queue of writes that the voice path hands off without waiting. Writes apply
// one at a time in enqueue order; a failure that may be temporary (database down, connection cut)
// is retried with exponential backoff, the queue holding everything behind it. Past the in-memory
// bound, entries go to an append-only spill file and come back, in order, once memory has drained.
// Each write carries an id and applies idempotently, so retrying after an ambiguous failure (the
// commit happened, the reply was lost) never duplicates a row.
import type { Clock, TimerHandle } from '../clock.js';
import { SpillFile } from './spill-file.js';

export type QueuedWrite = { id: string };

export type WriteQueueOptions<W extends QueuedWrite> = {
  /** Applies one write; must be idempotent on `write.id`. */
  apply: (write: W) => Promise<void>;
  clock: Clock;
  /** Entries kept in memory; more go to the spill file. */
  memoryBound: number;
  /** The spill file (JSON lines); entries found there at start are replayed first. */
  spillPath: string;
  /** Errors that retrying cannot fix (a constraint violation): the write is dropped. Default: none. */
  isPermanent?: (err: unknown) => boolean;
  onDrop?: (write: W, err: unknown) => void;
  retryInitialMs?: number;
  retryMaxMs?: number;
};

export type WriteQueueStats = {
  /** Waiting to be written, in memory and in the spill file. */
  queued: number;
  inMemory: number;
  /** Waiting in the spill file now. */
  spilled: number;
  /** Ever sent to the spill file. */
  spilledTotal: number;
  written: number;
  failedAttempts: number;
  dropped: number;
};

export class WriteQueue<W extends QueuedWrite> {
  private readonly memory: W[] = [];
  private readonly spill: SpillFile<W>;
  private pumping = false;
  private closed = false;
  private attempt = 0;
  private sleeping: { timer: TimerHandle; wake: () => void } | undefined;
  private idleWaiters: (() => void)[] = [];
  private counts = { spilledTotal: 0, written: 0, failedAttempts: 0, dropped: 0 };

  constructor(private readonly options: WriteQueueOptions<W>) {
    if (options.memoryBound < 1) throw new Error('memoryBound must be at least 1');
    this.spill = new SpillFile<W>(options.spillPath);
    if (this.spill.pending > 0) void this.pump();
  }

  /** Queues a write and returns at once. */
  enqueue(write: W): void {
    if (this.closed) throw new Error('write queue is closed');
    // Once anything is in the file, later writes go there too, so order is kept.
    if (this.spill.pending > 0 || this.memory.length >= this.options.memoryBound) {
      this.spill.append(write);
      this.counts.spilledTotal++;
    } else {
      this.memory.push(write);
    }
    void this.pump();
  }

  stats(): WriteQueueStats {
    const spilled = this.spill.pending;
    return { queued: this.memory.length + spilled, inMemory: this.memory.length, spilled, ...this.counts };
  }

  /** Resolves once every write queued so far (and after) has been applied or dropped. */
  flush(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops writing and moves what is still queued in memory to the front of the spill file, so the
   * next start replays it. Waits for a write in progress to settle.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.wake();
    while (this.pumping) await new Promise<void>((r) => setImmediate(r));
    this.spill.prepend(this.memory.splice(0));
  }

  private isIdle(): boolean {
    return !this.pumping && this.memory.length === 0 && this.spill.pending === 0;
  }

  private async pump(): Promise<void> {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      while (!this.closed) {
        if (this.memory.length === 0) this.memory.push(...this.spill.read(this.options.memoryBound));
        const next = this.memory[0];
        if (next === undefined) break;
        try {
          await this.options.apply(next);
          this.memory.shift();
          this.counts.written++;
          this.attempt = 0;
        } catch (err) {
          if (this.options.isPermanent?.(err)) {
            this.memory.shift();
            this.counts.dropped++;
            this.attempt = 0;
            this.options.onDrop?.(next, err);
            continue;
          }
          this.counts.failedAttempts++;
          await this.sleep(this.backoffMs(this.attempt++));
        }
      }
    } finally {
      this.pumping = false;
    }
    if (this.isIdle()) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private backoffMs(attempt: number): number {
    const initial = this.options.retryInitialMs ?? 50;
    const max = this.options.retryMaxMs ?? 5000;
    return Math.min(max, initial * 2 ** Math.min(attempt, 30));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, wake: resolve };
    });
  }

  private wake(): void {
    const s = this.sleeping;
    this.sleeping = undefined;
    s?.timer.cancel();
    s?.wake();
  }
}
