// Deepgram live transcription over WebSocket (/v1/listen). The stream opens at once and connects in
// the background; audio written meanwhile is held (up to 10 s) and sent on open. Audio goes out as
// linear16 in ~100 ms binary frames; KeepAlive text frames keep the socket alive while no audio flows.
// Any failure ends the stream with exactly one `error` event; after close() or an abort nothing is
// emitted at all.
import type WebSocket from 'ws';
import { pcm16ToBytes } from '../../audio/pcm.js';
import { asProviderError, ProviderError, type ProviderErrorKind } from '../provider-error.js';
import { AbortedError, type ProviderCapabilities, type SttEvent, type SttOpenOptions, type SttProvider, type SttStream } from '../types.js';
import { connectWebSocket } from '../ws-connect.js';
import { errorForClose } from './deepgram-close.js';
import { authHeader, deepgramUrl } from './deepgram-url.js';
import { parseListenMessage, type ListenMessage, type ListenResults } from './listen-messages.js';

export type DeepgramSttOptions = {
  apiKey: string;
  /** Default `wss://api.deepgram.com`; https/http bases are accepted too. */
  baseUrl?: string;
  /** Default `nova-3`. */
  model?: string;
  /** Default: the stream's language, else Deepgram's default (en). */
  language?: string;
  /** Silence (ms) that marks the end of speech; Deepgram's default when unset. */
  endpointingMs?: number;
  /** Ask for UtteranceEnd messages after this gap (ms); Deepgram advises >= 1000. */
  utteranceEndMs?: number;
  /** KeepAlive interval while no audio flows. Default 5000 (Deepgram closes after ~10 s). */
  keepAliveMs?: number;
  /** Deepgram usage tag. */
  tag?: string;
  smartFormat?: boolean;
  /** Handshake timeout. Default 10 000. */
  connectTimeoutMs?: number;
};

const PROVIDER = 'deepgram';
const NOT_RECOVERABLE: ReadonlySet<ProviderErrorKind> = new Set(['auth', 'bad_request', 'quota']);
const CHUNK_MS = 100;
const MAX_PENDING_MS = 10_000;
/** How long a closing stream waits for Deepgram's own close after CloseStream. */
const CLOSE_GRACE_MS = 3000;
/** How long a close frame may wait for the peer before the socket is destroyed. */
const ABORT_GRACE_MS = 250;

/** nova-3 and nova-2 languages (nova-3 covers fewer; Deepgram refuses a pair it lacks with 400). */
const LANGUAGES = ['multi', 'en', 'en-US', 'en-GB', 'en-AU', 'en-IN', 'en-NZ', 'es', 'es-419', 'fr', 'fr-CA', 'de', 'de-CH', 'it', 'pt', 'pt-BR', 'pt-PT', 'nl', 'nl-BE', 'ja', 'ko', 'zh', 'zh-CN', 'zh-TW', 'hi', 'ru', 'uk', 'pl', 'sv', 'da', 'no', 'fi', 'tr', 'id', 'ms', 'vi', 'th', 'cs', 'el', 'hu', 'ro', 'bg', 'sk', 'ca', 'et', 'lv', 'lt'];

export class DeepgramStt implements SttProvider {
  readonly name = PROVIDER;
  readonly capabilities: ProviderCapabilities = { sampleRates: [8000, 16000, 24000, 44100, 48000], wordTimestamps: true, languages: LANGUAGES, streaming: true };

  constructor(private readonly options: DeepgramSttOptions) {
    if (!options.apiKey) throw new ProviderError(PROVIDER, 'auth', 'an API key is required');
    if (options.keepAliveMs !== undefined && !(options.keepAliveMs > 0)) throw new RangeError(`keepAliveMs must be > 0, got ${options.keepAliveMs}`);
  }

  open(request: SttOpenOptions): SttStream {
    if (!(Number.isInteger(request.sampleRate) && request.sampleRate > 0)) throw new RangeError(`sampleRate must be a positive integer, got ${request.sampleRate}`);
    return new DeepgramSttStream(this.options, request);
  }
}

