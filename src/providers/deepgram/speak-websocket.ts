// Aura over the /v1/speak WebSocket, one connection per synthesis: Speak (the text, in pieces of at
// most 2000 characters), then Flush, then binary audio until Flushed, then Close. An abort sends
// Clear and closes the socket at once; so does a consumer that stops reading early.
import type WebSocket from 'ws';
import { AudioDecoder } from '../audio-decoder.js';
import { ProviderError } from '../provider-error.js';
import { AbortedError, type TtsAudio } from '../types.js';
import { connectWebSocket } from '../ws-connect.js';
import { errorForClose } from './deepgram-close.js';

const PROVIDER = 'deepgram';
/** How long a close frame may wait for the peer before the socket is destroyed. */
const CLOSE_GRACE_MS = 250;

export type SpeakSocketRequest = {
  url: string;
  headers: Record<string, string>;
  pieces: string[];
  signal: AbortSignal;
  /** Longest wait for the handshake and between two server messages. */
  timeoutMs: number;
};

type Inbound = { binary: true; bytes: Buffer } | { binary: false; text: string };

export async function* speakOverWebSocket(request: SpeakSocketRequest): AsyncGenerator<TtsAudio> {
  const { signal } = request;
  if (signal.aborted) throw new AbortedError();
  const ws = await connectWebSocket({ provider: PROVIDER, url: request.url, headers: request.headers, signal, timeoutMs: request.timeoutMs });
  const inbox = new SpeakInbox(ws, signal);
  let flushed = false;
  try {
    // Pieces were cut at spaces; the buffer concatenates them, so each but the last gets its space back.
    request.pieces.forEach((text, i) => ws.send(JSON.stringify({ type: 'Speak', text: i < request.pieces.length - 1 ? `${text} ` : text })));
    ws.send(JSON.stringify({ type: 'Flush' }));
    const decoder = new AudioDecoder(PROVIDER, 'pcm16');
    while (!flushed) {
      const item = await inbox.next(request.timeoutMs);
      if (item.binary) {
        const samples = decoder.push(item.bytes);
        if (samples.length > 0) yield { samples };
        continue;
      }
      const type = messageType(item.text);
      if (type === 'Flushed') flushed = true;
      else if (type === 'Error' || type === 'error') throw new ProviderError(PROVIDER, 'server', `Deepgram reported an error: ${item.text.slice(0, 200)}`);
      // Metadata, Warning, Cleared and unknown types carry nothing the caller needs.
    }
  } finally {
    inbox.dispose(flushed);
  }
}

/** The message's `type`; a frame that is not a JSON object is a protocol error. */
function messageType(text: string): string {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ProviderError(PROVIDER, 'protocol', `received a text frame that is not a JSON message: ${JSON.stringify(text.slice(0, 60))}`, { code: 'malformed_message' });
  }
  const type = (data as { type?: unknown }).type;
  return typeof type === 'string' ? type : '';
}

/** Socket events as a pull queue. An abort wins over queued audio; a close or error comes after it. */
class SpeakInbox {
  private readonly items: Inbound[] = [];
  private failure: Error | null = null;
  private wake: (() => void) | null = null;
  private aborted = false;
  private disposed = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly signal: AbortSignal,
  ) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      this.items.push(isBinary ? { binary: true, bytes } : { binary: false, text: bytes.toString('utf8') });
      this.notify();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.failure ??= errorForClose(PROVIDER, code, reason.toString('utf8'));
      this.notify();
    });
    ws.on('error', (err: Error) => {
      this.failure ??= new ProviderError(PROVIDER, 'network', `socket error: ${err.message}`, { cause: err });
      this.notify();
    });
    signal.addEventListener('abort', this.onAbort, { once: true });
    // The abort may have fired between the handshake and this constructor.
    if (signal.aborted) this.onAbort();
  }

  async next(timeoutMs: number): Promise<Inbound> {
    for (;;) {
      if (this.aborted) throw new AbortedError();
      const item = this.items.shift();
      if (item) return item;
      if (this.failure) throw this.failure;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await new Promise<boolean>((resolve) => {
        this.wake = () => resolve(false);
        timer = setTimeout(() => resolve(true), timeoutMs);
      });
      clearTimeout(timer);
      this.wake = null;
      if (timedOut && !this.aborted && this.items.length === 0 && !this.failure) {
        throw new ProviderError(PROVIDER, 'timeout', `no message from Deepgram for ${timeoutMs} ms`);
      }
    }
  }

  /** Ends the connection: Close after a finished synthesis, otherwise Clear (drop queued audio) and close. */
  dispose(finished: boolean): void {
    if (this.disposed) return;
    this.disposed = true;
    this.signal.removeEventListener('abort', this.onAbort);
    this.shut(finished ? 'Close' : 'Clear');
  }

  private readonly onAbort = () => {
    this.aborted = true;
    this.notify();
    if (!this.disposed) {
      this.disposed = true;
      this.shut('Clear');
    }
  };

  private shut(message: 'Close' | 'Clear'): void {
    const ws = this.ws;
    ws.removeAllListeners('message');
    if (ws.readyState !== ws.OPEN) {
      if (ws.readyState !== ws.CLOSED) ws.terminate();
      return;
    }
    ws.send(JSON.stringify({ type: message }));
    ws.close(1000);
    const kill = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
    kill.unref?.();
    ws.once('close', () => clearTimeout(kill));
  }

  private notify(): void {
    this.wake?.();
  }
}
