// ElevenLabs streaming TTS over the single-context WebSocket `/v1/text-to-speech/{voice_id}/stream-input`
// (protocols.md §4a). One socket per synthesis: the key goes in the `xi-api-key` header (refusals then
// come back as HTTP statuses at the upgrade), then three messages — BOS `{"text":" ",…}`, the text, and
// EOS `{"text":""}` — and the server streams base64 audio with character alignment until `isFinal`.
import WebSocket from 'ws';
import { Resampler } from '../../audio/resampler.js';
import { AudioDecoder } from '../audio-decoder.js';
import { asProviderError, ProviderError, type ProviderErrorKind } from '../provider-error.js';
import { AbortedError, type ProviderCapabilities, type TtsAudio, type TtsProvider, type TtsRequest, type WordTiming } from '../types.js';
import { connectWebSocket } from '../ws-connect.js';
import { AlignmentWords } from './alignment-words.js';
import { kindForErrorCode, parseServerMessage } from './elevenlabs-messages.js';
import { ELEVENLABS_PCM_RATES, resolveOutputFormat, type ElevenLabsOutputFormat, type ResolvedFormat } from './output-format.js';
import { SocketInbox } from './socket-inbox.js';

export type ElevenLabsVoiceSettings = {
  stability?: number;
  similarityBoost?: number;
  style?: number;
  useSpeakerBoost?: boolean;
  /** 0.7 – 1.2 */
  speed?: number;
};

export type ElevenLabsTtsOptions = {
  apiKey: string;
  /** Default `wss://api.elevenlabs.io`; `http(s)://` is accepted and mapped to `ws(s)://`. */
  baseUrl?: string;
  voiceId: string;
  /** Default `eleven_flash_v2_5`. */
  modelId?: string;
  /** `pcm` (default) asks for `pcm_<request.sampleRate>`; `ulaw_8000` for telephony-grade μ-law. */
  outputFormat?: ElevenLabsOutputFormat;
  voiceSettings?: ElevenLabsVoiceSettings;
  /** Server-side `inactivity_timeout` in seconds (vendor default 20, max 180). */
  inactivityTimeoutS?: number;
  /**
   * Ask for alignment with every audio chunk (`sync_alignment=true`, the default) so word timings arrive
   * with the audio they describe; false leaves the vendor default (alignment on a generation's first chunk).
   */
  syncAlignment?: boolean;
};

const PROVIDER = 'elevenlabs';

/**
 * Each yielded chunk carries the words (from the character alignment, ms from the start of this
 * synthesis) that ended within the audio received so far; the last word comes with the final chunk,
 * which may hold no samples. On abort the socket is terminated at once and the iterator throws
 * AbortedError; every other failure is a ProviderError.
 */
export class ElevenLabsTts implements TtsProvider {
  readonly name = PROVIDER;
  readonly capabilities: ProviderCapabilities = { sampleRates: ELEVENLABS_PCM_RATES, wordTimestamps: true, languages: ['*'], streaming: true };
  private readonly baseUrl: string;
  private readonly modelId: string;
  private readonly outputFormat: ElevenLabsOutputFormat;

  constructor(private readonly options: ElevenLabsTtsOptions) {
    if (!options.apiKey) throw new ProviderError(PROVIDER, 'auth', 'an API key is required');
    if (!options.voiceId) throw new ProviderError(PROVIDER, 'bad_request', 'a voiceId is required');
    const inactivity = options.inactivityTimeoutS;
    if (inactivity !== undefined && !(inactivity > 0 && inactivity <= 180)) {
      throw new ProviderError(PROVIDER, 'bad_request', `inactivityTimeoutS must be in (0, 180], got ${inactivity}`);
    }
    this.baseUrl = (options.baseUrl ?? 'wss://api.elevenlabs.io').replace(/^http/, 'ws').replace(/\/+$/, '');
    this.modelId = options.modelId ?? 'eleven_flash_v2_5';
    this.outputFormat = options.outputFormat ?? 'pcm';
  }

  synthesize(request: TtsRequest): AsyncIterable<TtsAudio> {
    return this.run(request);
  }

