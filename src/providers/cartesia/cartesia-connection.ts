// The one WebSocket a CartesiaTts shares between its syntheses. It connects lazily, routes each
// message to the context it names, and reconnects on the next use after any close. A socket-level
// failure (close, a frame that is not JSON, an error without a context) fails every context on that socket;
// a message for an unknown context (late audio after a cancel) is dropped.
import type WebSocket from 'ws';
import { AbortedError } from '../types.js';
import { ProviderError } from '../provider-error.js';
import { connectWebSocket } from '../ws-connect.js';
import { parseServerMessage, type CartesiaServerMessage } from './cartesia-messages.js';

export const PROVIDER = 'cartesia';

export type ContextListener = {
  onMessage(message: CartesiaServerMessage): void;
  /** The socket failed; the listener is already unregistered. */
  onFailure(error: ProviderError): void;
};

export type CartesiaConnectionOptions = {
  url: string;
  headers: Record<string, string>;
  connectTimeoutMs: number;
};

export class CartesiaConnection {
  private socket: WebSocket | null = null;
  private connecting: Promise<WebSocket> | null = null;
  /** Counts the sockets opened so far; a context lives only on the socket it was opened on. */
  private serial = 0;
  /** Each context remembers its socket, so a late close of an old socket fails only its own contexts. */
  private readonly contexts = new Map<string, { listener: ContextListener; socket: WebSocket }>();

  constructor(private readonly options: CartesiaConnectionOptions) {}

  /** Resolves once the shared socket is open. An abort rejects this caller only; the connect goes on for others. */
  async open(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new AbortedError();
    // A socket the server has begun to close is as good as gone; its close event still fails its contexts.
    if (this.socket && this.socket.readyState !== this.socket.OPEN) this.socket = null;
    if (this.socket) return;
    this.connecting ??= this.connect();
    const connecting = this.connecting;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new AbortedError());
      signal.addEventListener('abort', onAbort, { once: true });
      connecting.then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  /** Which socket is open now (null when none): contexts kept across requests check they are still on it. */
  socketSerial(): number | null {
    const socket = this.socket;
    return socket && socket.readyState === socket.OPEN ? this.serial : null;
  }

  /** Routes messages for `contextId` on the current socket to `listener`; throws when there is no open socket. */
  register(contextId: string, listener: ContextListener): void {
    const socket = this.openSocket();
    this.contexts.set(contextId, { listener, socket });
  }

  unregister(contextId: string): void {
    this.contexts.delete(contextId);
  }

  /** Sends one JSON message; throws a ProviderError when the socket is gone. */
  send(message: Record<string, unknown>): void {
    this.openSocket().send(JSON.stringify(message));
  }

  /** Best effort: a cancel on a dead socket has nothing left to stop. */
  trySend(message: Record<string, unknown>): void {
    try {
      this.send(message);
    } catch {
      // The socket is closed; the server has already forgotten its contexts.
    }
  }

  /** Closes the socket; its active contexts fail with a network error. */
  close(): void {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    this.failOn(socket, new ProviderError(PROVIDER, 'network', 'connection closed by the client'));
    socket.close(1000, 'client closing');
  }

  private openSocket(): WebSocket {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) {
      throw new ProviderError(PROVIDER, 'network', 'connection is not open');
    }
    return socket;
  }

  private async connect(): Promise<WebSocket> {
    try {
      const socket = await connectWebSocket({
        provider: PROVIDER,
        url: this.options.url,
        headers: this.options.headers,
        timeoutMs: this.options.connectTimeoutMs,
      });
      this.attach(socket);
      this.socket = socket;
      this.serial++;
      return socket;
    } finally {
      this.connecting = null;
    }
  }

  private attach(socket: WebSocket): void {
    socket.on('message', (data, isBinary) => {
      const message = isBinary ? null : parseServerMessage(data.toString());
      if (!message) {
        const what = isBinary ? 'a binary frame' : `a frame that is not JSON (${preview(data.toString())})`;
        this.abandon(socket, new ProviderError(PROVIDER, 'protocol', `received ${what}`, { code: 'malformed_message' }));
        return;
      }
      const entry = message.contextId === null ? undefined : this.contexts.get(message.contextId);
      if (entry?.socket === socket) {
        entry.listener.onMessage(message);
      } else if (message.type === 'error' && message.contextId === null) {
        // An error nobody can be matched to concerns the socket as a whole.
        const error = new ProviderError(PROVIDER, 'protocol', `server error without a context: ${message.message}`, { status: message.status ?? undefined, code: message.code });
        this.abandon(socket, error);
      }
    });
    socket.on('error', () => {
      // 'close' follows and does the reporting.
    });
    socket.on('close', (code, reason) => {
      if (this.socket === socket) this.socket = null;
      const why = reason.toString();
      this.failOn(socket, new ProviderError(PROVIDER, 'network', `connection closed (${code}${why ? ` ${why}` : ''})`, { code: String(code) }));
    });
  }

  /** Drops a socket that can no longer be trusted and fails everything on it. */
  private abandon(socket: WebSocket, error: ProviderError): void {
    if (this.socket === socket) this.socket = null;
    this.failOn(socket, error);
    socket.terminate();
  }

  private failOn(socket: WebSocket, error: ProviderError): void {
    for (const [contextId, entry] of [...this.contexts]) {
      if (entry.socket !== socket) continue;
      this.contexts.delete(contextId);
      entry.listener.onFailure(error);
    }
  }
}

function preview(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return JSON.stringify(oneLine.length > 60 ? `${oneLine.slice(0, 60)}…` : oneLine);
}
