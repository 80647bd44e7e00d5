// Offline batch speech-to-text with whisper.cpp (through @napi-rs/whisper) on a model file the user
// supplies (WHISPER_MODEL_PATH); nothing is downloaded. Whisper is not a streaming recognizer: as
// for OpenAiTranscriber, the audio written since the last final is kept and `finalize()` transcribes
// it into one `final` event; there are no partials. Transcription runs in one worker thread shared
// by every call of this provider (see whisper-worker-source.ts), so a long utterance never stalls
// the event loop; utterances from all calls queue there one after another.
import { availableParallelism } from 'node:os';
import { concatPcm, int16ToFloat32 } from '../../audio/pcm.js';
import { Resampler } from '../../audio/resampler.js';
import { ProviderError } from '../provider-error.js';
import { BatchSttStream, type AudioSegment } from '../batch-stt-stream.js';
import type { ProviderCapabilities, SttOpenOptions, SttProvider, SttStream } from '../types.js';
import { checkModelFile, LocalModelError } from './local-runtime-model-file.js';
import { resolveRuntimePackage, runtimesDir } from './local-runtime.js';
import { WHISPER_MODEL_EXPECTED, WhisperWorker } from './whisper-worker.js';

export type WhisperSttOptions = {
  /** The ggml model file (WHISPER_MODEL_PATH). */
  modelPath?: string;
  /** ISO-639-1 code whisper is told, or 'auto' to let it detect; the stream's language wins. Default 'en'. */
  language?: string;
  /** CPU threads per transcription. Default: the machine's cores, at most 4. */
  threads?: number;
  /** Where the runtimes package is installed; default `<repo>/runtimes`. */
  runtimesDir?: string;
};

/** whisper.cpp works on 16 kHz mono. */
export const WHISPER_SAMPLE_RATE = 16000;
/** Shorter segments are dropped: there is nothing to transcribe and whisper.cpp refuses very short input. */
export const WHISPER_MIN_SEGMENT_MS = 100;
const PROVIDER = 'whisper';

export class WhisperStt implements SttProvider {
  readonly name = PROVIDER;
  readonly capabilities: ProviderCapabilities = { sampleRates: [WHISPER_SAMPLE_RATE], wordTimestamps: false, languages: ['*'], streaming: false };
  readonly modelPath: string;
  private readonly bindingPath: string;
  private readonly threads: number;
  private readonly language: string;
  private worker: Promise<WhisperWorker> | null = null;

  /** Checks the model path and the runtime at once (throws LocalModelError / LocalRuntimeMissingError); the model loads on first use or `load()`. */
  constructor(options: WhisperSttOptions) {
    this.modelPath = checkModelFile(options.modelPath, { engine: PROVIDER, envVar: 'WHISPER_MODEL_PATH', expected: WHISPER_MODEL_EXPECTED });
    this.bindingPath = resolveRuntimePackage('@napi-rs/whisper', options.runtimesDir ?? runtimesDir());
    if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads > 0)) {
      throw new RangeError(`whisper: threads must be a positive integer, got ${options.threads}`);
    }
    this.threads = options.threads ?? Math.min(4, availableParallelism());
    this.language = options.language ?? 'en';
  }

  /** Starts the worker and loads the model (once); rejects with a LocalModelError when the file is not a whisper model. */
  load(): Promise<WhisperWorker> {
    this.worker ??= WhisperWorker.start({ bindingPath: this.bindingPath, modelPath: this.modelPath, threads: this.threads });
    return this.worker;
  }

  open(options: SttOpenOptions): SttStream {
    return new WhisperStream(this, options, this.language);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (!worker) return;
    try {
      await (await worker).close();
    } catch {
      // It never loaded: nothing to stop.
    }
  }
}

class WhisperStream extends BatchSttStream {
  constructor(
    private readonly provider: WhisperStt,
    request: SttOpenOptions,
    private readonly defaultLanguage: string,
  ) {
    super(request, PROVIDER, WHISPER_MIN_SEGMENT_MS);
    // Load now, while the caller is still speaking; a failure is reported on the first finalize.
    if (!this.stopped) provider.load().catch(() => undefined);
  }

  protected async transcribe(segment: AudioSegment): Promise<void> {
    if (this.stopped) return;
    let text: string;
    try {
      const worker = await this.provider.load();
      if (this.stopped) return;
      const language = (this.request.language ?? this.defaultLanguage).split('-')[0];
      text = await worker.transcribe(toWhisperInput(segment.samples, this.request.sampleRate), language);
    } catch (err) {
      if (this.stopped) return;
      // A model that does not load will not load on a retry either; a failed run might.
      const broken = err instanceof LocalModelError;
      const error = new ProviderError(PROVIDER, broken ? 'bad_request' : 'server', (err as Error).message.replace(/^whisper: /, ''), { cause: err, code: broken ? 'model_load_failed' : 'transcription_failed' });
      this.stop();
      this.request.onEvent({ type: 'error', message: error.message, recoverable: !broken, error });
      return;
    }
    // whisper.cpp can run on after an abort (a native call cannot be interrupted): its answer is dropped.
    if (this.stopped) return;
    const clean = cleanTranscript(text);
    if (clean === '') return;
    // whisper gives no per-utterance confidence through this binding: a batch final is taken as certain.
    this.request.onEvent({ type: 'final', text: clean, confidence: 1, startMs: segment.startMs, endMs: segment.endMs });
  }
}

/** 16 kHz mono float32, as whisper.cpp wants it. */
export function toWhisperInput(samples: Int16Array, sampleRate: number): Float32Array {
  if (sampleRate === WHISPER_SAMPLE_RATE) return int16ToFloat32(samples);
  const resampler = new Resampler(sampleRate, WHISPER_SAMPLE_RATE);
  return int16ToFloat32(concatPcm([resampler.process(samples), resampler.flush()]));
}

/** Whisper marks non-speech with bracketed tags ([BLANK_AUDIO], (music)); those are not words the caller said. */
export function cleanTranscript(text: string): string {
  return text
    .replace(/\[[^\]]*\]|\([^)]*\)/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}
