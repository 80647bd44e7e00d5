// A streaming face on a batch recognizer (OpenAI transcription, whisper.cpp): the caller's audio
// is kept until finalize(), which hands it over as one segment; segments are transcribed one at a
// time, in order, each answered by at most one final. close() transcribes what is left, then ends.
import { concatPcm } from '../audio/pcm.js';
import type { SttOpenOptions, SttStream } from './types.js';

/** One utterance's audio, with its place on the stream's timeline. */
export type AudioSegment = { samples: Int16Array; startMs: number; endMs: number };

export abstract class BatchSttStream implements SttStream {
  private pending: Int16Array[] = [];
  /** Audio time (samples at the stream rate) where the pending audio starts. */
  private segmentStart = 0;
  private queue: Promise<void> = Promise.resolve();
  /** No more audio is taken (close() was called). */
  private closing = false;
  /** Nothing more is emitted (finished, failed or aborted). */
  protected stopped = false;

  constructor(
    protected readonly request: SttOpenOptions,
    provider: string,
    /** Shorter segments are dropped: too short to hold a word, and some services refuse them. */
    private readonly minSegmentMs: number,
  ) {
    if (!(Number.isInteger(request.sampleRate) && request.sampleRate > 0)) throw new RangeError(`${provider}: sampleRate must be a positive integer, got ${request.sampleRate}`);
    // Aborted before it began: nothing is in flight, so nothing to cancel.
    if (request.signal.aborted) this.stopped = true;
    else request.signal.addEventListener('abort', this.stop, { once: true });
  }

  write(samples: Int16Array): void {
    if (this.stopped || this.closing || samples.length === 0) return;
    // Copy: the caller may reuse its buffer.
    this.pending.push(samples.slice());
  }

  finalize(): void {
    if (this.stopped || this.closing) return;
    this.flushSegment();
  }

  /** Transcribes what is pending, then ends the stream. */
  close(): void {
    if (this.stopped || this.closing) return;
    this.closing = true;
    this.flushSegment();
    this.queue = this.queue.then(() => this.stop());
  }

  /** Transcribes one segment and emits its final (or an error); checks `stopped` after each await. */
  protected abstract transcribe(segment: AudioSegment): Promise<void>;

  /** Cancels whatever the subclass has in flight. */
  protected onStop(): void {}

  protected readonly stop = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    this.pending = [];
    this.request.signal.removeEventListener('abort', this.stop);
    this.onStop();
  };

  private flushSegment(): void {
    const rate = this.request.sampleRate;
    const samples = concatPcm(this.pending);
    const start = this.segmentStart;
    this.segmentStart += samples.length;
    this.pending = [];
    const segment = { samples, startMs: (start / rate) * 1000, endMs: ((start + samples.length) / rate) * 1000 };
    if (segment.endMs - segment.startMs < this.minSegmentMs) return;
    this.queue = this.queue.then(() => this.transcribe(segment));
  }
}