/** The /v1/listen URL for a stream (holds no secret: the key goes in a header). */
export function deepgramListenUrl(o: DeepgramSttOptions, sampleRate: number, language?: string): string {
  return deepgramUrl(
    o.baseUrl ?? 'wss://api.deepgram.com',
    '/v1/listen',
    {
      model: o.model ?? 'nova-3',
      encoding: 'linear16',
      sample_rate: sampleRate,
      channels: 1,
      language: language ?? o.language,
      interim_results: true,
      punctuate: true,
      smart_format: o.smartFormat,
      endpointing: o.endpointingMs,
      utterance_end_ms: o.utteranceEndMs,
      tag: o.tag,
    },
    'ws',
  );
}

type State = 'connecting' | 'open' | 'closing' | 'ended';
type Pending = Int16Array | 'finalize';

class DeepgramSttStream implements SttStream {
  private state: State = 'connecting';
  private ws: WebSocket | null = null;
  private readonly connectAbort = new AbortController();
  private readonly chunkSamples: number;
  private chunk: Int16Array;
  private chunkFill = 0;
  /** Audio (and Finalize markers) written before the socket opened. */
  private pending: Pending[] = [];
  private pendingSamples = 0;
  /** Audio dropped from the front of `pending` when the connection was slow; shifts Deepgram's times. */
  private droppedMs = 0;
  private keepAliveTimer: NodeJS.Timeout | null = null;
  private closeTimer: NodeJS.Timeout | null = null;
  private readonly keepAliveMs: number;
  private readonly msPerSample: number;

  constructor(
    private readonly config: DeepgramSttOptions,
    private readonly request: SttOpenOptions,
  ) {
    this.chunkSamples = Math.max(1, Math.round((request.sampleRate * CHUNK_MS) / 1000));
    this.chunk = new Int16Array(this.chunkSamples);
    this.keepAliveMs = config.keepAliveMs ?? 5000;
    this.msPerSample = 1000 / request.sampleRate;
    if (request.signal.aborted) {
      this.state = 'ended';
      return;
    }
    request.signal.addEventListener('abort', this.onAbort, { once: true });
    void this.connect();
  }

  write(samples: Int16Array): void {
    if (this.state !== 'connecting' && this.state !== 'open') return;
    let at = 0;
    while (at < samples.length) {
      const n = Math.min(samples.length - at, this.chunkSamples - this.chunkFill);
      this.chunk.set(samples.subarray(at, at + n), this.chunkFill);
      this.chunkFill += n;
      at += n;
      if (this.chunkFill === this.chunkSamples) this.flushChunk();
    }
  }

  finalize(): void {
    if (this.state !== 'connecting' && this.state !== 'open') return;
    this.flushChunk();
    if (this.state === 'open') this.sendText({ type: 'Finalize' });
    else this.pending.push('finalize');
  }

  /** Ends the stream quietly: held audio and CloseStream go out so Deepgram finishes cleanly, but no event follows. */
  close(): void {
    if (this.state === 'connecting') {
      // Nothing sent yet and nobody will read the results: give up the connection attempt.
      this.end();
      return;
    }
    if (this.state !== 'open') return;
    this.flushChunk();
    this.sendText({ type: 'CloseStream' });
    this.state = 'closing';
    this.stopKeepAlive();
    this.closeTimer = setTimeout(() => this.end(), CLOSE_GRACE_MS);
    this.closeTimer.unref?.();
  }

  private readonly onAbort = () => this.end();

  private async connect(): Promise<void> {
    let ws: WebSocket;
    try {
      ws = await connectWebSocket({
        provider: PROVIDER,
        url: deepgramListenUrl(this.config, this.request.sampleRate, this.request.language),
        headers: authHeader(this.config.apiKey),
        signal: this.connectAbort.signal,
        timeoutMs: this.config.connectTimeoutMs ?? 10_000,
      });
    } catch (err) {
      if (!(err instanceof AbortedError)) this.fail(asProviderError(PROVIDER, err));
      return;
    }
    if (this.state !== 'connecting') {
      ws.terminate();
      return;
    }
    this.ws = ws;
    this.state = 'open';
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('close', (code: number, reason: Buffer) => this.onClose(code, reason.toString('utf8')));
    ws.on('error', (err: Error) => this.fail(new ProviderError(PROVIDER, 'network', `socket error: ${err.message}`, { cause: err })));
    const held = this.pending;
    this.pending = [];
    this.pendingSamples = 0;
    for (const item of held) {
      if (item === 'finalize') this.sendText({ type: 'Finalize' });
      else this.sendAudio(item);
    }
    this.armKeepAlive();
  }

