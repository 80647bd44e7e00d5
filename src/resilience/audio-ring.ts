// The last few seconds of caller audio, addressed by absolute sample position, so an STT stream
// that died can be given again what it may not have finished transcribing.

type Chunk = { start: number; samples: Int16Array; delivered: boolean };

export class AudioRing {
  private chunks: Chunk[] = [];
  private total = 0;
  private end = 0;
  private dropped = 0;

  /** `capacity` in samples; older audio is dropped first. */
  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be an integer >= 0, got ${capacity}`);
  }

  /** First sample position still held. */
  get startSample(): number {
    return this.end - this.total;
  }

  /** One past the last sample position written. */
  get endSample(): number {
    return this.end;
  }

  /** Samples dropped for lack of room before any STT stream had received them. */
  get droppedUndelivered(): number {
    return this.dropped;
  }

  /**
   * Appends a copy of `samples` (the caller may reuse its buffer). `delivered`: whether an STT
   * stream received them as they were written.
   */
  push(samples: Int16Array, delivered: boolean): void {
    if (samples.length === 0) return;
    this.chunks.push({ start: this.end, samples: samples.slice(), delivered });
    this.end += samples.length;
    this.total += samples.length;
    while (this.total > this.capacity) {
      const first = this.chunks[0];
      const excess = this.total - this.capacity;
      const cut = Math.min(excess, first.samples.length);
      if (!first.delivered) this.dropped += cut;
      if (cut === first.samples.length) this.chunks.shift();
      else {
        first.samples = first.samples.subarray(cut);
        first.start += cut;
      }
      this.total -= cut;
    }
  }

  /** The held audio within [from, to), as pieces in order (views, not copies). */
  slice(from: number, to: number = this.end): Int16Array[] {
    const out: Int16Array[] = [];
    for (const chunk of this.chunks) {
      const chunkEnd = chunk.start + chunk.samples.length;
      if (chunkEnd <= from || chunk.start >= to) continue;
      out.push(chunk.samples.subarray(Math.max(0, from - chunk.start), Math.min(chunk.samples.length, to - chunk.start)));
    }
    return out;
  }

  /** Marks every chunk overlapping [from, to) as received by a stream (chunk granularity). */
  markDelivered(from: number, to: number = this.end): void {
    for (const chunk of this.chunks) {
      if (chunk.start < to && chunk.start + chunk.samples.length > from) chunk.delivered = true;
    }
  }
}
