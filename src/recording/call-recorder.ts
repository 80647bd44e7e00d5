// Records one call as a stereo 16-bit WAV (caller left, agent right) on one timeline that starts
// when the call starts, streamed to disk as the call runs. Nothing here blocks or throws into the
// voice path: a slow disk costs recorded audio (counted), a failing one stops the recording.
import { CallerAlignment } from './caller-alignment.js';
import { RecordingFileWriter } from './recording-file-writer.js';
import { StereoWindow } from './stereo-window.js';
import { MAX_WAV_DATA_BYTES, WAV_HEADER_BYTES, streamingWavHeader } from './wav-stream-header.js';

export type CallRecorderOptions = {
  /** The file to write (its folder must exist: see prepareRecordingPath). */
  path: string;
  /** The session's internal sample rate; both channels are recorded at it. */
  sampleRate: number;
  /** Session clock time (ms) at the start of the call: sample 0 of the recording. */
  startAt: number;
  /** Audio past this length is not recorded. Default 4 hours (and never more than a WAV can hold). */
  maxDurationMs?: number;
  /** Told once about the error that stopped the recording (the call goes on). */
  onError?: (error: Error) => void;
  /** Arrival gaps in caller audio longer than this become silence. Default 200 ms. */
  gapToleranceMs?: number;
  /** Audio is handed to the disk in batches of this much. Default 200 ms (at most 64 KiB). */
  batchMs?: number;
  /** Audio that may wait for a slow disk before new audio is dropped. Default 1 MiB. */
  maxQueuedBytes?: number;
};

export type RecordingResult = {
  path: string;
  /** Length of the recording; 0 when it failed. */
  durationMs: number;
  /** Size of the file; 0 when it failed (the partial file is removed). */
  bytes: number;
  /** Audio replaced by silence because the disk had fallen behind. */
  droppedMs: number;
  /** What stopped the recording, if anything did: do not link a failed recording to its call. */
  error: Error | null;
};

const CHANNELS = 2;
const BYTES_PER_FRAME = CHANNELS * 2;
const DEFAULT_MAX_DURATION_MS = 4 * 60 * 60 * 1000;
/** Agent frames may be sent a little behind the latest clock time seen (a late event loop). */
const LATE_SLACK_MS = 1000;
/** Audio held in memory before the disk; must exceed the slack plus a batch. */
const WINDOW_MS = 3000;
const MAX_BATCH_BYTES = 64 * 1024;
/** The most caller audio held back while a network gap is measured. */
const MAX_HELD_MS = 2000;

function positive(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return v;
}

export class CallRecorder {
  readonly path: string;
  readonly sampleRate: number;
  private readonly startAt: number;
  private readonly limit: number;
  private readonly batchFrames: number;
  private readonly slackFrames: number;
  private readonly window: StereoWindow;
  private readonly writer: RecordingFileWriter;
  private readonly callerLine: CallerAlignment;
  private readonly onError?: (error: Error) => void;
  private agentNext = 0;
  /** One past the last frame any channel wrote. */
  private extent = 0;
  /** The latest session time seen, as a frame index. */
  private latest = 0;
  private stopped = false;
  private closing: Promise<RecordingResult> | null = null;

  constructor(options: CallRecorderOptions) {
    if (typeof options.path !== 'string' || options.path === '') throw new RangeError('recording path is empty');
    if (!Number.isInteger(options.sampleRate) || options.sampleRate <= 0) {
      throw new RangeError(`sample rate must be a positive integer, got ${options.sampleRate}`);
    }
    if (!Number.isFinite(options.startAt)) throw new RangeError(`startAt must be a finite time, got ${options.startAt}`);
    this.path = options.path;
    this.sampleRate = options.sampleRate;
    this.startAt = options.startAt;
    this.onError = options.onError;
    const framesIn = (ms: number) => Math.round((ms * this.sampleRate) / 1000);
    const maxDurationMs = positive('maxDurationMs', options.maxDurationMs, DEFAULT_MAX_DURATION_MS);
    this.limit = Math.min(framesIn(maxDurationMs), Math.floor(MAX_WAV_DATA_BYTES / BYTES_PER_FRAME));
    const batchMs = positive('batchMs', options.batchMs, 200);
    this.batchFrames = Math.max(1, Math.min(framesIn(batchMs), MAX_BATCH_BYTES / BYTES_PER_FRAME));
    this.slackFrames = framesIn(LATE_SLACK_MS);
    this.window = new StereoWindow(Math.max(framesIn(WINDOW_MS), this.slackFrames + 2 * this.batchFrames));
    this.writer = new RecordingFileWriter({
      path: this.path,
      header: streamingWavHeader(this.sampleRate, CHANNELS),
      maxQueuedBytes: positive('maxQueuedBytes', options.maxQueuedBytes, 1024 * 1024),
      onError: (error) => this.stop(error),
    });
    this.callerLine = new CallerAlignment({
      frameAt: (time) => this.frameAt(time),
      gapFrames: framesIn(options.gapToleranceMs ?? 200),
      burstSpacingMs: 10,
      maxHeldFrames: framesIn(MAX_HELD_MS),
      place: (start, samples) => this.place(0, start, samples),
    });
  }

