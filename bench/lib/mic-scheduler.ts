// Streams every bench client's microphone in real time from one timer: frame n of a client covers
// audio [t0 + 20n, t0 + 20n + 20) and leaves at t0 + 20(n + 1), when a real microphone would have
// captured it. One scheduler for hundreds of clients keeps the load generator cheap; how late
// frames leave shows whether the load generator itself kept real time.
import { LatenessHistogram } from './stats.js';

export const FRAME_MS = 20;

export interface Microphone {
  /** performance.now() at which frame 0 starts. */
  readonly micT0: number;
  /** Frames sent so far (= index of the next frame). */
  readonly framesSent: number;
  /** Sends the next frame; returns false when the client is gone. */
  sendNextFrame(): boolean;
}

export class MicScheduler {
  readonly lateness = new LatenessHistogram();
  private readonly mics = new Set<Microphone>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  add(mic: Microphone): void {
    this.mics.add(mic);
    this.arm();
  }

  remove(mic: Microphone): void {
    this.mics.delete(mic);
  }

  get size(): number {
    return this.mics.size;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private dueOf(mic: Microphone): number {
    return mic.micT0 + (mic.framesSent + 1) * FRAME_MS;
  }

  private arm(): void {
    if (this.stopped || this.timer || this.mics.size === 0) return;
    let next = Infinity;
    for (const mic of this.mics) next = Math.min(next, this.dueOf(mic));
    this.timer = setTimeout(() => this.tick(), Math.max(0, next - performance.now()));
  }

  private tick(): void {
    this.timer = null;
    const now = performance.now();
    for (const mic of this.mics) {
      // Catch up frame by frame after a late tick, as a browser flushes its capture buffer.
      for (let due = this.dueOf(mic); due <= now; due = this.dueOf(mic)) {
        this.lateness.record(now - due);
        if (!mic.sendNextFrame()) {
          this.mics.delete(mic);
          break;
        }
      }
    }
    this.arm();
  }
}
