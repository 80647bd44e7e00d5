// The main-thread side of the whisper worker: starts it, waits for the model to load, and hands
// it utterances one at a time. The worker is unref'd while idle so an unused model never keeps
// the process alive.
import { Worker } from 'node:worker_threads';
import { LocalModelError, printableReason } from './local-runtime-model-file.js';
import { whisperWorkerSource, type WhisperWorkerData, type WhisperWorkerReply, type WhisperWorkerRequest } from './whisper-worker-source.js';

/** What the model file must be, for messages. */
export const WHISPER_MODEL_EXPECTED = 'a whisper.cpp ggml model file (e.g. ggml-base.en.bin from the whisper.cpp model list)';

type Pending = { resolve: (text: string) => void; reject: (err: Error) => void };

export class WhisperWorker {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private deadReason: Error | null = null;
  private settleReady: { resolve: (multilingual: boolean) => void; reject: (err: Error) => void } | null = null;
  readonly ready: Promise<boolean>;

  private constructor(
    private readonly worker: Worker,
    private readonly modelPath: string,
  ) {
    this.ready = new Promise<boolean>((resolve, reject) => {
      this.settleReady = { resolve, reject };
    });
    worker.on('message', (reply: WhisperWorkerReply) => this.onReply(reply));
    worker.on('error', (err) => this.die(new Error(`whisper worker crashed: ${err.message}`)));
    worker.on('exit', (code) => this.die(new Error(`whisper worker exited (code ${code})`)));
  }

  /** Starts a worker that loads the model; rejects with a LocalModelError naming the file if it cannot. */
  static async start(data: WhisperWorkerData): Promise<WhisperWorker> {
    const worker = new WhisperWorker(new Worker(whisperWorkerSource, { eval: true, workerData: data }), data.modelPath);
    try {
      await worker.ready;
    } catch (err) {
      await worker.worker.terminate();
      throw err;
    }
    worker.worker.unref();
    return worker;
  }

  /** Transcribes 16 kHz mono float32 audio; the buffer is moved to the worker (unusable after). */
  transcribe(samples: Float32Array, language: string): Promise<string> {
    if (this.deadReason) return Promise.reject(this.deadReason);
    const id = this.nextId++;
    const request: WhisperWorkerRequest = { type: 'transcribe', id, samples, language };
    return new Promise<string>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage(request, [samples.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.die(new Error('whisper model closed'));
    await this.worker.terminate();
  }

  private onReply(reply: WhisperWorkerReply): void {
    switch (reply.type) {
      case 'ready':
        this.settleReady?.resolve(reply.multilingual);
        this.settleReady = null;
        return;
      case 'load_failed':
        this.die(new LocalModelError(`whisper: cannot load ${this.modelPath} (WHISPER_MODEL_PATH): ${printableReason(reply.message)}; it must be ${WHISPER_MODEL_EXPECTED}`));
        return;
      case 'result':
      case 'failed': {
        const waiter = this.pending.get(reply.id);
        if (!waiter) return;
        this.pending.delete(reply.id);
        if (this.pending.size === 0) this.worker.unref();
        if (reply.type === 'result') waiter.resolve(reply.text);
        else waiter.reject(new Error(`whisper: transcription failed: ${reply.message}`));
      }
    }
  }

  private die(reason: Error): void {
    if (!this.deadReason) this.deadReason = reason;
    this.settleReady?.reject(this.deadReason);
    this.settleReady = null;
    for (const waiter of this.pending.values()) waiter.reject(this.deadReason);
    this.pending.clear();
  }
}
