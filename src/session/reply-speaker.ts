// Synthesizes a reply's chunks in order and feeds the audio to the playout, with backpressure so a
// fast TTS never piles up more than a few seconds ahead of the caller.
import { samplesToMs } from '../audio/pcm.js';
import type { TtsProvider, WordTiming } from '../providers/types.js';
import type { Playout } from './playout.js';

export interface ReplySpeakerEvents {
  onRequest(chunkId: number): void;
  onAudio(chunkId: number, durationMs: number, words: readonly WordTiming[] | undefined, first: boolean): void;
  onChunkDone(chunkId: number): void;
  /** The chunk could not be synthesized; `text` is what it should have said. */
  onChunkError(chunkId: number, message: string, text: string): void;
}

export class ReplySpeaker {
  private readonly abort = new AbortController();
  private readonly queue: { chunkId: number; text: string }[] = [];
  private running = false;
  private ended = false;
  private gotAudio = false;

  constructor(
    private readonly turnId: string,
    private readonly tts: TtsProvider,
    private readonly playout: Playout,
    private readonly options: { sampleRate: number; voice?: string; aheadMs: number; callId?: string },
    private readonly events: ReplySpeakerEvents,
  ) {}

  speak(chunkId: number, text: string): void {
    if (this.abort.signal.aborted) return;
    this.queue.push({ chunkId, text });
    void this.drain();
  }

  end(): void {
    this.ended = true;
    void this.drain();
  }

  cancel(): void {
    this.abort.abort();
    this.queue.length = 0;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        const { chunkId, text } = this.queue.shift()!;
        await this.synthesize(chunkId, text);
      }
      if (this.ended && !this.abort.signal.aborted && this.queue.length === 0) this.playout.end(this.turnId);
    } finally {
      this.running = false;
    }
  }

  private async synthesize(chunkId: number, text: string): Promise<void> {
    const signal = this.abort.signal;
    let samples = 0;
    const words: WordTiming[] = [];
    // What the turn core holds; replaced (never mutated) when new word timings arrive.
    let heardWords: readonly WordTiming[] | undefined;
    this.events.onRequest(chunkId);
    try {
      for await (const audio of this.tts.synthesize({ text, sampleRate: this.options.sampleRate, voice: this.options.voice, signal, turnId: this.turnId, callId: this.options.callId })) {
        if (signal.aborted) return;
        if (audio.words?.length) {
          words.push(...audio.words);
          heardWords = words.slice();
        }
        samples += audio.samples.length;
        this.playout.push(this.turnId, audio.samples);
        const first = !this.gotAudio;
        this.gotAudio = true;
        this.events.onAudio(chunkId, samplesToMs(samples, this.options.sampleRate), heardWords, first);
        await this.playout.whenBelow(this.options.aheadMs);
      }
      if (!signal.aborted) this.events.onChunkDone(chunkId);
    } catch (err) {
      if (signal.aborted) return;
      this.events.onChunkError(chunkId, err instanceof Error ? err.message : String(err), text);
    }
  }
}
