// Turns a WebSocket's callbacks into events an async generator can await one at a time, in order.
// Listeners are attached at construction, so nothing that arrives while the consumer is busy is lost.
// An abort rejects the pending (and every later) `next()` with AbortedError at once.
import type WebSocket from 'ws';
import { AbortedError } from '../types.js';

export type InboxEvent =
  | { type: 'message'; data: Buffer; isBinary: boolean }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; error: Error };

export class SocketInbox {
  private readonly events: InboxEvent[] = [];
  private waiter: { resolve: (e: InboxEvent) => void; reject: (e: Error) => void } | null = null;
  private readonly onMessage = (data: WebSocket.RawData, isBinary: boolean) =>
    this.push({ type: 'message', data: Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer), isBinary });
  private readonly onClose = (code: number, reason: Buffer) => this.push({ type: 'close', code, reason: reason.toString('utf8') });
  private readonly onError = (error: Error) => this.push({ type: 'error', error });
  private readonly onAbort = () => {
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.reject(new AbortedError());
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly signal: AbortSignal,
  ) {
    ws.on('message', this.onMessage);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  next(): Promise<InboxEvent> {
    if (this.signal.aborted) return Promise.reject(new AbortedError());
    const event = this.events.shift();
    if (event) return Promise.resolve(event);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  dispose(): void {
    this.ws.off('message', this.onMessage);
    this.ws.off('close', this.onClose);
    this.ws.off('error', this.onError);
    // Errors after we stopped listening (e.g. on a terminated socket) must not become uncaught.
    this.ws.on('error', () => {});
    this.signal.removeEventListener('abort', this.onAbort);
  }

  private push(event: InboxEvent): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter.resolve(event);
    } else {
      this.events.push(event);
    }
  }
}
