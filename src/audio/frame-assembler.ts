// Cuts a stream of arbitrary-length PCM16 chunks into exact fixed-size frames.

export type FrameHandler = (frame: Int16Array) => void;

export class FrameAssembler {
  readonly frameSamples: number;
  private readonly partial: Int16Array;
  private filled = 0;

  constructor(frameSamples: number) {
    if (!Number.isInteger(frameSamples) || frameSamples <= 0) {
      throw new RangeError(`frame size must be a positive integer, got ${frameSamples}`);
    }
    this.frameSamples = frameSamples;
    this.partial = new Int16Array(frameSamples);
  }

  /** Samples held back waiting for the rest of a frame. */
  get pending(): number {
    return this.filled;
  }

  /**
   * Emits every frame completed by `samples`. Each frame is a fresh array the handler may keep;
   * it shares memory with neither this assembler nor the caller's input.
   */
  push(samples: Int16Array, onFrame: FrameHandler): void {
    const size = this.frameSamples;
    let at = 0;
    if (this.filled > 0) {
      const take = Math.min(size - this.filled, samples.length);
      this.partial.set(samples.subarray(0, take), this.filled);
      this.filled += take;
      at = take;
      if (this.filled < size) return;
      this.filled = 0;
      onFrame(this.partial.slice());
    }
    while (samples.length - at >= size) {
      onFrame(samples.slice(at, at + size));
      at += size;
    }
    if (at < samples.length) {
      this.partial.set(samples.subarray(at), 0);
      this.filled = samples.length - at;
    }
  }

  /** Emits the held-back remainder as one frame padded with silence; does nothing if none is held. */
  flush(onFrame: FrameHandler): void {
    if (this.filled === 0) return;
    const frame = new Int16Array(this.frameSamples);
    frame.set(this.partial.subarray(0, this.filled));
    this.filled = 0;
    onFrame(frame);
  }

  /** Drops the held-back remainder; returns how many samples that was. */
  reset(): number {
    const n = this.filled;
    this.filled = 0;
    return n;
  }
}
