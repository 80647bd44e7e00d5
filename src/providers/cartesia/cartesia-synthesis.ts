// One synthesis = the audio for one request on one Cartesia context of the shared socket: either a
// whole context (`continue:false`, ends at `done`) or one sentence of a continued context (ends at
// the `flush_done` of its flush). Messages are turned into a queue of TtsAudio as they arrive
// (independent of how fast the consumer pulls), with a watchdog on the gap between messages. Ending
// it early sends `cancel` right away, from the abort listener itself, so the server stops without
// waiting for the consumer's next pull.
import { AudioDecoder } from '../audio-decoder.js';
import { kindForStatus, ProviderError } from '../provider-error.js';
import { AbortedError, type TtsAudio, type WordTiming } from '../types.js';
import { PROVIDER, type CartesiaConnection, type ContextListener } from './cartesia-connection.js';
import { decodeBase64, type CartesiaServerMessage } from './cartesia-messages.js';

type State = 'open' | 'done' | 'failed' | 'aborted';

export type SynthesisOptions = {
  chunkTimeoutMs: number;
  sampleRate: number;
  /** `done`: the request is the whole context. `flush_done`: it is one input of a continued context. */
  endsAt: 'done' | 'flush_done';
  /** Audio already streamed on this context before this request (ms): Cartesia counts word times from the context's start. */
  contextOffsetMs: number;
  /**
   * The request continues a context opened earlier, which the server may have let expire: its error
   * before any audio was handed out drops what came and marks the synthesis `rejected`, so that the
   * caller can say it again on a fresh context.
   */
  continuation: boolean;
};

/** Server word times may sit this far before the audio already streamed and still count from the context's start. */
const OFFSET_SLACK_MS = 50;

