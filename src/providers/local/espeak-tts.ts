// Offline streaming TTS on the espeak-ng command line (Debian `espeak-ng`). Each synthesis is one
// espeak-ng process (taken from a small pool of processes already started and waiting for text,
// when the settings match): text on stdin, a 22050 Hz WAV stream on stdout, read and resampled
// chunk by chunk as espeak writes it, so the first audio leaves as soon as the first clause is
// synthesized. Word timings: the CLI reports none (its callback drops espeak's word and <mark>
// events; `-x` phonemes carry no times, `--pho` prints nothing for non-MBROLA voices), so chunks
// have no `words` and the session estimates them.
import { WavFormatError } from '../../audio/wav.js';
import { Resampler } from '../../audio/resampler.js';
import { asProviderError, ProviderError } from '../provider-error.js';
import { AbortedError, type ProviderCapabilities, type TtsAudio, type TtsProvider, type TtsRequest } from '../types.js';
import { ESPEAK_PROVIDER, spawnError } from './espeak-errors.js';
import { EspeakProcess } from './espeak-process.js';
import { speakableText } from './espeak-text.js';
import { catalogLanguages, EspeakVoiceCatalog, resolveVoice, type EspeakCatalog } from './espeak-voices.js';
import { EspeakWarmPool } from './espeak-warm-pool.js';
import { WavStreamReader } from './espeak-wav-stream.js';

export type EspeakTtsOptions = {
  /** Command or path of espeak-ng. Default `espeak-ng`. */
  binary?: string;
  /** Language code, voice name or file, optionally `+variant` (`en-us+f3`). Default `en-us`. */
  voice?: string;
  /** Words per minute, 80–450 (`-s`). Default 170. */
  rate?: number;
  /** 0–99 (`-p`). Default 50. */
  pitch?: number;
  /** Amplitude 0–200 (`-a`). Default 100. */
  volume?: number;
  /** Keep espeak's pause after the last sentence (default true); false passes `-z`. */
  endPause?: boolean;
  /**
   * Processes kept started and waiting for text with the configured settings (default 1; 0 starts
   * one per request). Saves ~10 ms to first audio; requests with another voice start their own.
   */
  warmProcesses?: number;
};

/** What espeak-ng writes; other rates are resampled. */
export const ESPEAK_NATIVE_RATE = 22050;

/**
 * Yields PCM16 mono at `request.sampleRate` as espeak produces it, without `words`. On abort the
 * process is killed (SIGKILL) at once, queued output is dropped and the iterator throws
 * AbortedError; every other failure (missing binary, unknown voice, bad exit, malformed output)
 * is a ProviderError.
 */
export class EspeakTts implements TtsProvider {
  readonly name = ESPEAK_PROVIDER;
  private caps: ProviderCapabilities = { sampleRates: [ESPEAK_NATIVE_RATE], wordTimestamps: false, languages: ['*'], streaming: true };
  private readonly binary: string;
  private readonly voice: string;
  private readonly rate: number;
  private readonly pitch: number;
  private readonly volume: number;
  private readonly endPause: boolean;
  private readonly catalog: EspeakVoiceCatalog;
  private readonly warmSize: number;
  private pool: EspeakWarmPool | null = null;
  private defaultArgsPromise: Promise<string[]> | null = null;
  private closed = false;

  constructor(options: EspeakTtsOptions = {}) {
    this.binary = options.binary ?? 'espeak-ng';
    this.voice = options.voice ?? 'en-us';
    this.rate = checkSetting('rate', options.rate ?? 170, 80, 450);
    this.pitch = checkSetting('pitch', options.pitch ?? 50, 0, 99);
    this.volume = checkSetting('volume', options.volume ?? 100, 0, 200);
    this.warmSize = checkSetting('warmProcesses', options.warmProcesses ?? 1, 0, 16);
    this.endPause = options.endPause ?? true;
    if (!this.binary) throw new ProviderError(ESPEAK_PROVIDER, 'bad_request', 'binary must not be empty');
    if (!this.voice.trim()) throw new ProviderError(ESPEAK_PROVIDER, 'bad_request', 'voice must not be empty');
    this.catalog = new EspeakVoiceCatalog(this.binary);
  }

  /** Languages are those of `espeak-ng --voices` once the list is loaded (first synthesis or `ready()`); ['*'] before. */
  get capabilities(): ProviderCapabilities {
    return this.caps;
  }

  /** The installed voices and variants (listed once). */
  async voices(): Promise<EspeakCatalog> {
    const catalog = await this.catalog.load();
    if (this.caps.languages[0] === '*') this.caps = { ...this.caps, languages: catalogLanguages(catalog) };
    return catalog;
  }

  /**
   * Checks that espeak-ng runs and knows the configured voice, and starts the waiting processes.
   * Optional: the first synthesis does the same. Throws the ProviderError synthesis would.
   */
  async ready(): Promise<void> {
    await this.defaultArgs();
  }

  /** Pids of the processes waiting for text. */
  get warmPids(): number[] {
    return this.pool?.pids ?? [];
  }

