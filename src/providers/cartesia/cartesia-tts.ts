// Cartesia Sonic over its TTS WebSocket. One socket per adapter carries every synthesis as its own
// context (fresh context_id each), so concurrent turns share one connection and one handshake.
// Audio is asked for as raw pcm_s16le at the request's rate, with word timestamps.
import { randomUUID } from 'node:crypto';
import { ProviderError } from '../provider-error.js';
import { AbortedError, type ProviderCapabilities, type TtsAudio, type TtsProvider, type TtsRequest } from '../types.js';
import { CartesiaConnection, PROVIDER } from './cartesia-connection.js';
import { CartesiaSynthesis } from './cartesia-synthesis.js';

export type CartesiaTtsOptions = {
  apiKey: string;
  /** Default `wss://api.cartesia.ai`; http(s) URLs are turned into ws(s). */
  baseUrl?: string;
  /** `Cartesia-Version` header. Default `2025-04-16`. */
  version?: string;
  /** Default `sonic-2`. */
  modelId?: string;
  voiceId: string;
  /** Language code sent with every request, e.g. `en`; omitted when unset. */
  language?: string;
  /** Longest silence between two messages of one synthesis before it fails with `timeout`. Default 5000. */
  chunkTimeoutMs?: number;
  /** WebSocket handshake limit. Default 10000. */
  connectTimeoutMs?: number;
};

export const CARTESIA_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;

/** Languages of Sonic 2 (docs.cartesia.ai, TTS models). */
const LANGUAGES = ['en', 'fr', 'de', 'es', 'pt', 'zh', 'ja', 'hi', 'it', 'ko', 'nl', 'pl', 'ru', 'sv', 'tr'] as const;

export class CartesiaTts implements TtsProvider {
  readonly name = PROVIDER;
  readonly capabilities: ProviderCapabilities = {
    sampleRates: CARTESIA_SAMPLE_RATES,
    wordTimestamps: true,
    languages: LANGUAGES,
    streaming: true,
  };
  private readonly connection: CartesiaConnection;
  private readonly modelId: string;
  private readonly chunkTimeoutMs: number;

  constructor(private readonly options: CartesiaTtsOptions) {
    if (!options.apiKey) throw new RangeError('Cartesia apiKey is required');
    if (!options.voiceId) throw new RangeError('Cartesia voiceId is required');
    this.modelId = options.modelId ?? 'sonic-2';
    this.chunkTimeoutMs = options.chunkTimeoutMs ?? 5000;
    this.connection = new CartesiaConnection({
      url: websocketUrl(options.baseUrl ?? 'wss://api.cartesia.ai'),
      headers: { 'Cartesia-Version': options.version ?? '2025-04-16', 'X-API-Key': options.apiKey },
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
    });
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    return this.run(request);
  }

  /** Closes the shared socket (syntheses in flight fail); the next synthesize reconnects. */
  close(): void {
    this.connection.close();
  }

  private async *run(request: TtsRequest): AsyncGenerator<TtsAudio> {
    const { signal, sampleRate } = request;
    if (signal.aborted) throw new AbortedError();
    if (!(CARTESIA_SAMPLE_RATES as readonly number[]).includes(sampleRate)) {
      throw new ProviderError(PROVIDER, 'bad_request', `sample rate ${sampleRate} Hz is not one Cartesia produces (${CARTESIA_SAMPLE_RATES.join(', ')})`);
    }
    // Cartesia refuses an empty transcript on a new context; there is nothing to say anyway.
    if (request.text.trim() === '') return;

    await this.connection.open(signal);
    const synthesis = new CartesiaSynthesis(`parley-${randomUUID()}`, this.connection, this.chunkTimeoutMs);
    const onAbort = () => synthesis.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw new AbortedError();
      synthesis.start({
        model_id: this.modelId,
        // The whole text as one input: Cartesia paces prosody over it and ends the context on done.
        transcript: request.text,
        voice: { mode: 'id', id: request.voice ?? this.options.voiceId },
        ...(this.options.language === undefined ? {} : { language: this.options.language }),
        output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: sampleRate },
        add_timestamps: true,
        continue: false,
      });
      yield* synthesis.chunks(signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      // The consumer stopped early (break/return) or something threw: the server must stop too.
      synthesis.abort();
    }
  }
}

function websocketUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/tts/websocket`;
  return url.toString();
}