export class CartesiaSynthesis implements ContextListener {
  private readonly decoder = new AudioDecoder(PROVIDER, 'pcm16');
  private readonly queue: TtsAudio[] = [];
  /** Words that arrived with no audio left in the queue to carry them; they ride on the next chunk. */
  private pendingWords: WordTiming[] = [];
  private state: State = 'open';
  private started = false;
  private yielded = 0;
  private samples = 0;
  /** What this request's word times are counted from, decided on its first words (see onWords). */
  private wordBaseMs: number | null = null;
  private endedAtFlush = false;
  private lastAudioAt = 0;
  private wasRejected = false;
  private error: ProviderError | null = null;
  private wake: (() => void) | null = null;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    readonly contextId: string,
    private readonly connection: CartesiaConnection,
    private readonly options: SynthesisOptions,
  ) {}

  /** True when the server refused this continuation before any of its audio was handed out. */
  get rejected(): boolean {
    return this.wasRejected;
  }

  /** True when the request ended at its flush and the server still holds the context open for more input. */
  get contextReusable(): boolean {
    return this.state === 'done' && this.endedAtFlush;
  }

  /** When the server finished this request's audio (performance.now()); Cartesia's expiry clock starts there. */
  get finishedAt(): number {
    return this.lastAudioAt;
  }

  /** Where the context's audio ends after this request, on the server's time line for word timestamps. */
  get contextAudioMs(): number {
    return (this.wordBaseMs ?? this.options.contextOffsetMs) + (this.samples * 1000) / this.options.sampleRate;
  }

  /** Registers with the socket and sends the messages in order; throws if the socket is already gone. */
  start(messages: Record<string, unknown>[]): void {
    try {
      this.connection.register(this.contextId, this);
      for (const message of messages) this.connection.send({ ...message, context_id: this.contextId });
    } catch (err) {
      this.connection.unregister(this.contextId);
      this.state = 'failed';
      throw err;
    }
    this.started = true;
    this.armWatchdog();
  }

  onMessage(message: CartesiaServerMessage): void {
    if (this.state !== 'open') return;
    this.armWatchdog();
    switch (message.type) {
      case 'chunk':
        return this.onChunk(message.data);
      case 'timestamps':
        return this.onWords(message.words);
      case 'flush_done':
        // Requests on one context go one at a time, so the flush that ends audio is always ours.
        if (this.options.endsAt === 'flush_done') this.finish(true);
        return;
      case 'done':
        this.finish(false);
        return;
      case 'error': {
        const status = message.status ?? undefined;
        const kind = status === undefined ? 'server' : kindForStatus(status);
        if (this.options.continuation && this.yielded === 0) {
          // Nothing was heard yet: the caller can say all of it again on a fresh context.
          this.wasRejected = true;
          this.queue.length = 0;
          this.pendingWords = [];
        }
        this.fail(new ProviderError(PROVIDER, kind, message.message, { status, code: message.code }), false);
        return;
      }
      default:
        return;
    }
  }

  onFailure(error: ProviderError): void {
    if (this.state !== 'open') return;
    this.error = error;
    this.settle('failed');
  }

  /**
   * Ends the request from our side (abort, or the consumer stopped early): yield nothing more and,
   * unless the caller cancels the context itself, send `cancel` now. False when it had already ended.
   */
  abort(cancelRemote = true): boolean {
    if (this.state !== 'open') return false;
    if (cancelRemote && this.started) this.connection.trySend({ context_id: this.contextId, cancel: true });
    this.settle('aborted');
    return true;
  }

  /** The chunks as they come; throws AbortedError after an abort, the ProviderError after a failure. */
  async *chunks(signal: AbortSignal): AsyncGenerator<TtsAudio> {
    while (true) {
      if (this.state === 'aborted' || signal.aborted) throw new AbortedError();
      const next = this.queue.shift();
      if (next) {
        this.yielded++;
        yield next;
        continue;
      }
      if (this.state === 'failed') throw this.error ?? new ProviderError(PROVIDER, 'network', 'synthesis failed');
      if (this.state === 'done') return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private finish(atFlush: boolean): void {
    if (this.pendingWords.length > 0) this.queue.push({ samples: new Int16Array(0), words: this.pendingWords });
    this.pendingWords = [];
    this.endedAtFlush = atFlush;
    this.lastAudioAt = performance.now();
    this.settle('done');
  }

  private onChunk(data: string): void {
    const bytes = decodeBase64(data);
    if (!bytes) {
      this.fail(new ProviderError(PROVIDER, 'protocol', 'audio chunk is not valid base64', { code: 'malformed_audio' }), true);
      return;
    }
    let samples: Int16Array;
    try {
      samples = this.decoder.push(bytes);
    } catch (err) {
      this.fail(err instanceof ProviderError ? err : new ProviderError(PROVIDER, 'protocol', String(err)), true);
      return;
    }
    if (samples.length === 0) return;
    this.samples += samples.length;
    const words = this.pendingWords;
    this.pendingWords = [];
    this.queue.push(words.length > 0 ? { samples, words } : { samples });
    this.notify();
  }

  private onWords(serverWords: WordTiming[]): void {
    if (serverWords.length === 0) return;
    const words = this.relative(serverWords);
    // Attach to audio not yet handed out, else keep them for the next chunk.
    const last = this.queue.at(-1);
    if (last) last.words = [...(last.words ?? []), ...words];
    else this.pendingWords.push(...words);
  }

  /**
   * Word times relative to the start of this request's audio. On a continued context Cartesia counts
   * from the context's start, so the audio already streamed on it is subtracted. Should the server
   * have started the context afresh (times near 0 although audio was streamed before), the times
   * are taken as they are.
   */
  private relative(words: WordTiming[]): WordTiming[] {
    const offset = this.options.contextOffsetMs;
    this.wordBaseMs ??= offset > 0 && words[0].startMs + OFFSET_SLACK_MS < offset ? 0 : offset;
    const base = this.wordBaseMs;
    if (base === 0) return words;
    return words.map((w) => ({ word: w.word, startMs: Math.max(0, roundUs(w.startMs - base)), endMs: Math.max(0, roundUs(w.endMs - base)) }));
  }

  /** `cancelRemote`: the server still thinks the context is alive (our own verdict, not its error). */
  private fail(error: ProviderError, cancelRemote: boolean): void {
    if (this.state !== 'open') return;
    if (cancelRemote) this.connection.trySend({ context_id: this.contextId, cancel: true });
    this.error = error;
    this.settle('failed');
  }

  private armWatchdog(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => {
      this.fail(new ProviderError(PROVIDER, 'timeout', `no message for this synthesis in ${this.options.chunkTimeoutMs} ms`), true);
    }, this.options.chunkTimeoutMs);
  }

  private settle(state: Exclude<State, 'open'>): void {
    this.state = state;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    this.connection.unregister(this.contextId);
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** Keeps subtraction noise out of the ms values (0.36 s − 0.12 s reads as 240, not 239.99999999999997). */
function roundUs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
