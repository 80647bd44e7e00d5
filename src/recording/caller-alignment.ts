// Places caller audio on the recording's timeline. Caller audio is continuous, so each frame
// follows the last; only when frames arrive later than their samples account for (a network gap)
// does the timeline skip ahead, so a lost stretch becomes silence instead of pulling the caller
// earlier against the agent. A burst that follows a stall (audio delayed, not lost) fills its gap.

/** Writes `samples` from frame `start` (or later); returns the frame after the last one written. */
export type PlaceSamples = (start: number, samples: Int16Array) => number;

export type CallerAlignmentOptions = {
  /** Session time (ms) to a frame index on the recording's timeline. */
  frameAt: (time: number) => number;
  /** How far (in frames) arrivals may run ahead of the samples before the gap is filled. */
  gapFrames: number;
  /** Frames arriving closer together than this (ms) are one burst. */
  burstSpacingMs: number;
  /** The most audio (in frames) held back while a gap is being measured. */
  maxHeldFrames: number;
  place: PlaceSamples;
};

type Held = { frames: Int16Array[]; samples: number; lastAt: number };

export class CallerAlignment {
  private next = 0;
  private started = false;
  private held: Held | null = null;

  constructor(private readonly options: CallerAlignmentOptions) {}

  /** Frame index where the next continuous caller sample goes. */
  get position(): number {
    return this.next;
  }

  /** Samples held back while a gap is measured. */
  get heldSamples(): number {
    return this.held?.samples ?? 0;
  }

  /** A frame of caller audio that finished arriving at session time `at`. */
  push(frame: Int16Array, at: number): void {
    const { frameAt, gapFrames, burstSpacingMs, maxHeldFrames } = this.options;
    const held = this.held;
    if (held) {
      if (at - held.lastAt < burstSpacingMs && held.samples + frame.length <= maxHeldFrames) {
        held.frames.push(frame);
        held.samples += frame.length;
        held.lastAt = at;
        return;
      }
      this.release();
    }
    const start = frameAt(at) - frame.length;
    // The first frame anchors the channel where it arrived; later ones tolerate jitter.
    const tolerance = this.started ? gapFrames : 0;
    this.started = true;
    if (start - this.next > tolerance) {
      // A gap: hold the frame until the burst it may begin is over, then place the burst so that
      // its last frame ends where it arrived.
      this.held = { frames: [frame], samples: frame.length, lastAt: at };
      return;
    }
    this.next = this.options.place(this.next, frame);
  }

  /** Places any held frames (at the end of a burst, or when the call ends). */
  release(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    let at = Math.max(this.next, this.options.frameAt(held.lastAt) - held.samples);
    for (const frame of held.frames) at = this.options.place(at, frame);
    this.next = at;
  }
}
