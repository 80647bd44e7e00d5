// Sends a connection's messages in the order they were produced, each no earlier than its due time.
// A final that waits for its latency therefore holds back the interim results of the next segment,
// as a real recognizer never reports the next utterance before it has finished the previous one.

export class OrderedSender {
  private readonly queue: Array<{ dueAt: number; run: () => void }> = [];
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private pumping = false;

  /** Runs `run` after everything queued before it, and not sooner than `delayMs` from now. */
  push(delayMs: number, run: () => void): void {
    if (this.stopped) return;
    this.queue.push({ dueAt: performance.now() + Math.max(0, delayMs), run });
    // A pending timer or a running pump will reach the new item in turn.
    if (!this.pumping && this.timer === null) this.pump();
  }

  /** Drops everything queued; nothing runs afterwards. */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private pump(): void {
    this.timer = null;
    this.pumping = true;
    try {
      while (!this.stopped && this.queue.length > 0) {
        const head = this.queue[0];
        const wait = head.dueAt - performance.now();
        if (wait > 0) {
          this.timer = setTimeout(() => this.pump(), wait);
          return;
        }
        this.queue.shift();
        head.run();
      }
    } finally {
      this.pumping = false;
    }
  }
}