  private flushChunk(): void {
    if (this.chunkFill === 0) return;
    const audio = this.chunk.subarray(0, this.chunkFill);
    this.chunk = new Int16Array(this.chunkSamples);
    this.chunkFill = 0;
    if (this.state === 'open') {
      this.sendAudio(audio);
      return;
    }
    this.pending.push(audio);
    this.pendingSamples += audio.length;
    const limit = (MAX_PENDING_MS * this.request.sampleRate) / 1000;
    while (this.pendingSamples > limit) {
      const head = this.pending.shift();
      if (head === undefined) break;
      if (head === 'finalize') continue;
      this.pendingSamples -= head.length;
      this.droppedMs += head.length * this.msPerSample;
    }
  }

  private sendAudio(samples: Int16Array): void {
    if (samples.length === 0) return;
    this.ws?.send(pcm16ToBytes(samples), { binary: true });
    this.armKeepAlive();
  }

  private sendText(message: Record<string, unknown>): void {
    this.ws?.send(JSON.stringify(message));
  }

  /** Re-armed by every audio frame, so KeepAlive goes out only while audio is not flowing. */
  private armKeepAlive(): void {
    this.stopKeepAlive();
    this.keepAliveTimer = setTimeout(() => {
      if (this.state !== 'open') return;
      this.sendText({ type: 'KeepAlive' });
      this.armKeepAlive();
    }, this.keepAliveMs);
    this.keepAliveTimer.unref?.();
  }

  private stopKeepAlive(): void {
    if (this.keepAliveTimer) clearTimeout(this.keepAliveTimer);
    this.keepAliveTimer = null;
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.state !== 'open') return;
    if (isBinary) {
      this.fail(new ProviderError(PROVIDER, 'protocol', 'received a binary frame on the transcription stream', { code: 'malformed_message' }));
      return;
    }
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    let message: ListenMessage;
    try {
      message = parseListenMessage(PROVIDER, text);
    } catch (err) {
      this.fail(asProviderError(PROVIDER, err));
      return;
    }
    if (message.type === 'Results') this.report(message);
    else if (message.type === 'Error') this.fail(new ProviderError(PROVIDER, 'server', `Deepgram reported an error: ${message.message}`));
  }

  private report(results: ListenResults): void {
    if (results.transcript === '') return;
    const shift = (t: number) => Math.round(t + this.droppedMs);
    const words = results.words.map((w) => ({ ...w, startMs: shift(w.startMs), endMs: shift(w.endMs) }));
    // The words bound the speech; the result's own window also covers the silence around it.
    const startMs = words.length > 0 ? words[0].startMs : shift(results.startMs);
    const endMs = words.length > 0 ? words[words.length - 1].endMs : shift(results.endMs);
    if (results.isFinal) this.emit({ type: 'final', text: results.transcript, confidence: results.confidence, startMs, endMs, words });
    else this.emit({ type: 'partial', text: results.transcript, startMs, endMs });
  }

  private onClose(code: number, reason: string): void {
    if (this.state === 'closing') {
      this.end();
      return;
    }
    if (this.state !== 'open') return;
    this.fail(errorForClose(PROVIDER, code, reason));
  }

  private emit(event: SttEvent): void {
    if (this.state !== 'open') return;
    this.request.onEvent(event);
  }

  /** Reports `error` once and ends the stream. */
  private fail(error: ProviderError): void {
    if (this.state !== 'open' && this.state !== 'connecting') return;
    this.end();
    this.request.onEvent({ type: 'error', message: error.message, recoverable: !NOT_RECOVERABLE.has(error.kind), error });
  }

  /** Stops everything at once; idempotent. */
  private end(): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.request.signal.removeEventListener('abort', this.onAbort);
    this.stopKeepAlive();
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.pending = [];
    this.connectAbort.abort();
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.removeAllListeners('message');
    if (ws.readyState === ws.OPEN) {
      ws.close(1000);
      const kill = setTimeout(() => ws.terminate(), ABORT_GRACE_MS);
      kill.unref?.();
      ws.once('close', () => clearTimeout(kill));
    } else if (ws.readyState !== ws.CLOSED) {
      ws.terminate();
    }
  }
}
