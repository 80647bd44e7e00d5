// How much agent audio the far end still holds, from Twilio marks. Parley drops a named mark into
// the stream every few frames; Twilio echoes it once the audio before it has played (or was
// dropped by a `clear`). Audio sent after the last echoed mark is what has not been heard yet.

type PendingMark = { seq: number; sentMs: number };

export class PlayoutMarks {
  private sentMs = 0;
  private playedMs = 0;
  private framesSinceMark = 0;
  private seq = 0;
  /** Marks up to this one were sent before a clear: their echoes say nothing about playout. */
  private clearedThrough = 0;
  private pending: PendingMark[] = [];

  constructor(
    /** A mark after this many frames. */
    private readonly everyFrames: number,
    private readonly prefix = 'parley-',
  ) {
    if (!Number.isInteger(everyFrames) || everyFrames < 1) throw new RangeError(`mark interval must be a whole number of frames >= 1, got ${everyFrames}`);
  }

  /** Records `ms` of agent audio sent; true when a mark is due after it. */
  sent(ms: number): boolean {
    this.sentMs += ms;
    this.framesSinceMark++;
    return this.framesSinceMark >= this.everyFrames;
  }

  /** True while audio was sent after the last mark. */
  get unmarked(): boolean {
    return this.framesSinceMark > 0;
  }

  /** The name of the next mark, recorded as covering everything sent so far. */
  nextMark(): string {
    this.seq++;
    this.pending.push({ seq: this.seq, sentMs: this.sentMs });
    this.framesSinceMark = 0;
    return `${this.prefix}${this.seq}`;
  }

  /** A mark came back. `played` for ours, `stale` for one sent before a clear, `unknown` otherwise. */
  echoed(name: string): 'played' | 'stale' | 'unknown' {
    if (!name.startsWith(this.prefix)) return 'unknown';
    const seq = Number(name.slice(this.prefix.length));
    if (!Number.isInteger(seq) || seq < 1 || seq > this.seq) return 'unknown';
    if (seq <= this.clearedThrough) return 'stale';
    const at = this.pending.findIndex((m) => m.seq === seq);
    if (at < 0) return 'stale';
    // Twilio plays in order: an echo also covers every earlier mark.
    this.playedMs = Math.max(this.playedMs, this.pending[at].sentMs);
    this.pending.splice(0, at + 1);
    return 'played';
  }

  /** The far end dropped everything it held. */
  cleared(): void {
    this.clearedThrough = this.seq;
    this.pending = [];
    this.framesSinceMark = 0;
    this.playedMs = this.sentMs;
  }

  unplayedMs(): number {
    return this.sentMs - this.playedMs;
  }

  /** Nothing sent is still unaccounted for. */
  get drained(): boolean {
    return this.pending.length === 0 && this.framesSinceMark === 0;
  }
}
