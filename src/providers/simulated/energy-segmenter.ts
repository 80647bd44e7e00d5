// A deliberately simple speech segmenter for the simulated STT: fixed frames, an RMS threshold and
// a silence hangover. It lets the simulator find utterances in the audio it is actually given.

export type EnergySegmenterOptions = {
  sampleRate: number;
  /** A frame whose RMS is above this level (dBFS) counts as speech. */
  thresholdDbfs: number;
  /** Continuous silence that closes a segment. */
  endSilenceMs: number;
  frameMs?: number;
};

export interface SpeechSegmentListener {
  /** `startMs` is the start of the first loud frame, in audio-stream time. */
  onSpeechStart(startMs: number): void;
  /** After every later frame while the segment is still open; `audioMs` is that frame's end. */
  onSegmentFrame(startMs: number, audioMs: number): void;
  /** The silence decision; `endMs` is the end of the last loud frame. */
  onSpeechEnd(startMs: number, endMs: number): void;
}

export class EnergySegmenter {
  private readonly frameLength: number;
  private readonly thresholdPower: number;
  private readonly endSilenceFrames: number;
  private readonly msPerSample: number;

  private samplesSeen = 0;
  private frameFill = 0;
  private frameSumSquares = 0;

  private open = false;
  private segmentStart = 0;
  private lastSpeechEnd = 0;
  private silentFrames = 0;

  constructor(
    options: EnergySegmenterOptions,
    private readonly listener: SpeechSegmentListener,
  ) {
    const frameMs = options.frameMs ?? 20;
    if (!(options.sampleRate > 0)) throw new RangeError(`sampleRate must be positive, got ${options.sampleRate}`);
    this.frameLength = Math.max(1, Math.round((options.sampleRate * frameMs) / 1000));
    const thresholdAmplitude = 32768 * 10 ** (options.thresholdDbfs / 20);
    this.thresholdPower = thresholdAmplitude * thresholdAmplitude;
    this.endSilenceFrames = Math.max(1, Math.ceil(options.endSilenceMs / frameMs));
    this.msPerSample = 1000 / options.sampleRate;
  }

  get inSegment(): boolean {
    return this.open;
  }

  /** Audio-stream time of everything pushed so far. */
  get audioMs(): number {
    return this.samplesSeen * this.msPerSample;
  }

  push(samples: Int16Array): void {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i];
      this.frameSumSquares += s * s;
      this.samplesSeen++;
      if (++this.frameFill === this.frameLength) {
        this.endFrame(this.frameSumSquares > this.thresholdPower * this.frameLength);
        this.frameFill = 0;
        this.frameSumSquares = 0;
      }
    }
  }

  /** Closes the open segment now, as if its trailing silence had been heard. False when none is open. */
  forceEnd(): boolean {
    if (!this.open) return false;
    this.close();
    return true;
  }

  private endFrame(loud: boolean): void {
    const frameEnd = this.samplesSeen;
    if (!this.open) {
      if (!loud) return;
      this.open = true;
      this.segmentStart = frameEnd - this.frameLength;
      this.lastSpeechEnd = frameEnd;
      this.silentFrames = 0;
      this.listener.onSpeechStart(this.segmentStart * this.msPerSample);
      this.listener.onSegmentFrame(this.segmentStart * this.msPerSample, frameEnd * this.msPerSample);
      return;
    }
    if (loud) {
      this.lastSpeechEnd = frameEnd;
      this.silentFrames = 0;
    } else if (++this.silentFrames >= this.endSilenceFrames) {
      this.close();
      return;
    }
    this.listener.onSegmentFrame(this.segmentStart * this.msPerSample, frameEnd * this.msPerSample);
  }

  private close(): void {
    this.open = false;
    this.listener.onSpeechEnd(this.segmentStart * this.msPerSample, this.lastSpeechEnd * this.msPerSample);
  }
}
