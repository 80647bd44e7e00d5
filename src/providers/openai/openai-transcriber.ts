// Batch speech-to-text through OpenAI's /v1/audio/transcriptions (gpt-4o-transcribe, whisper-1, …).
// There is no streaming: audio written since the last final is kept, and `finalize()` uploads it as
// a WAV file; the answer becomes one `final` event. Requests run one at a time so finals keep their
// order. whisper-1 is asked for verbose_json with word times (the gpt-4o models only answer json).
import type OpenAI from 'openai';
import { toFile } from 'openai';
import { writeWav } from '../../audio/wav.js';
import { ProviderError } from '../provider-error.js';
import { BatchSttStream, type AudioSegment } from '../batch-stt-stream.js';
import type { ProviderCapabilities, SttEvent, SttOpenOptions, SttProvider, SttStream, WordTiming } from '../types.js';
import { createOpenAiClient } from './openai-client.js';
import { providerErrorFromOpenAi } from './openai-errors.js';

export type OpenAiTranscriberOptions = {
  apiKey: string;
  baseUrl?: string;
  /** Default 'gpt-4o-transcribe'; 'whisper-1' adds word timestamps. */
  model?: string;
  /** ISO-639-1 hint (e.g. 'en'); the stream's own `language` wins when given. */
  language?: string;
  /** Longest wait for one transcription answer. Default 30 s. */
  timeoutMs?: number;
  /** Provider name in errors; default 'openai'. */
  name?: string;
};

/** OpenAI refuses files shorter than this (400 audio_too_short); such a tail is dropped instead. */
export const MIN_UPLOAD_MS = 100;
const DEFAULT_MODEL = 'gpt-4o-transcribe';
const DEFAULT_TIMEOUT_MS = 30_000;

export class OpenAiTranscriber implements SttProvider {
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  private readonly client: OpenAI;
  private readonly model: string;

  constructor(private readonly options: OpenAiTranscriberOptions) {
    this.name = options.name ?? 'openai';
    this.model = options.model ?? DEFAULT_MODEL;
    this.client = createOpenAiClient(this.name, { ...options, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    this.capabilities = {
      // Any rate works: the WAV header says which, and OpenAI resamples.
      sampleRates: [8000, 16000, 22050, 24000, 44100, 48000],
      wordTimestamps: wantsWordTimes(this.model),
      languages: ['*'],
      streaming: false,
    };
  }

  open(options: SttOpenOptions): SttStream {
    return new TranscriptionStream(this.client, this.name, this.model, this.options, options);
  }
}

function wantsWordTimes(model: string): boolean {
  return model.startsWith('whisper');
}

class TranscriptionStream extends BatchSttStream {
  private readonly inFlight = new AbortController();

  constructor(
    private readonly client: OpenAI,
    private readonly provider: string,
    private readonly model: string,
    private readonly config: OpenAiTranscriberOptions,
    request: SttOpenOptions,
  ) {
    super(request, provider, MIN_UPLOAD_MS);
  }

  protected async transcribe(segment: AudioSegment): Promise<void> {
    if (this.stopped) return;
    const language = this.request.language ?? this.config.language;
    let answer: unknown;
    try {
      const wav = writeWav({ sampleRate: this.request.sampleRate, channels: 1, samples: segment.samples });
      const file = await toFile(wav, 'audio.wav', { type: 'audio/wav' });
      const common = { file, model: this.model, ...(language ? { language: language.split('-')[0] } : {}) };
      const options = { signal: this.inFlight.signal };
      answer = wantsWordTimes(this.model)
        ? await this.client.audio.transcriptions.create({ ...common, response_format: 'verbose_json', timestamp_granularities: ['word'] }, options)
        : await this.client.audio.transcriptions.create({ ...common, response_format: 'json' }, options);
    } catch (err) {
      if (!this.stopped) this.fail(providerErrorFromOpenAi(this.provider, err, this.config.apiKey));
      return;
    }
    if (this.stopped) return;
    if (typeof answer !== 'object' || answer === null || typeof (answer as { text?: unknown }).text !== 'string') {
      this.fail(new ProviderError(this.provider, 'protocol', 'transcription answer has no text field', { code: 'malformed_response' }));
      return;
    }
    const { text, words } = answer as { text: string; words?: unknown };
    if (text.trim() === '') return;
    // OpenAI reports no confidence (only optional logprobs); a batch final is taken as certain.
    const event: SttEvent = { type: 'final', text: text.trim(), confidence: 1, startMs: segment.startMs, endMs: segment.endMs };
    const timings = Array.isArray(words) ? words.map((w) => toWordTiming(w, segment.startMs)).filter((w) => w !== null) : [];
    if (timings.length > 0) event.words = timings;
    this.request.onEvent(event);
  }

  private fail(error: ProviderError): void {
    const recoverable = !(error.kind === 'auth' || error.kind === 'bad_request' || error.kind === 'quota');
    this.stop();
    this.request.onEvent({ type: 'error', message: error.message, recoverable, error });
  }

  protected override onStop(): void {
    this.inFlight.abort();
  }
}

function toWordTiming(value: unknown, offsetMs: number): WordTiming | null {
  if (typeof value !== 'object' || value === null) return null;
  const { word, start, end } = value as Record<string, unknown>;
  if (typeof word !== 'string' || typeof start !== 'number' || typeof end !== 'number') return null;
  return { word, startMs: offsetMs + start * 1000, endMs: offsetMs + end * 1000 };
}
