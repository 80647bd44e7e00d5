// One model, many calls: each stream cuts its audio into 512-sample windows and queues; the
// batcher runs every queued stream's next window in one batched model run, with each stream's
// own context and recurrent state gathered into the batch and scattered back out. While a
// batch runs, new windows wait for the next one, so batches grow with load by themselves.
import type { SileroBatchModel } from './silero-model.js';
import { SileroModelError } from './silero-model.js';
import {
  SILERO_CONTEXT_SAMPLES,
  SILERO_INPUT_SAMPLES,
  SILERO_STATE_FLOATS,
  SILERO_WINDOW_SAMPLES,
} from './silero-worker-source.js';
import { VAD_SAMPLE_RATE } from './vad.js';

export const SILERO_WINDOW_MS = (SILERO_WINDOW_SAMPLES * 1000) / VAD_SAMPLE_RATE;
const HALF_STATE = SILERO_STATE_FLOATS / 2;

export type ProbabilityListener = (probability: number, startMs: number, endMs: number) => void;

export interface SileroBatcherOptions {
  /** Most windows in one run; more wait for the next run. Default 512. */
  maxBatch?: number;
  /** Model failures and listener exceptions; the batcher carries on where it can. */
  onError?: (err: Error) => void;
}

export interface SileroBatcherStats {
  batches: number;
  windows: number;
  largestBatch: number;
}

export class SileroBatcher {
  readonly stats: SileroBatcherStats = { batches: 0, windows: 0, largestBatch: 0 };
  private readonly maxBatch: number;
  private readonly onError: (err: Error) => void;
  private readonly streams = new Set<SileroWindowStream>();
  /** Streams with a full window that are not in the running batch, in arrival order. */
  private queue: SileroWindowStream[] = [];
  private input: Float32Array;
  private state: Float32Array;
  private scheduled = false;
  private running: Promise<void> | null = null;
  private closed = false;
  private deadReason: string | null = null;

