// The not-yet-written stretch of a two-channel recording: a fixed-size window of interleaved PCM16
// starting at the first sample frame not yet handed to the disk writer. Silence is its zero fill.
import { pcm16ToBytes } from '../audio/pcm.js';

export class StereoWindow {
  /** Sample frames (one sample per channel) the window can hold. */
  readonly capacity: number;
  private readonly data: Int16Array;
  private startFrame = 0;

  constructor(capacityFrames: number) {
    if (!Number.isInteger(capacityFrames) || capacityFrames <= 0) {
      throw new RangeError(`window capacity must be a positive integer, got ${capacityFrames}`);
    }
    this.capacity = capacityFrames;
    this.data = new Int16Array(capacityFrames * 2);
  }

  /** The first sample frame not yet taken: everything before it is on its way to disk. */
  get start(): number {
    return this.startFrame;
  }

  /** Index one past the last frame the window can hold. */
  get end(): number {
    return this.startFrame + this.capacity;
  }

  get bytes(): number {
    return this.data.byteLength;
  }

  /** Writes `samples` to `channel` (0 left, 1 right) from frame `at`; must lie within [start, end). */
  write(channel: 0 | 1, at: number, samples: Int16Array): void {
    if (at < this.startFrame || at + samples.length > this.end) {
      throw new RangeError(`frames ${at}..${at + samples.length} are outside the window ${this.startFrame}..${this.end}`);
    }
    const data = this.data;
    let i = (at - this.startFrame) * 2 + channel;
    for (let s = 0; s < samples.length; s++, i += 2) data[i] = samples[s];
  }

  /**
   * Removes the frames before `upTo` and returns them as little-endian PCM16 bytes; frames beyond the
   * window's end are returned as a count of silent frames rather than as bytes.
   */
  take(upTo: number): { bytes: Buffer; silentFrames: number } {
    const count = Math.max(0, upTo - this.startFrame);
    const held = Math.min(count, this.capacity);
    const bytes = pcm16ToBytes(this.data.slice(0, held * 2));
    this.data.copyWithin(0, held * 2);
    this.data.fill(0, this.data.length - held * 2);
    this.startFrame += count;
    return { bytes, silentFrames: count - held };
  }
}