  private async *run(request: TtsRequest): AsyncGenerator<TtsAudio> {
    const { signal } = request;
    if (signal.aborted) throw new AbortedError();
    const format = resolveOutputFormat(PROVIDER, this.outputFormat, request.sampleRate);
    // Nothing to say; and an empty text message would mean end of input.
    if (!request.text.trim()) return;

    const ws = await connectWebSocket({ provider: PROVIDER, url: this.urlFor(request, format), headers: { 'xi-api-key': this.options.apiKey }, signal });
    const inbox = new SocketInbox(ws, signal);
    // Stop the vendor at once, even while the consumer is not pulling.
    const onAbort = () => ws.terminate();
    signal.addEventListener('abort', onAbort, { once: true });
    let completed = false;
    try {
      if (signal.aborted) throw new AbortedError();
      ws.send(JSON.stringify(this.beginMessage()));
      ws.send(JSON.stringify({ text: /\s$/.test(request.text) ? request.text : `${request.text} ` }));
      ws.send(JSON.stringify({ text: '' }));

      const decoder = new AudioDecoder(PROVIDER, format.encoding);
      const resampler = format.wireRate === request.sampleRate ? null : new Resampler(format.wireRate, request.sampleRate);
      const words = new AlignmentWords();
      let bytesBefore = 0;
      for (;;) {
        const event = await inbox.next();
        if (event.type === 'close') throw closeError(event.code, event.reason);
        if (event.type === 'error') throw new ProviderError(PROVIDER, 'network', `socket error: ${event.error.message}`, { cause: event.error });
        if (event.isBinary) throw new ProviderError(PROVIDER, 'protocol', 'received a binary frame; expected JSON text', { code: 'malformed_message' });
        const message = parseServerMessage(PROVIDER, event.data.toString('utf8'));
        if (message.error) {
          throw new ProviderError(PROVIDER, kindForErrorCode(message.error.code), message.error.message, { code: message.error.code });
        }
        let samples: Int16Array = new Int16Array(0);
        const chunkWords: WordTiming[] = [];
        // Alignment times are relative to this message's audio, which starts after all audio so far.
        const offsetMs = (bytesBefore * 1000) / format.bytesPerSecond;
        if (message.audio && message.audio.length > 0) {
          bytesBefore += message.audio.length;
          samples = decoder.push(message.audio);
          if (resampler) samples = resampler.process(samples);
        }
        if (message.alignment) chunkWords.push(...words.push(message.alignment, offsetMs));
        if (message.isFinal) {
          chunkWords.push(...words.flush());
          if (resampler) samples = concat(samples, resampler.flush());
          completed = true;
          if (samples.length > 0 || chunkWords.length > 0) yield audioChunk(samples, chunkWords);
          return;
        }
        if (samples.length > 0 || chunkWords.length > 0) yield audioChunk(samples, chunkWords);
      }
    } catch (err) {
      if (signal.aborted || err instanceof AbortedError) throw new AbortedError();
      throw asProviderError(PROVIDER, err);
    } finally {
      signal.removeEventListener('abort', onAbort);
      inbox.dispose();
      // After isFinal the server closes on its own; any other exit (error, consumer stopped early) cuts it.
      if (completed) {
        if (ws.readyState === WebSocket.OPEN) ws.close(1000);
      } else {
        ws.terminate();
      }
    }
  }

  private urlFor(request: TtsRequest, format: ResolvedFormat): string {
    const voiceId = request.voice ?? this.options.voiceId;
    const url = new URL(`${this.baseUrl}/v1/text-to-speech/${encodeURIComponent(voiceId)}/stream-input`);
    url.searchParams.set('model_id', this.modelId);
    url.searchParams.set('output_format', format.wire);
    if (this.options.syncAlignment !== false) url.searchParams.set('sync_alignment', 'true');
    if (this.options.inactivityTimeoutS !== undefined) url.searchParams.set('inactivity_timeout', String(this.options.inactivityTimeoutS));
    return url.toString();
  }

  private beginMessage(): Record<string, unknown> {
    const message: Record<string, unknown> = { text: ' ' };
    const v = this.options.voiceSettings;
    if (v) {
      const settings: Record<string, unknown> = {};
      if (v.stability !== undefined) settings.stability = v.stability;
      if (v.similarityBoost !== undefined) settings.similarity_boost = v.similarityBoost;
      if (v.style !== undefined) settings.style = v.style;
      if (v.useSpeakerBoost !== undefined) settings.use_speaker_boost = v.useSpeakerBoost;
      if (v.speed !== undefined) settings.speed = v.speed;
      message.voice_settings = settings;
    }
    return message;
  }
}

function audioChunk(samples: Int16Array, words: WordTiming[]): TtsAudio {
  return words.length > 0 ? { samples, words } : { samples };
}

function concat(a: Int16Array, b: Int16Array): Int16Array {
  if (b.length === 0) return a;
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** A close before `isFinal`. Errors normally arrive as a message first; this covers bare closes. */
function closeError(code: number, reason: string): ProviderError {
  const said = reason ? ` (${reason})` : '';
  let kind: ProviderErrorKind = 'network';
  if (code === 1000 || code === 1005) kind = 'protocol';
  else if (code === 1008) kind = /timeout/i.test(reason) ? 'timeout' : /api key|unauthori[sz]ed|authenticat/i.test(reason) ? 'auth' : 'server';
  else if (code === 1011 || code === 1013) kind = 'server';
  const what = code === 1006 ? 'connection dropped' : `connection closed with ${code}`;
  return new ProviderError(PROVIDER, kind, `${what} before the final message${said}`, { code: `ws_${code}` });
}
