// What the simulated recognizers "hear". It really listens: an energy segmenter finds the speech
// segments in the audio it is sent, and the N-th segment of a tag is transcribed as the N-th script
// line, its words spread over the segment. The position in the script is kept per tag across
// connections, so a reconnecting client continues the same conversation.
//
// With `msPerWord` set, a segment shorter than its line's expected length is heard only in part:
// the final keeps the LAST words that fit (the audio before the cut never reached this connection).
// That is what makes a lost head of an utterance visible in the transcript.
import { EnergySegmenter } from '../src/providers/simulated/energy-segmenter.js';

export type SimWord = { word: string; startMs: number; endMs: number; confidence: number };

export type TranscriberEvent =
  | { type: 'speech_started'; atMs: number }
  /** The words heard so far in the open segment (interim). */
  | { type: 'interim'; words: SimWord[]; startMs: number; endMs: number }
  /** A finished segment. `endOfSpeech` is false when it was cut by `flush()` rather than by silence. */
  | { type: 'final'; words: SimWord[]; startMs: number; endMs: number; endOfSpeech: boolean };

export interface SimTranscriberStream {
  write(samples: Int16Array): void;
  /** Finishes the open segment now (Deepgram Finalize, end of a batch file). */
  flush(): void;
  /** Audio time of everything written, ms. */
  readonly audioMs: number;
}

export interface SimTranscriber {
  open(options: { sampleRate: number; tag?: string; endpointingMs?: number; interimIntervalMs?: number }, onEvent: (e: TranscriberEvent) => void): SimTranscriberStream;
}

export type ScriptTranscriberOptions = {
  script: string[];
  /** Expected speaking time per word; null: every segment is heard whole. */
  msPerWord?: number | null;
  /** Frame RMS above this counts as speech. Default -40 dBFS. */
  thresholdDbfs?: number;
  confidence?: number;
};

const DEFAULT_INTERIM_MS_PER_WORD = 300;

export class ScriptTranscriber implements SimTranscriber {
  private readonly cursors = new Map<string, number>();

  constructor(private readonly options: ScriptTranscriberOptions) {}

  /** The next line for `tag`, and moves past it. */
  nextLine(tag: string): string {
    const index = this.cursors.get(tag) ?? 0;
    this.cursors.set(tag, index + 1);
    return this.options.script.length === 0 ? '' : this.options.script[index % this.options.script.length];
  }

  open(
    options: { sampleRate: number; tag?: string; endpointingMs?: number; interimIntervalMs?: number },
    onEvent: (e: TranscriberEvent) => void,
  ): SimTranscriberStream {
    const tag = options.tag ?? '';
    const confidence = this.options.confidence ?? 0.93;
    const msPerWord = this.options.msPerWord ?? null;
    const interimEvery = options.interimIntervalMs ?? 200;
    let lastInterimAt = 0;
    const layout = (text: string, startMs: number, endMs: number, count: number): SimWord[] => {
      const all = text.split(/\s+/).filter(Boolean);
      const words = all.slice(all.length - count);
      const span = Math.max(1, endMs - startMs);
      const total = words.reduce((n, w) => n + w.length + 1, 0);
      let offset = 0;
      return words.map((word) => {
        const w0 = startMs + (offset / total) * span;
        offset += word.length + 1;
        const w1 = startMs + ((offset - 1) / total) * span;
        return { word, startMs: Math.round(w0), endMs: Math.round(w1), confidence };
      });
    };
    const heardCount = (text: string, durationMs: number): number => {
      const n = text.split(/\s+/).filter(Boolean).length;
      if (msPerWord === null) return n;
      return Math.min(n, Math.round(durationMs / msPerWord));
    };
    const segmenter = new EnergySegmenter(
      { sampleRate: options.sampleRate, thresholdDbfs: this.options.thresholdDbfs ?? -40, endSilenceMs: options.endpointingMs ?? 300 },
      {
        onSpeechStart: (startMs) => {
          lastInterimAt = startMs;
          onEvent({ type: 'speech_started', atMs: startMs });
        },
        onSegmentFrame: (startMs, audioMs) => {
          if (audioMs - lastInterimAt < interimEvery) return;
          lastInterimAt = audioMs;
          const line = this.peekLine(tag);
          const n = line.split(/\s+/).filter(Boolean).length;
          const revealed = Math.min(n, Math.ceil((audioMs - startMs) / DEFAULT_INTERIM_MS_PER_WORD));
          const words = layout(line, startMs, audioMs, n).slice(0, revealed);
          onEvent({ type: 'interim', words, startMs, endMs: audioMs });
        },
        onSpeechEnd: (startMs, endMs) => {
          const line = this.nextLine(tag);
          onEvent({ type: 'final', words: layout(line, startMs, endMs, heardCount(line, endMs - startMs)), startMs, endMs, endOfSpeech: !flushing });
        },
      },
    );
    let flushing = false;
    return {
      write: (samples) => segmenter.push(samples),
      flush: () => {
        flushing = true;
        segmenter.forceEnd();
        flushing = false;
      },
      get audioMs() {
        return segmenter.audioMs;
      },
    };
  }

  private peekLine(tag: string): string {
    const index = this.cursors.get(tag) ?? 0;
    return this.options.script.length === 0 ? '' : this.options.script[index % this.options.script.length];
  }
}
