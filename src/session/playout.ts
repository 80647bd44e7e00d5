// Paces the agent's audio to the caller in real time, 20 ms frames, one reply at a time. Keeps the
// count of what was sent, which is what the caller heard when a barge-in clears the rest.
import { AudioRingBuffer } from '../audio/ring-buffer.js';
import { FRAME_MS, samplesPerFrame } from '../audio/pcm.js';
import type { Clock, TimerHandle } from '../clock.js';

export interface PlayoutEvents {
  /** The first frame of a reply went out. */
  onStarted(turnId: string): void;
  /** Every frame of a reply went out after `end(turnId)`. */
  onFinished(turnId: string, playedMs: number): void;
}

export interface PlayoutOptions {
  clock: Clock;
  sampleRate: number;
  send: (frame: Int16Array, dueAt: number) => void;
  events: PlayoutEvents;
  /** Hard bound of queued audio; beyond it the oldest is dropped (and counted). */
  capacitySeconds?: number;
}

export class Playout {
  private readonly frameSamples: number;
  private readonly queue: AudioRingBuffer;
  private turnId: string | null = null;
  private ended = false;
  private sentFrames = 0;
  private nextDueAt = 0;
  private timer: TimerHandle | null = null;
  private waiters: { belowSamples: number; resolve: () => void }[] = [];
  private closed = false;

  constructor(private readonly options: PlayoutOptions) {
    this.frameSamples = samplesPerFrame(options.sampleRate);
    this.queue = new AudioRingBuffer(Math.round((options.capacitySeconds ?? 10) * options.sampleRate));
  }

  get currentTurnId(): string | null {
    return this.turnId;
  }

  get queuedMs(): number {
    return (this.queue.length / this.options.sampleRate) * 1000;
  }

  get droppedSamples(): number {
    return this.queue.droppedSamples;
  }

  playedMs(turnId: string): number {
    return turnId === this.turnId ? this.sentFrames * FRAME_MS : 0;
  }

  /** Queues audio of a reply. Audio of a different reply replaces whatever was left of the old one. */
  push(turnId: string, samples: Int16Array): void {
    if (this.closed || samples.length === 0) return;
    if (turnId !== this.turnId) this.begin(turnId);
    this.queue.push(samples);
    this.schedule();
  }

  /** No more audio will come for this reply. */
  end(turnId: string): void {
    if (turnId !== this.turnId) this.begin(turnId);
    this.ended = true;
    this.schedule();
  }

  /** Drops everything queued at once; returns how much of the reply had been sent. */
  clear(): { turnId: string | null; playedMs: number } {
    const result = { turnId: this.turnId, playedMs: this.sentFrames * FRAME_MS };
    this.queue.clear();
    this.timer?.cancel();
    this.timer = null;
    this.turnId = null;
    this.ended = false;
    this.sentFrames = 0;
    this.wakeWaiters();
    return result;
  }

  /** Resolves once less than `ms` of audio is queued (backpressure for fast TTS). */
  whenBelow(ms: number): Promise<void> {
    const belowSamples = (ms / 1000) * this.options.sampleRate;
    if (this.queue.length < belowSamples || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ belowSamples, resolve }));
  }

  close(): void {
    this.clear();
    this.closed = true;
    this.wakeWaiters();
  }

  private begin(turnId: string): void {
    this.clear();
    this.turnId = turnId;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const now = this.options.clock.now();
    // After an underrun, restart the grid now rather than bursting to catch up.
    if (this.nextDueAt < now) this.nextDueAt = now;
    // A frame already due goes out now: a zero-delay timer would cost a millisecond or more.
    if (this.nextDueAt <= now) this.tick();
    else this.timer = this.options.clock.setTimeout(() => this.tick(), this.nextDueAt - now);
  }

  private tick(): void {
    this.timer = null;
    const turnId = this.turnId;
    if (!turnId) return;
    const now = this.options.clock.now();
    // Send what is due (more than one only if the event loop was late).
    while (this.nextDueAt <= now + 1) {
      const have = this.queue.length;
      if (have >= this.frameSamples || (this.ended && have > 0)) {
        const frame = new Int16Array(this.frameSamples);
        this.queue.readInto(frame.subarray(0, Math.min(have, this.frameSamples)));
        this.sentFrames++;
        const dueAt = this.nextDueAt;
        this.nextDueAt += FRAME_MS;
        if (this.sentFrames === 1) this.options.events.onStarted(turnId);
        if (this.turnId !== turnId) return; // cleared from inside onStarted
        this.options.send(frame, dueAt);
        this.wakeWaiters();
      } else {
        if (this.ended) {
          const playedMs = this.sentFrames * FRAME_MS;
          this.turnId = null;
          this.ended = false;
          this.sentFrames = 0;
          this.options.events.onFinished(turnId, playedMs);
        }
        return; // underrun or done: wait for more audio
      }
    }
    this.schedule();
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.closed || this.queue.length < w.belowSamples) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
