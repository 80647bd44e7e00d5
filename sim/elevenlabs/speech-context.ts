// One ElevenLabs synthesis context: the text buffer with its chunk schedule, and the generations it
// triggers, streamed one after another in real time. A generation's first piece leaves `ttsTtfbMs` after
// the text that triggered it (or when the previous generation has finished, if later); later pieces follow
// at `ttsRealtimeFactor` times real time. The single-context socket has one of these; the multi-context
// socket one per `context_id`.
import { performance } from 'node:perf_hooks';
import type { SimLatencies } from '../sim-control.js';
import type { SimOutputFormat } from './elevenlabs-formats.js';
import { renderGeneration, type SpeechPiece } from './speech-pieces.js';
import { TextSchedule } from './text-schedule.js';

export type SpeechContextOptions = {
  format: SimOutputFormat;
  voice: string;
  syncAlignment: boolean;
  autoMode: boolean;
  schedule: readonly number[];
  latencies: SimLatencies;
  /** One audio piece is due. */
  onAudio(piece: SpeechPiece): void;
  /** Input ended (EOS or close) and every generation has been sent. */
  onFinal(): void;
};

export class SpeechContext {
  private readonly text: TextSchedule;
  private readonly queue: Array<{ text: string; requestedAt: number }> = [];
  private running = false;
  private stopped = false;
  private ending = false;
  private finalSent = false;
  /** Wall time at which the previous generation's last piece is due. */
  private playheadAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: SpeechContextOptions) {
    this.text = new TextSchedule(options.schedule, options.autoMode);
  }

  addText(text: string, flush: boolean): void {
    if (this.ending || this.stopped) return;
    this.enqueue(this.text.push(text));
    if (flush) this.enqueue(this.text.flush());
  }

  flush(): void {
    if (this.ending || this.stopped) return;
    this.enqueue(this.text.flush());
  }

  /** End of input: generate what is buffered, then report final. */
  end(): void {
    if (this.ending || this.stopped) return;
    this.enqueue(this.text.flush());
    this.ending = true;
    this.maybeFinish();
  }

  /** Close without generating the unflushed buffer; generations already triggered still complete. */
  close(): void {
    if (this.ending || this.stopped) return;
    this.text.discard();
    this.ending = true;
    this.maybeFinish();
  }

  /** Cancels everything at once (the socket went away). */
  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.wake?.();
  }

  /** True while generations are queued or streaming. */
  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  get ended(): boolean {
    return this.ending;
  }

  private enqueue(texts: string[]): void {
    const now = performance.now();
    for (const text of texts) this.queue.push({ text, requestedAt: now });
    if (texts.length > 0 && !this.running) void this.drain();
  }

  private async drain(): Promise<void> {
    this.running = true;
    const { latencies, format, voice, syncAlignment } = this.options;
    while (this.queue.length > 0 && !this.stopped) {
      const { text, requestedAt } = this.queue.shift()!;
      const generation = renderGeneration(text, format, { voice, syncAlignment });
      const startAt = Math.max(requestedAt + latencies.ttsTtfbMs, this.playheadAt);
      for (const piece of generation.pieces) {
        await this.sleepUntil(startAt + piece.startMs / latencies.ttsRealtimeFactor);
        if (this.stopped) break;
        this.options.onAudio(piece);
      }
      this.playheadAt = startAt + generation.durationMs / latencies.ttsRealtimeFactor;
    }
    this.running = false;
    this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.ending || this.busy || this.finalSent || this.stopped) return;
    this.finalSent = true;
    this.options.onFinal();
  }

  private sleepUntil(at: number): Promise<void> {
    const delay = at - performance.now();
    if (delay <= 0 || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
      this.timer = setTimeout(() => {
        this.timer = null;
        this.wake?.();
      }, delay);
    });
  }
}
