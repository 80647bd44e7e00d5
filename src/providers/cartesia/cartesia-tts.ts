// Cartesia Sonic over its TTS WebSocket. One socket per adapter carries every synthesis as a context,
// so concurrent turns share one connection and one handshake. A request with a turnId is one
// sentence of a reply: the sentences of a turn continue one context (Cartesia keeps prosody across
// them; see cartesia-turn-contexts.ts). A request without one gets a context of its own.
// Audio is asked for as raw pcm_s16le at the request's rate, with word timestamps.
import { randomUUID } from 'node:crypto';
import { ProviderError } from '../provider-error.js';
import { AbortedError, type ProviderCapabilities, type TtsAudio, type TtsProvider, type TtsRequest } from '../types.js';
import { CartesiaConnection, PROVIDER } from './cartesia-connection.js';
import { CartesiaSynthesis } from './cartesia-synthesis.js';
import { CartesiaTurnContexts } from './cartesia-turn-contexts.js';

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
  /**
   * How long a turn's context stays open for the turn's next sentence after the server finished the
   * last one's audio. Default 800: below Cartesia's expiry of a context 1 s after its last audio.
   */
  turnIdleMs?: number;
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
  private readonly turns: CartesiaTurnContexts;

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
    const turnIdleMs = options.turnIdleMs ?? 800;
    if (!(turnIdleMs > 0)) throw new RangeError(`Cartesia turnIdleMs must be > 0, got ${turnIdleMs}`);
    this.turns = new CartesiaTurnContexts(this.connection, turnIdleMs);
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    return this.run(request);
  }

  /** Closes the shared socket (syntheses in flight fail); the next synthesize reconnects. */
  close(): void {
    this.turns.clear();
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
    if (request.turnId === undefined) yield* this.alone(request);
    // Turn ids repeat across calls (turn-1 in every call): the call id makes the key unique.
    else yield* this.inTurn(`${request.callId ?? ''}/${request.turnId}`, request);
  }

  /** The request is a context of its own: the whole text as one input, ended by `done`. */
  private async *alone(request: TtsRequest): AsyncGenerator<TtsAudio> {
    const { signal } = request;
    const synthesis = new CartesiaSynthesis(`parley-${randomUUID()}`, this.connection, {
      chunkTimeoutMs: this.chunkTimeoutMs,
      sampleRate: request.sampleRate,
      endsAt: 'done',
      contextOffsetMs: 0,
      continuation: false,
    });
    const onAbort = () => synthesis.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (signal.aborted) throw new AbortedError();
      synthesis.start([{ ...this.fieldsFor(request), transcript: request.text, continue: false }]);
      yield* synthesis.chunks(signal);
    } finally {
      signal.removeEventListener('abort', onAbort);
      // The consumer stopped early (break/return) or something threw: the server must stop too.
      synthesis.abort();
    }
  }

  /**
   * One sentence of a turn on the turn's context: the text with `continue:true`, then a flush whose
   * `flush_done` ends this request's audio. A continuation the server refuses before any of its audio
   * was handed out (the context expired or was closed) is said again once, on a fresh context.
   */
  private async *inTurn(turnId: string, request: TtsRequest): AsyncGenerator<TtsAudio> {
    const { signal } = request;
    const fields = this.fieldsFor(request);
    for (let attempt = 0; attempt < 2; attempt++) {
      if (signal.aborted) throw new AbortedError();
      const acquired = this.turns.acquire(turnId, fields);
      if (!acquired) {
        // Another request of this turn holds its context right now: this one goes alone.
        yield* this.alone(request);
        return;
      }
      const { context, continuing } = acquired;
      const synthesis = new CartesiaSynthesis(context.contextId, this.connection, {
        chunkTimeoutMs: this.chunkTimeoutMs,
        sampleRate: request.sampleRate,
        endsAt: 'flush_done',
        contextOffsetMs: context.audioMs,
        continuation: continuing && attempt === 0,
      });
      let cancelled = false;
      // Cancel the turn's context from the abort listener itself, so the server stops at once.
      const stop = () => {
        cancelled = true;
        synthesis.abort(false);
        this.turns.cancel(context);
      };
      signal.addEventListener('abort', stop, { once: true });
      try {
        if (signal.aborted) throw new AbortedError();
        // Inputs of a context are joined verbatim: a space keeps the sentences apart.
        const text = continuing && !/^\s/.test(request.text) ? ` ${request.text}` : request.text;
        synthesis.start([
          { ...context.fields, transcript: text, continue: true },
          { ...context.fields, transcript: '', continue: true, flush: true },
        ]);
        yield* synthesis.chunks(signal);
        return;
      } catch (err) {
        if (!synthesis.rejected || attempt > 0 || signal.aborted) throw err;
      } finally {
        signal.removeEventListener('abort', stop);
        if (cancelled) {
          // Already cancelled and forgotten.
        } else if (synthesis.contextReusable) {
          this.turns.release(context, synthesis.contextAudioMs, synthesis.finishedAt);
        } else if (synthesis.abort(false)) {
          // The consumer stopped early (break/return) or something threw mid-stream.
          this.turns.cancel(context);
        } else {
          // Ended by the server (done, error) or failed: the context is of no further use.
          this.turns.forget(context);
        }
      }
    }
  }

  /** Every message on a context repeats these (Cartesia requires all but transcript/continue/flush). */
  private fieldsFor(request: TtsRequest): Record<string, unknown> {
    return {
      model_id: this.modelId,
      voice: { mode: 'id', id: request.voice ?? this.options.voiceId },
      ...(this.options.language === undefined ? {} : { language: this.options.language }),
      output_format: { container: 'raw', encoding: 'pcm_s16le', sample_rate: request.sampleRate },
      add_timestamps: true,
      // Parley hands over whole sentences: generate at once instead of waiting for more text.
      max_buffer_delay_ms: 0,
    };
  }
}

function websocketUrl(base: string): string {
  const url = new URL(base);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/tts/websocket`;
  return url.toString();
}