  /** Kills the waiting processes and stops keeping any (synthesis still works, one process per request). */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.close();
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    return this.run(request);
  }

  private async *run(request: TtsRequest): AsyncGenerator<TtsAudio> {
    try {
      yield* this.speak(request);
    } catch (err) {
      if (request.signal.aborted || err instanceof AbortedError) throw new AbortedError();
      throw asProviderError(ESPEAK_PROVIDER, err);
    }
  }

  private async *speak(request: TtsRequest): AsyncGenerator<TtsAudio> {
    const { signal, sampleRate } = request;
    if (signal.aborted) throw new AbortedError();
    checkSampleRate(sampleRate);
    const text = speakableText(request.text);
    if (!text) return;

    let args: string[];
    if (!request.voice?.trim()) {
      args = await this.defaultArgs();
    } else {
      // Still start the warm pool for the configured voice; an error there is reported by requests that use it.
      this.defaultArgs().catch(() => {});
      args = this.argsFor(resolveVoice(request.voice, await this.voices()));
    }
    if (signal.aborted) throw new AbortedError();
    const proc = this.pool?.take(args) ?? startProcess(this.binary, args);

    // Kill at once on abort, even while the consumer is not pulling.
    const onAbort = () => proc.kill();
    signal.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      proc.send(text);
      const reader = new WavStreamReader(ESPEAK_PROVIDER);
      let resampler: Resampler | null = null;
      for (;;) {
        const bytes = await proc.next(signal);
        if (bytes === null) break;
        const samples = readAudio(reader, bytes);
        if (!resampler && reader.format) resampler = new Resampler(reader.format.sampleRate, sampleRate);
        const out = resampler && samples.length > 0 ? resampler.process(samples) : null;
        if (out && out.length > 0) yield { samples: out };
      }
      try {
        reader.end();
      } catch (err) {
        throw wrongFormat(err);
      }
      finished = true;
      const tail = resampler?.flush();
      if (tail && tail.length > 0) yield { samples: tail };
    } finally {
      signal.removeEventListener('abort', onAbort);
      // Any exit but the end of espeak's output (error, abort, consumer stopped early) ends the process.
      if (!finished) proc.kill();
      // Start the replacement once this synthesis is over, so its start-up (a synchronous spawn, then
      // espeak loading its data) does not compete with the audio this request is waiting for.
      this.pool?.refill();
    }
  }

  /** Arguments for the configured voice, resolved once; starts the warm pool on first success. */
  private defaultArgs(): Promise<string[]> {
    if (!this.defaultArgsPromise) {
      this.defaultArgsPromise = this.voices().then((catalog) => {
        const args = this.argsFor(resolveVoice(this.voice, catalog));
        if (!this.pool && !this.closed && this.warmSize > 0) {
          this.pool = new EspeakWarmPool(this.binary, args, this.warmSize);
          this.pool.refill();
        }
        return args;
      });
      // A failure (binary missing, voice unknown) is reported again on the next call, not cached forever.
      this.defaultArgsPromise.catch(() => {
        this.defaultArgsPromise = null;
      });
    }
    return this.defaultArgsPromise;
  }

  private argsFor(voiceArg: string): string[] {
    const args = ['--stdout', '--stdin', '-b', '1', '-v', voiceArg, '-s', String(this.rate), '-p', String(this.pitch), '-a', String(this.volume)];
    if (!this.endPause) args.push('-z');
    return args;
  }
}

function startProcess(binary: string, args: string[]): EspeakProcess {
  try {
    return new EspeakProcess(binary, args);
  } catch (err) {
    // spawn() throws synchronously for arguments it cannot pass (e.g. a NUL in the binary path).
    throw spawnError(binary, err);
  }
}

function readAudio(reader: WavStreamReader, bytes: Uint8Array): Int16Array {
  try {
    return reader.push(bytes);
  } catch (err) {
    throw wrongFormat(err);
  }
}

function wrongFormat(err: unknown): unknown {
  if (!(err instanceof WavFormatError)) return err;
  return new ProviderError(ESPEAK_PROVIDER, 'protocol', `espeak-ng output is not the expected WAV stream: ${err.message}`, {
    code: 'wrong_audio_format',
    cause: err,
  });
}

function checkSampleRate(rate: number): void {
  let ok = Number.isInteger(rate) && rate >= 8000 && rate <= 96000;
  if (ok) {
    try {
      // Odd rates (8009 Hz) would need an oversized filter bank; the Resampler refuses them.
      new Resampler(ESPEAK_NATIVE_RATE, rate);
    } catch {
      ok = false;
    }
  }
  if (!ok) throw new ProviderError(ESPEAK_PROVIDER, 'bad_request', `cannot produce audio at ${rate} Hz; use an integer rate from 8000 to 96000 Hz such as 8000, 16000, 22050, 24000 or 48000`);
}

function checkSetting(name: string, value: number, min: number, max: number): number {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new ProviderError(ESPEAK_PROVIDER, 'bad_request', `${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}
