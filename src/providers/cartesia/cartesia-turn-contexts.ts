// The Cartesia contexts kept open across the sentences of a reply. Parley speaks a reply sentence by
// sentence, one request at a time, all with the reply's turnId; Cartesia keeps prosody across inputs
// of one context (continuations), so the sentences of a turn share one context. A context is closed
// (`transcript:"", continue:false`) when a request of another turn arrives or after an idle gap
// shorter than Cartesia's expiry (1 s after the last audio), and forgotten without a word when it is
// cancelled, failed, or its socket is gone.
import { randomUUID } from 'node:crypto';
import type { CartesiaConnection } from './cartesia-connection.js';

export type TurnContext = {
  readonly turnId: string;
  readonly contextId: string;
  /** The fields the context was opened with; every later message on it repeats them, as Cartesia requires. */
  readonly fields: Readonly<Record<string, unknown>>;
  readonly key: string;
  /** The connection's socket serial the context was opened on. */
  readonly socket: number;
  /** Audio streamed on the context so far, on the server's time line for word timestamps. */
  audioMs: number;
  /** A request is using it now; nobody else may. */
  busy: boolean;
  idleTimer: NodeJS.Timeout | null;
};

export class CartesiaTurnContexts {
  private readonly turns = new Map<string, TurnContext>();

  constructor(
    private readonly connection: CartesiaConnection,
    private readonly idleMs: number,
  ) {}

  /**
   * The context for the next request of `turnId` with these request fields, marked busy: the turn's
   * open context (`continuing`) or a fresh one. Null when the turn's context is busy with another
   * request (two requests of one turn at once): that request gets a context of its own elsewhere.
   * Idle contexts of the same call's other turns are closed, as a new turn means their reply is over.
   */
  acquire(turnId: string, fields: Record<string, unknown>): { context: TurnContext; continuing: boolean } | null {
    // Keys are `<call>/<turn>`: only the same call's earlier turns are over; other calls' idle
    // contexts are left to their own idle timers.
    const call = callOf(turnId);
    for (const other of [...this.turns.values()]) if (other.turnId !== turnId && callOf(other.turnId) === call && !other.busy) this.close(other);
    const socket = this.connection.socketSerial();
    if (socket === null) return null;
    const key = JSON.stringify(fields);
    const existing = this.turns.get(turnId);
    if (existing?.busy) return null;
    if (existing && existing.key === key && existing.socket === socket) {
      this.clearIdle(existing);
      existing.busy = true;
      return { context: existing, continuing: true };
    }
    // Another voice or rate, or a new socket: the old context cannot carry this request.
    if (existing) this.close(existing);
    const context: TurnContext = { turnId, contextId: `parley-${randomUUID()}`, fields, key, socket, audioMs: 0, busy: true, idleTimer: null };
    this.turns.set(turnId, context);
    return { context, continuing: false };
  }

  /**
   * The request ended at its flush: keep the context for the turn's next sentence, closing it once
   * the idle gap has passed since `lastAudioAt` (when the server finished the audio, which can be
   * well before the consumer has taken all of it; Cartesia's expiry counts from there too).
   */
  release(context: TurnContext, audioMs: number, lastAudioAt: number): void {
    context.audioMs = audioMs;
    context.busy = false;
    if (this.turns.get(context.turnId) !== context) return;
    this.clearIdle(context);
    const left = this.idleMs - (performance.now() - lastAudioAt);
    if (left <= 0) {
      this.close(context);
      return;
    }
    context.idleTimer = setTimeout(() => this.close(context), left);
    // A pending close must not keep the process alive; the socket's end closes the context anyway.
    context.idleTimer.unref();
  }

  /** The context is of no further use (cancelled, failed, ended by the server): drop it without a message. */
  forget(context: TurnContext): void {
    context.busy = false;
    this.clearIdle(context);
    if (this.turns.get(context.turnId) === context) this.turns.delete(context.turnId);
  }

  /** Tells Cartesia no more input follows (its `done` goes unheard) and forgets the context. */
  close(context: TurnContext): void {
    this.forget(context);
    // On a newer socket the id means nothing; the old socket took the context with it.
    if (this.connection.socketSerial() !== context.socket) return;
    this.connection.trySend({ ...context.fields, context_id: context.contextId, transcript: '', continue: false });
  }

  /** Stops the context at once (the request was aborted) and forgets it: the turn's next request starts afresh. */
  cancel(context: TurnContext): void {
    this.forget(context);
    if (this.connection.socketSerial() !== context.socket) return;
    this.connection.trySend({ context_id: context.contextId, cancel: true });
  }

  /** Forgets every context (the socket is closing and takes them along). */
  clear(): void {
    for (const context of [...this.turns.values()]) this.forget(context);
  }

  private clearIdle(context: TurnContext): void {
    if (context.idleTimer) clearTimeout(context.idleTimer);
    context.idleTimer = null;
  }
}

/** The call part of a `<call>/<turn>` key (the whole key when it has no call part). */
function callOf(key: string): string {
  const slash = key.lastIndexOf('/');
  return slash < 0 ? key : key.slice(0, slash);
}