  constructor(
    private readonly model: SileroBatchModel,
    options: SileroBatcherOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 512;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1)) throw new RangeError(`maxBatch must be a positive integer`);
    this.onError = options.onError ?? (() => {});
    this.input = new Float32Array(this.maxBatch * SILERO_INPUT_SAMPLES);
    this.state = new Float32Array(this.maxBatch * SILERO_STATE_FLOATS);
  }

  /** Why the model stopped for good, or null while it works. */
  get failure(): string | null {
    return this.deadReason;
  }

  openStream(onProbability: ProbabilityListener): SileroWindowStream {
    if (this.closed) throw new Error('the Silero batcher is closed');
    const stream = new SileroWindowStream(this, onProbability);
    this.streams.add(stream);
    return stream;
  }

  /** Closes every stream, waits for the running batch and closes the model. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams]) stream.close();
    await this.running;
    await this.model.close();
  }

  /** @internal Called by a stream that has a full window and is neither queued nor running. */
  enqueue(stream: SileroWindowStream): void {
    if (!this.accepting) {
      stream.discardPending();
      return;
    }
    stream.queued = true;
    this.queue.push(stream);
    if (!this.running && !this.scheduled) {
      this.scheduled = true;
      // Deferred so that frames arriving in the same turn of the event loop share the batch.
      setImmediate(() => {
        this.scheduled = false;
        if (!this.running) this.startRunning();
      });
    }
  }

  /** @internal */
  forget(stream: SileroWindowStream): void {
    this.streams.delete(stream);
  }

  /** Resolves once every queued window has been run and delivered (or dropped by a failure). */
  async whenIdle(): Promise<void> {
    while (this.accepting && (this.scheduled || this.running || this.queue.length > 0)) {
      if (this.running) await this.running;
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Whether streams should keep buffering audio for the model. */
  get accepting(): boolean {
    return this.deadReason === null && !this.closed;
  }

  private startRunning(): void {
    // Cleared in a promise reaction, so never before `running` has been assigned.
    const run: Promise<void> = this.runBatches()
      .catch((err: Error) => this.onError(err))
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
  }

  private async runBatches(): Promise<void> {
    while (!this.closed && this.deadReason === null && this.queue.length > 0) await this.runOneBatch();
  }

  private async runOneBatch(): Promise<void> {
    const batch: SileroWindowStream[] = [];
    let taken = 0;
    while (taken < this.queue.length && batch.length < this.maxBatch) {
      const stream = this.queue[taken++];
      stream.queued = false;
      if (!stream.isClosed) batch.push(stream);
    }
    this.queue.splice(0, taken);
    const size = batch.length;
    if (size === 0) return;

    const spans = new Float64Array(size);
    for (let b = 0; b < size; b++) spans[b] = batch[b].gather(this.input, this.state, b, size);
    for (const stream of batch) stream.inFlight = true;

    let probabilities: Float32Array | null = null;
    try {
      const result = await this.model.run(size, this.input, this.state);
      this.input = result.input;
      this.state = result.state;
      probabilities = result.probabilities;
      this.stats.batches++;
      this.stats.windows += size;
      if (size > this.stats.largestBatch) this.stats.largestBatch = size;
    } catch (err) {
      this.recoverFrom(err as Error);
    }

    for (let b = 0; b < size; b++) {
      const stream = batch[b];
      stream.inFlight = false;
      if (stream.isClosed) continue;
      if (probabilities) stream.scatter(this.state, b, size);
      try {
        // The window's audio is consumed either way; without a probability it is skipped.
        if (probabilities) stream.deliver(probabilities[b], spans[b]);
      } catch (err) {
        this.onError(err as Error);
      }
      if (stream.hasWindow && !stream.isClosed) this.enqueue(stream);
    }
  }

  private recoverFrom(err: Error): void {
    this.onError(err);
    const buffers = err instanceof SileroModelError ? err.buffers : undefined;
    if (buffers) {
      this.input = buffers.input;
      this.state = buffers.state;
    } else if (this.input.byteLength === 0) {
      // Buffers transferred away and not handed back.
      this.input = new Float32Array(this.maxBatch * SILERO_INPUT_SAMPLES);
      this.state = new Float32Array(this.maxBatch * SILERO_STATE_FLOATS);
    }
    if (!(err instanceof SileroModelError) || err.fatal) {
      this.deadReason = err.message;
      this.queue = [];
    }
  }
}

/** One call's audio, cut into windows for the batcher; probabilities come back per window. */
export class SileroWindowStream {
  /** @internal */ queued = false;
  /** @internal */ inFlight = false;
  private closed = false;
  /** Samples pushed but not yet gathered into a batch, as floats. */
  private pendingSamples = new Float32Array(4 * SILERO_WINDOW_SAMPLES);
  private pendingCount = 0;
  private readonly context = new Float32Array(SILERO_CONTEXT_SAMPLES);
  private readonly recurrent = new Float32Array(SILERO_STATE_FLOATS);
  private samplesPushed = 0;
  private windowsGathered = 0;
  private processedEndMs = 0;

  constructor(
    private readonly batcher: SileroBatcher,
    private readonly onProbability: ProbabilityListener,
  ) {}

  get audioMs(): number {
    return (this.samplesPushed * 1000) / VAD_SAMPLE_RATE;
  }

  /** Audio time up to which probabilities have been delivered. */
  get processedMs(): number {
    return this.processedEndMs;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get hasWindow(): boolean {
    return this.pendingCount >= SILERO_WINDOW_SAMPLES;
  }

  push(frame: Int16Array): void {
    if (this.closed) return;
    this.samplesPushed += frame.length;
    // With the model gone there is nothing to buffer for; the audio is only counted.
    if (!this.batcher.accepting) return;
    this.ensureRoom(frame.length);
    const buf = this.pendingSamples;
    let at = this.pendingCount;
    for (let i = 0; i < frame.length; i++) buf[at++] = frame[i] / 32768;
    this.pendingCount = at;
    if (this.hasWindow && !this.queued && !this.inFlight) this.batcher.enqueue(this);
  }

  /** No probability is delivered after this returns. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.forget(this);
  }

  /** @internal Writes this stream's next window and state into batch row `row`; returns the window index. */
  gather(input: Float32Array, state: Float32Array, row: number, batchSize: number): number {
    const base = row * SILERO_INPUT_SAMPLES;
    input.set(this.context, base);
    input.set(this.pendingSamples.subarray(0, SILERO_WINDOW_SAMPLES), base + SILERO_CONTEXT_SAMPLES);
    this.context.set(
      this.pendingSamples.subarray(SILERO_WINDOW_SAMPLES - SILERO_CONTEXT_SAMPLES, SILERO_WINDOW_SAMPLES),
    );
    this.pendingSamples.copyWithin(0, SILERO_WINDOW_SAMPLES, this.pendingCount);
    this.pendingCount -= SILERO_WINDOW_SAMPLES;
    // State layout is [2, batch, 128]: layer-major, so this row's two halves are batchSize rows apart.
    state.set(this.recurrent.subarray(0, HALF_STATE), row * HALF_STATE);
    state.set(this.recurrent.subarray(HALF_STATE), (batchSize + row) * HALF_STATE);
    return this.windowsGathered++;
  }

  /** @internal */
  scatter(state: Float32Array, row: number, batchSize: number): void {
    this.recurrent.set(state.subarray(row * HALF_STATE, (row + 1) * HALF_STATE), 0);
    this.recurrent.set(state.subarray((batchSize + row) * HALF_STATE, (batchSize + row + 1) * HALF_STATE), HALF_STATE);
  }

  /** @internal */
  deliver(probability: number, windowIndex: number): void {
    const startMs = windowIndex * SILERO_WINDOW_MS;
    this.processedEndMs = startMs + SILERO_WINDOW_MS;
    this.onProbability(probability, startMs, this.processedEndMs);
  }

  /** @internal */
  discardPending(): void {
    this.pendingCount = 0;
  }

  private ensureRoom(extra: number): void {
    const needed = this.pendingCount + extra;
    if (needed <= this.pendingSamples.length) return;
    let size = this.pendingSamples.length * 2;
    while (size < needed) size *= 2;
    const grown = new Float32Array(size);
    grown.set(this.pendingSamples.subarray(0, this.pendingCount));
    this.pendingSamples = grown;
  }
}
