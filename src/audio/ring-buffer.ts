// A bounded FIFO of PCM16 samples: a stalled consumer costs dropped audio, never unbounded memory.

/** The most audio one call may queue. */
export const MAX_BUFFER_SECONDS = 10;

export class AudioRingBuffer {
  readonly capacity: number;
  private readonly data: Int16Array;
  private start = 0;
  private size = 0;
  private dropped = 0;

  constructor(capacitySamples: number) {
    if (!Number.isInteger(capacitySamples) || capacitySamples <= 0) {
      throw new RangeError(`ring buffer capacity must be a positive integer, got ${capacitySamples}`);
    }
    this.capacity = capacitySamples;
    this.data = new Int16Array(capacitySamples);
  }

  /** Samples currently queued. */
  get length(): number {
    return this.size;
  }

  /** Total samples discarded because the buffer was full (oldest first). */
  get droppedSamples(): number {
    return this.dropped;
  }

  /** Appends samples; when full, the oldest queued samples are overwritten and counted as dropped. */
  push(samples: Int16Array): void {
    let src = samples;
    if (src.length > this.capacity) {
      // Only the newest `capacity` samples can survive; the rest never enter.
      this.dropped += src.length - this.capacity;
      src = src.subarray(src.length - this.capacity);
    }
    const overflow = this.size + src.length - this.capacity;
    if (overflow > 0) {
      this.dropped += overflow;
      this.start = (this.start + overflow) % this.capacity;
      this.size -= overflow;
    }
    const end = (this.start + this.size) % this.capacity;
    const firstPart = Math.min(src.length, this.capacity - end);
    this.data.set(src.subarray(0, firstPart), end);
    if (firstPart < src.length) this.data.set(src.subarray(firstPart), 0);
    this.size += src.length;
  }

  /** Removes and returns up to `n` of the oldest samples (fewer if fewer are queued). */
  read(n: number): Int16Array {
    const out = new Int16Array(Math.max(0, Math.min(Math.floor(n), this.size)));
    this.readInto(out);
    return out;
  }

  /** Fills `out` from the oldest samples; returns how many were written (the rest of `out` is untouched). */
  readInto(out: Int16Array): number {
    const n = Math.min(out.length, this.size);
    const firstPart = Math.min(n, this.capacity - this.start);
    out.set(this.data.subarray(this.start, this.start + firstPart), 0);
    if (firstPart < n) out.set(this.data.subarray(0, n - firstPart), firstPart);
    this.start = (this.start + n) % this.capacity;
    this.size -= n;
    return n;
  }

  /** Discards everything queued (not counted as dropped); returns how many samples that was. */
  clear(): number {
    const n = this.size;
    this.start = 0;
    this.size = 0;
    return n;
  }
}

/** A buffer holding `seconds` of audio at `sampleRate`, never more than MAX_BUFFER_SECONDS. */
export function ringBufferFor(seconds: number, sampleRate: number): AudioRingBuffer {
  if (!(seconds > 0) || !(sampleRate > 0)) {
    throw new RangeError(`ring buffer needs positive seconds and sample rate, got ${seconds} s at ${sampleRate} Hz`);
  }
  const capped = Math.min(seconds, MAX_BUFFER_SECONDS);
  return new AudioRingBuffer(Math.max(1, Math.round(capped * sampleRate)));
}
