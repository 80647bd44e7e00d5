// A scripted STT that still listens: it finds speech segments in the audio written to it with its
// own energy detector, and the N-th segment of a stream is transcribed as the N-th script line.
// Timing is therefore driven by the caller's real speech; only the words come from the script.
import type { Clock, TimerHandle } from '../../clock.js';
import type { SttEvent, SttOpenOptions, SttProvider, SttStream, WordTiming, ProviderCapabilities } from '../types.js';
import { EnergySegmenter, type SpeechSegmentListener } from './energy-segmenter.js';

export type SimulatedSttOptions = {
  clock: Clock;
  /** Utterance per detected segment, by 0-based segment index within a stream. Empty or missing: no transcript. */
  script: string[] | ((index: number) => string);
  /** Vendor latency from the silence decision (or `finalize()`) to the `final` event. */
  finalDelayMs: number;
  /** Audio time between partials while a segment is open. Default 100. */
  partialIntervalMs?: number;
  /** Confidence on finals and their words. Default 0.95. */
  confidence?: number;
  /** Frame RMS above this counts as speech. Default -40 dBFS. */
  onsetThresholdDbfs?: number;
  /** Silence that ends a segment. Default 300. */
  endSilenceMs?: number;
  /** Assumed speaking rate used to reveal words in partials. Default 150. */
  msPerWord?: number;
};

export class SimulatedStt implements SttProvider {
  readonly name = 'simulated';
  readonly capabilities: ProviderCapabilities = { sampleRates: [8000, 16000, 22050, 24000, 44100, 48000], wordTimestamps: false, languages: ['*'], streaming: true };

  constructor(private readonly options: SimulatedSttOptions) {
    if (!(options.finalDelayMs >= 0)) throw new RangeError(`finalDelayMs must be >= 0, got ${options.finalDelayMs}`);
    if (options.partialIntervalMs !== undefined && !(options.partialIntervalMs > 0)) {
      throw new RangeError(`partialIntervalMs must be > 0, got ${options.partialIntervalMs}`);
    }
    if (options.msPerWord !== undefined && !(options.msPerWord > 0)) {
      throw new RangeError(`msPerWord must be > 0, got ${options.msPerWord}`);
    }
  }

  open(options: SttOpenOptions): SttStream {
    return new SimulatedSttStream(this.options, options);
  }
}

class SimulatedSttStream implements SttStream, SpeechSegmentListener {
  private readonly segmenter: EnergySegmenter;
  private readonly pending = new Set<TimerHandle>();
  private readonly partialIntervalMs: number;
  private readonly msPerWord: number;
  private readonly confidence: number;
  private stopped = false;
  private segmentIndex = 0;
  /** Words of the utterance for the open segment; empty when the script has nothing for it. */
  private words: string[] = [];
  private nextPartialAtMs = 0;

  constructor(
    private readonly config: SimulatedSttOptions,
    private readonly request: SttOpenOptions,
  ) {
    this.partialIntervalMs = config.partialIntervalMs ?? 100;
    this.msPerWord = config.msPerWord ?? 150;
    this.confidence = config.confidence ?? 0.95;
    this.segmenter = new EnergySegmenter(
      {
        sampleRate: request.sampleRate,
        thresholdDbfs: config.onsetThresholdDbfs ?? -40,
        endSilenceMs: config.endSilenceMs ?? 300,
      },
      this,
    );
    if (request.signal.aborted) this.stop();
    else request.signal.addEventListener('abort', this.stop, { once: true });
  }

  write(samples: Int16Array): void {
    if (this.stopped) return;
    this.segmenter.push(samples);
  }

  finalize(): void {
    if (this.stopped) return;
    this.segmenter.forceEnd();
  }

  /** Ends the stream at once: pending finals are dropped and nothing more is emitted. */
  close(): void {
    this.stop();
  }

  onSpeechStart(): void {
    this.words = splitWords(this.utterance(this.segmentIndex++));
    this.nextPartialAtMs = this.partialIntervalMs;
  }

  onSegmentFrame(startMs: number, audioMs: number): void {
    const elapsed = audioMs - startMs;
    if (elapsed < this.nextPartialAtMs) return;
    while (this.nextPartialAtMs <= elapsed) this.nextPartialAtMs += this.partialIntervalMs;
    const revealed = Math.min(this.words.length, Math.floor(elapsed / this.msPerWord));
    if (revealed === 0) return;
    this.emit({ type: 'partial', text: this.words.slice(0, revealed).join(' '), startMs, endMs: audioMs });
  }

  onSpeechEnd(startMs: number, endMs: number): void {
    const words = this.words;
    this.words = [];
    if (words.length === 0 || this.stopped) return;
    const final: SttEvent = {
      type: 'final',
      text: words.join(' '),
      confidence: this.confidence,
      startMs,
      endMs,
      words: spreadWords(words, startMs, endMs, this.confidence),
    };
    const timer = this.config.clock.setTimeout(() => {
      this.pending.delete(timer);
      this.emit(final);
    }, this.config.finalDelayMs);
    this.pending.add(timer);
  }

  private utterance(index: number): string | undefined {
    const { script } = this.config;
    return typeof script === 'function' ? script(index) : script[index];
  }

  private emit(event: SttEvent): void {
    if (!this.stopped) this.request.onEvent(event);
  }

  private readonly stop = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    for (const timer of this.pending) timer.cancel();
    this.pending.clear();
    this.request.signal.removeEventListener('abort', this.stop);
  };
}

function splitWords(text: string | undefined): string[] {
  const trimmed = text?.trim() ?? '';
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

function spreadWords(words: string[], startMs: number, endMs: number, confidence: number): WordTiming[] {
  const slot = (endMs - startMs) / words.length;
  return words.map((word, i) => ({ word, startMs: startMs + i * slot, endMs: startMs + (i + 1) * slot, confidence }));
}
