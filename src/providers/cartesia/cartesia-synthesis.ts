// One synthesis = one Cartesia context on the shared socket. Messages for it are turned into a queue
// of TtsAudio as they arrive (independent of how fast the consumer pulls), with a watchdog on the
// gap between messages. Ending it early sends `cancel` right away, from the abort listener itself,
// so the server stops without waiting for the consumer's next pull.
import { AudioDecoder } from '../audio-decoder.js';
import { kindForStatus, ProviderError } from '../provider-error.js';
import { AbortedError, type TtsAudio, type WordTiming } from '../types.js';
import { PROVIDER, type CartesiaConnection, type ContextListener } from './cartesia-connection.js';
import { decodeBase64, type CartesiaServerMessage } from './cartesia-messages.js';

type State = 'open' | 'done' | 'failed' | 'aborted';

export class CartesiaSynthesis implements ContextListener {
  private readonly decoder = new AudioDecoder(PROVIDER, 'pcm16');
  private readonly queue: TtsAudio[] = [];
  /** Words that arrived with no audio left in the queue to carry them; they ride on the next chunk. */
  private pendingWords: WordTiming[] = [];
  private state: State = 'open';
  private started = false;
  private error: ProviderError | null = null;
  private wake: (() => void) | null = null;
  private watchdog: NodeJS.Timeout | null = null;

  constructor(
    readonly contextId: string,
    private readonly connection: CartesiaConnection,
    private readonly chunkTimeoutMs: number,
  ) {}

  /** Registers with the socket and sends the request; throws if the socket is already gone. */
  start(request: Record<string, unknown>): void {
    try {
      this.connection.register(this.contextId, this);
      this.connection.send({ ...request, context_id: this.contextId });
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
      case 'done':
        if (this.pendingWords.length > 0) this.queue.push({ samples: new Int16Array(0), words: this.pendingWords });
        this.pendingWords = [];
        this.settle('done');
        return;
      case 'error': {
        const status = message.status ?? undefined;
        const kind = status === undefined ? 'server' : kindForStatus(status);
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

  /** Ends the context from our side (abort, or the consumer stopped early): cancel now, yield nothing more. */
  abort(): void {
    if (this.state !== 'open') return;
    if (this.started) this.connection.trySend({ context_id: this.contextId, cancel: true });
    this.settle('aborted');
  }

  /** The chunks as they come; throws AbortedError after an abort, the ProviderError after a failure. */
  async *chunks(signal: AbortSignal): AsyncGenerator<TtsAudio> {
    while (true) {
      if (this.state === 'aborted' || signal.aborted) throw new AbortedError();
      const next = this.queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.state === 'failed') throw this.error ?? new ProviderError(PROVIDER, 'network', 'synthesis failed');
      if (this.state === 'done') return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
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
    const words = this.pendingWords;
    this.pendingWords = [];
    this.queue.push(words.length > 0 ? { samples, words } : { samples });
    this.notify();
  }

  private onWords(words: WordTiming[]): void {
    if (words.length === 0) return;
    // Attach to audio not yet handed out, else keep them for the next chunk.
    const last = this.queue.at(-1);
    if (last) last.words = [...(last.words ?? []), ...words];
    else this.pendingWords.push(...words);
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
      this.fail(new ProviderError(PROVIDER, 'timeout', `no message for this synthesis in ${this.chunkTimeoutMs} ms`), true);
    }, this.chunkTimeoutMs);
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
