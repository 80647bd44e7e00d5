// Deepgram Aura text to speech. WebSocket by default (lower latency to first audio); REST when asked.
// Output is always headerless linear16 at the requested rate, which must be one Deepgram produces.
import { ProviderError } from '../provider-error.js';
import type { ProviderCapabilities, TtsAudio, TtsProvider, TtsRequest } from '../types.js';
import { authHeader, deepgramUrl } from './deepgram-url.js';
import { speakOverRest } from './speak-rest.js';
import { splitSpeakText } from './speak-text.js';
import { speakOverWebSocket } from './speak-websocket.js';

export type DeepgramTtsOptions = {
  apiKey: string;
  /** Default `https://api.deepgram.com`; the WebSocket transport uses the same host with wss. */
  baseUrl?: string;
  /** Aura voice model, default `aura-2-thalia-en`; a request's `voice` overrides it. */
  model?: string;
  transport?: 'websocket' | 'rest';
  /** Longest wait for a connection and between two pieces of audio. Default 10 000. */
  timeoutMs?: number;
};

const PROVIDER = 'deepgram';
export const DEEPGRAM_TTS_SAMPLE_RATES = [8000, 16000, 24000, 32000, 48000] as const;

export class DeepgramTts implements TtsProvider {
  readonly name = PROVIDER;
  readonly capabilities: ProviderCapabilities = { sampleRates: DEEPGRAM_TTS_SAMPLE_RATES, wordTimestamps: false, languages: ['en', 'es', 'de', 'fr', 'nl', 'it', 'ja'], streaming: true };

  constructor(private readonly options: DeepgramTtsOptions) {
    if (!options.apiKey) throw new ProviderError(PROVIDER, 'auth', 'an API key is required');
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    return this.run(request);
  }

  private async *run(request: TtsRequest): AsyncGenerator<TtsAudio> {
    if (!(DEEPGRAM_TTS_SAMPLE_RATES as readonly number[]).includes(request.sampleRate)) {
      throw new ProviderError(PROVIDER, 'bad_request', `Deepgram cannot produce linear16 at ${request.sampleRate} Hz; supported rates: ${DEEPGRAM_TTS_SAMPLE_RATES.join(', ')}`);
    }
    const pieces = splitSpeakText(request.text);
    if (pieces.length === 0) return;
    const transport = this.options.transport ?? 'websocket';
    const query = {
      model: request.voice ?? this.options.model ?? 'aura-2-thalia-en',
      encoding: 'linear16',
      sample_rate: request.sampleRate,
      ...(transport === 'rest' ? { container: 'none' } : {}),
    };
    const common = {
      url: deepgramUrl(this.options.baseUrl ?? 'https://api.deepgram.com', '/v1/speak', query, transport === 'rest' ? 'http' : 'ws'),
      headers: authHeader(this.options.apiKey),
      pieces,
      signal: request.signal,
      timeoutMs: this.options.timeoutMs ?? 10_000,
    };
    yield* transport === 'rest' ? speakOverRest(common) : speakOverWebSocket(common);
  }
}
