// Maps audio-stream time (ms of caller audio received) to the session clock: each chunk of audio is
// stamped with the clock time it arrived, so "speech ended at audio 3.42 s" becomes a clock instant.

export class AudioTimeMap {
  private readonly audioMs: Float64Array;
  private readonly clockMs: Float64Array;
  private count = 0;
  private head = 0;

  constructor(private readonly capacity = 1024) {
    this.audioMs = new Float64Array(capacity);
    this.clockMs = new Float64Array(capacity);
  }

  /** Records that caller audio up to `audioEndMs` had arrived by `clockMs` (audio times only grow). */
  record(audioEndMs: number, clockMs: number): void {
    this.audioMs[this.head] = audioEndMs;
    this.clockMs[this.head] = clockMs;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The clock time at which the caller audio at `audioMs` had arrived. */
  toClock(audioMs: number): number {
    if (this.count === 0) return audioMs;
    const at = (i: number) => (this.head - this.count + i + this.capacity) % this.capacity;
    const newest = at(this.count - 1);
    if (audioMs > this.audioMs[newest]) return this.clockMs[newest] + (audioMs - this.audioMs[newest]);
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.audioMs[at(mid)] >= audioMs) hi = mid;
      else lo = mid + 1;
    }
    const idx = at(lo);
    // Older than what we remember: assume it arrived in real time before the oldest record.
    if (lo === 0 && this.audioMs[idx] - audioMs > 20) return this.clockMs[idx] - (this.audioMs[idx] - audioMs);
    return this.clockMs[idx];
  }
}
