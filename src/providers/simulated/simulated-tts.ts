// A TTS with a configurable time to first byte and synthesis speed, producing speech-like audio
// (see speech-like-audio.ts) whose length follows the text. Chunk k is ready at request time +
// ttfbMs + (audio before chunk k) / realtimeFactor on the injected clock.
import type { Clock } from '../../clock.js';
import type { TtsAudio, TtsProvider, TtsRequest, WordTiming, ProviderCapabilities } from '../types.js';
import { sleepUntil, throwIfAborted } from '../../clock-sleep.js';
import { SpeechLikeRenderer, layoutSpeech } from './speech-like-audio.js';

export type SimulatedTtsOptions = {
  clock: Clock;
  ttfbMs: number;
  /** Audio milliseconds produced per clock millisecond (5 = five times faster than real time). */
  realtimeFactor: number;
  /** Audio per character of text, spaces included. Default 60. */
  msPerChar?: number;
  /** Audio per chunk; the last chunk may be shorter. Default 40. */
  chunkMs?: number;
};

/**
 * Each chunk carries the timings (ms from the start of this synthesis) of the words that start in it;
 * a word keeps its punctuation, so the words joined by spaces give back the normalised text.
 * On abort the iterator throws `AbortedError`, and no chunk follows the abort.
 */
export class SimulatedTts implements TtsProvider {
  readonly name = 'simulated';
  readonly capabilities: ProviderCapabilities = { sampleRates: [8000, 16000, 22050, 24000, 44100, 48000], wordTimestamps: true, languages: ['*'], streaming: true };
  private readonly msPerChar: number;
  private readonly chunkMs: number;

  constructor(private readonly options: SimulatedTtsOptions) {
    this.msPerChar = options.msPerChar ?? 60;
    this.chunkMs = options.chunkMs ?? 40;
    if (!(options.ttfbMs >= 0)) throw new RangeError(`ttfbMs must be >= 0, got ${options.ttfbMs}`);
    if (!(options.realtimeFactor > 0)) throw new RangeError(`realtimeFactor must be > 0, got ${options.realtimeFactor}`);
    if (!(this.msPerChar > 0)) throw new RangeError(`msPerChar must be > 0, got ${this.msPerChar}`);
    if (!(this.chunkMs > 0)) throw new RangeError(`chunkMs must be > 0, got ${this.chunkMs}`);
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    if (!(Number.isInteger(request.sampleRate) && request.sampleRate > 0)) {
      throw new RangeError(`sampleRate must be a positive integer, got ${request.sampleRate}`);
    }
    return this.run(request, this.options.clock.now());
  }

  private async *run(request: TtsRequest, requestedAt: number): AsyncGenerator<TtsAudio> {
    const { clock, ttfbMs, realtimeFactor } = this.options;
    const { signal, sampleRate } = request;
    throwIfAborted(signal);
    const layout = layoutSpeech(request.text, sampleRate, this.msPerChar);
    const renderer = new SpeechLikeRenderer(layout, request.voice);
    const chunkSamples = Math.max(1, Math.round((this.chunkMs * sampleRate) / 1000));
    const msPerSample = 1000 / sampleRate;

    let produced = 0;
    let nextWord = 0;
    while (produced < layout.totalSamples) {
      await sleepUntil(clock, requestedAt + ttfbMs + (produced * msPerSample) / realtimeFactor, signal);
      throwIfAborted(signal);
      const samples = new Int16Array(Math.min(chunkSamples, layout.totalSamples - produced));
      renderer.render(samples);
      const end = produced + samples.length;
      const words: WordTiming[] = [];
      while (nextWord < layout.words.length && layout.words[nextWord].startSample < end) {
        const w = layout.words[nextWord++];
        words.push({ word: w.word, startMs: w.startSample * msPerSample, endMs: w.endSample * msPerSample });
      }
      produced = end;
      yield words.length > 0 ? { samples, words } : { samples };
    }
  }
}
