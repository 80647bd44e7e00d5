// The far end's playout buffer, as Twilio keeps it for a bidirectional stream: media queues and
// plays in real time; a mark comes back once everything queued before it has played; a clear
// drops what is still queued and returns the pending marks at once.
import type { Clock, TimerHandle } from '../../src/clock.js';

type PendingMark = { name: string; timer: TimerHandle };

export class SimPlayout {
  private endsAt: number;
  private pending: PendingMark[] = [];

  constructor(
    private readonly clock: Clock,
    private readonly echo: (name: string) => void,
  ) {
    this.endsAt = clock.now();
  }

  /** `ms` of audio arrived: it plays once what is queued ahead of it has. */
  queued(ms: number): void {
    this.endsAt = Math.max(this.endsAt, this.clock.now()) + ms;
  }

  /** Audio still to play, in ms. */
  heldMs(): number {
    return Math.max(0, this.endsAt - this.clock.now());
  }

  mark(name: string): void {
    const wait = this.heldMs();
    const entry: PendingMark = {
      name,
      timer: this.clock.setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== entry);
        this.echo(name);
      }, wait),
    };
    this.pending.push(entry);
  }

  /** Drops the queue; returns how much audio was dropped and the marks echoed for it. */
  clear(): { droppedMs: number; marks: string[] } {
    const droppedMs = this.heldMs();
    this.endsAt = this.clock.now();
    const marks = this.pending.map((p) => p.name);
    for (const p of this.pending) p.timer.cancel();
    this.pending = [];
    for (const name of marks) this.echo(name);
    return { droppedMs, marks };
  }

  stop(): void {
    for (const p of this.pending) p.timer.cancel();
    this.pending = [];
  }
}
