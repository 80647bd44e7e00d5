// Processes started ahead of time with the configured voice settings, sitting in espeak's
// `--stdin` read. Starting espeak-ng (exec, library and voice data load) is ~10 ms of a cold
// request's ~11 ms to first audio; a waiting process answers in well under a millisecond.
// A process cannot be reused across requests: the CLI marks neither the end of one text's audio
// nor any other boundary in its output, so each one serves exactly one synthesis.
import { EspeakProcess } from './espeak-process.js';

export class EspeakWarmPool {
  private readonly waiting: EspeakProcess[] = [];
  private refillScheduled = false;
  private closed = false;

  constructor(
    private readonly binary: string,
    private readonly args: readonly string[],
    /** How many processes to keep waiting; 0 turns the pool off. */
    private readonly size: number,
  ) {}

  /** A waiting process started with exactly `args`, or null (the caller then starts one). */
  take(args: readonly string[]): EspeakProcess | null {
    if (!sameArgs(args, this.args)) return null;
    while (this.waiting.length > 0) {
      const proc = this.waiting.shift()!;
      if (proc.alive) return proc;
      proc.kill();
    }
    return null;
  }

  /**
   * Tops the pool up after the current request has its process, on a later turn of the event loop
   * so the (synchronous) spawn does not delay that request.
   */
  refill(): void {
    if (this.closed || this.size <= 0 || this.refillScheduled) return;
    this.refillScheduled = true;
    setImmediate(() => {
      this.refillScheduled = false;
      if (this.closed) return;
      for (let i = this.waiting.length - 1; i >= 0; i--) if (!this.waiting[i].alive) this.waiting.splice(i, 1);
      while (this.waiting.length < this.size) this.waiting.push(new EspeakProcess(this.binary, this.args, true));
    }).unref();
  }

  /** Pids of the processes waiting now (for health checks and tests). */
  get pids(): number[] {
    return this.waiting.flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  /** Kills the waiting processes; no more are started. */
  async close(): Promise<void> {
    this.closed = true;
    const procs = this.waiting.splice(0);
    for (const proc of procs) proc.kill();
    await Promise.all(procs.map((p) => p.exited));
  }
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
