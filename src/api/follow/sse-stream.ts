// One server-sent events response: headers, `id`/`event`/`data` messages, keep-alive comments,
// backpressure (a send waits while the client is slow) and one close path whoever ends it.
// Messages sent before start() wait for it, so the caller can subscribe first and only then answer:
// a client holding the 200 knows that nothing published from then on is missed.
import type { FastifyReply } from 'fastify';
import type { Clock, TimerHandle } from '../../clock.js';

export type SseOptions = { clock: Clock; keepAliveMs: number };

export class SseStream {
  private closed = false;
  private keepAlive: TimerHandle | null = null;
  private readonly closeListeners: (() => void)[] = [];
  private markStarted!: () => void;
  private readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(
    private readonly reply: FastifyReply,
    private readonly options: SseOptions,
  ) {
    reply.raw.on('close', () => this.close());
  }

  /** Takes the response over from Fastify and sends the headers (those hooks set included). */
  start(): void {
    if (this.closed) return;
    const res = this.reply.raw;
    this.reply.hijack();
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(this.reply.getHeaders())) if (value !== undefined) headers[name] = value;
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx would otherwise hold events back in its buffer
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    this.scheduleKeepAlive();
    this.markStarted();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  /** Resolves once the message is handed to the socket, or the stream closed meanwhile. */
  async send(id: string, event: string, data: unknown): Promise<void> {
    await this.started;
    await this.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.keepAlive?.cancel();
    this.markStarted();
    const res = this.reply.raw;
    if (!res.writableEnded && res.headersSent) res.end();
    for (const listener of this.closeListeners.splice(0)) listener();
  }

  private write(text: string): Promise<void> {
    const res = this.reply.raw;
    if (this.closed || res.destroyed) return Promise.resolve();
    if (res.write(text)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  private scheduleKeepAlive(): void {
    this.keepAlive = this.options.clock.setTimeout(() => {
      if (this.closed) return;
      void this.write(': keep-alive\n\n');
      this.scheduleKeepAlive();
    }, this.options.keepAliveMs);
  }
}