  /** Memory the recording holds right now: the timeline window, held caller audio and the disk queue. */
  get bufferedBytes(): number {
    return this.window.bytes + this.callerLine.heldSamples * 2 + this.writer.queuedBytes;
  }

  /** Audio replaced by silence so far because the disk had fallen behind. */
  get droppedMs(): number {
    return (this.writer.droppedBytes / BYTES_PER_FRAME / this.sampleRate) * 1000;
  }

  /** True once an error stopped the recording. */
  get failed(): boolean {
    return this.writer.error !== null;
  }

  /** A frame of caller audio (session rate) that arrived at session time `at`. */
  caller(frame: Int16Array, at: number): void {
    if (this.stopped || !Number.isFinite(at)) return;
    this.guard(() => {
      this.seen(this.frameAt(at));
      this.callerLine.push(frame, at);
      this.flushSettled();
    });
  }

  /** A frame of agent audio (session rate) due to play at session time `dueAt`. */
  agent(frame: Int16Array, dueAt: number): void {
    if (this.stopped || !Number.isFinite(dueAt)) return;
    this.guard(() => {
      const due = this.frameAt(dueAt);
      this.seen(due + frame.length);
      // Agent frames never overlap: a late one goes right after the one before it.
      this.agentNext = this.place(1, Math.max(this.agentNext, due), frame);
      this.flushSettled();
    });
  }

  /** Resolves once the audio handed to the disk so far is written (for tests and shutdown). */
  drain(): Promise<void> {
    return this.writer.drain();
  }

  /**
   * Ends the recording: writes the rest, patches the header sizes and closes the file. `endAt`
   * (session time) extends the recording with silence to the end of the call. Never rejects.
   */
  close(endAt?: number): Promise<RecordingResult> {
    this.closing ??= this.finish(endAt);
    return this.closing;
  }

  private async finish(endAt: number | undefined): Promise<RecordingResult> {
    if (!this.stopped) {
      this.guard(() => {
        this.callerLine.release();
        let end = this.extent;
        if (endAt !== undefined && Number.isFinite(endAt)) end = Math.max(end, this.frameAt(endAt));
        this.flushTo(Math.min(end, this.limit));
      });
    }
    this.stopped = true;
    const { dataBytes, error } = await this.writer.finish();
    return {
      path: this.path,
      durationMs: (dataBytes / BYTES_PER_FRAME / this.sampleRate) * 1000,
      bytes: error ? 0 : WAV_HEADER_BYTES + dataBytes,
      droppedMs: this.droppedMs,
      error,
    };
  }

  private frameAt(time: number): number {
    return Math.round(((time - this.startAt) * this.sampleRate) / 1000);
  }

  private seen(frame: number): void {
    if (frame > this.latest) this.latest = frame;
  }

  /**
   * Writes samples to a channel from frame `start`, or from the first frame still in memory if
   * `start` was already written out. Returns the frame after the samples.
   */
  private place(channel: 0 | 1, start: number, samples: Int16Array): number {
    let at = Math.max(start, this.window.start);
    const end = at + samples.length;
    for (let from = 0; from < samples.length && at < this.limit; ) {
      const count = Math.min(samples.length - from, this.window.capacity, this.limit - at);
      if (at + count > this.window.end) this.flushTo(at + count - this.window.capacity);
      this.window.write(channel, at, samples.subarray(from, from + count));
      from += count;
      at += count;
      if (at > this.extent) this.extent = at;
    }
    return end;
  }

  /** Hands to the disk every batch that no channel can still write into. */
  private flushSettled(): void {
    const floor = this.latest - this.slackFrames;
    const settled = Math.min(
      Math.max(this.callerLine.position, floor),
      Math.max(this.agentNext, floor),
      this.limit,
    );
    if (settled - this.window.start >= this.batchFrames) this.flushTo(settled);
  }

  private flushTo(upTo: number): void {
    if (upTo <= this.window.start) return;
    const { bytes, silentFrames } = this.window.take(upTo);
    this.writer.append(bytes);
    this.writer.appendSilence(silentFrames * BYTES_PER_FRAME);
  }

  /** Runs a step of the recording; an unexpected error stops the recording, never the call. */
  private guard(step: () => void): void {
    try {
      step();
    } catch (err) {
      // The writer reports it (through stop) and removes the file: a recording with a hole in its
      // logic is not worth keeping.
      this.writer.abort(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** The writer failed (or was aborted): record nothing more, and tell the owner once. */
  private stop(error: Error): void {
    if (this.stopped) return;
    this.stopped = true;
    try {
      this.onError?.(error);
    } catch {
      // A failing error handler must not reach the voice path either.
    }
  }
}
