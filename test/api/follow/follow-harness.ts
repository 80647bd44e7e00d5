// A /v1 scope as the server builds it, reduced to what the follow routes need: the principal from
// a test header, ApiError answers, @fastify/websocket; plus an SSE reader, a WebSocket reader and
// a bus that counts live subscriptions, all over real HTTP on loopback.
import http from 'node:http';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocket } from 'ws';
import { ApiError } from '../../../src/api/api-error.js';
import { followRoutes, type FollowDeps } from '../../../src/api/follow/index.js';
import type { Principal, Scope } from '../../../src/auth/principal.js';
import type { BusEntry, BusHandler, BusStats, EventBus, FromId, StreamSelector, SubscribeOptions, Unsubscribe } from '../../../src/bus/event-bus.js';
import type { CallBusEvent } from '../../../src/bus/call-bus-event.js';
import type { TimelineEvent } from '../../../src/session/timeline.js';
import { until } from '../../bus/backends.js';

export { until };

export type TestServer = { app: FastifyInstance; base: string; close(): Promise<void> };

/** `x-test-tenant` names the tenant; `x-test-scopes` (comma separated) makes it a narrowed API key. */
export function as(tenantId: string, scopes?: Scope[]): Record<string, string> {
  return { 'x-test-tenant': tenantId, ...(scopes ? { 'x-test-scopes': scopes.join(',') } : {}) };
}

export async function startServer(deps: FollowDeps): Promise<TestServer> {
  const app = Fastify();
  await app.register(fastifyWebsocket);
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', async (request) => {
        const tenantId = request.headers['x-test-tenant'];
        if (typeof tenantId !== 'string') return;
        const scopes = request.headers['x-test-scopes'];
        const principal: Principal = {
          tenantId,
          role: 'member',
          actor: `user:${tenantId}`,
          kind: typeof scopes === 'string' ? 'api_key' : 'user',
          scopes: typeof scopes === 'string' ? (scopes.split(',') as Scope[]) : null,
        };
        request.principal = principal;
      });
      v1.setErrorHandler(async (err, _request, reply) => {
        if (err instanceof ApiError) return reply.code(err.status).send(err.toJSON());
        return reply.code(500).send({ error: { code: 'internal', message: String(err) } });
      });
      followRoutes(deps)(v1);
    },
    { prefix: '/v1' },
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${port}/v1`, close: () => app.close() };
}

let seq = 0;

/** A timeline event of a call, as the server would publish it. */
export function event(callId: string, type: 'call.started' | 'stt.final' | 'turn.state' | 'call.ended'): TimelineEvent {
  const at = { callId, at: ++seq };
  switch (type) {
    case 'call.started':
      return { ...at, type, agent: 'assistant', inputSampleRate: 16000, outputSampleRate: 24000 };
    case 'stt.final':
      return { ...at, type, text: `words ${seq}`, confidence: 0.9 };
    case 'turn.state':
      return { ...at, type, from: 'IDLE', to: 'LISTENING', reason: 'caller started speaking' };
    case 'call.ended':
      return { ...at, type, reason: 'client ended the session', usage: null };
  }
}

export function publish(bus: EventBus<CallBusEvent>, tenantId: string, e: TimelineEvent): void {
  bus.publish(e.callId, { tenantId, agentId: 'assistant', event: e });
}

export type SseMessage = { id?: string; event?: string; data?: string; comment?: string };

export class SseReader {
  readonly messages: SseMessage[] = [];
  ended = false;
  private buffer = '';

  private constructor(
    readonly status: number,
    readonly headers: http.IncomingHttpHeaders,
    readonly body: Promise<string> | null,
    private readonly request: http.ClientRequest,
  ) {}

  static open(url: string, headers: Record<string, string>): Promise<SseReader> {
    return new Promise((resolve, reject) => {
      const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        res.setEncoding('utf8');
        if (res.statusCode !== 200) {
          let text = '';
          const body = new Promise<string>((done) => {
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => done(text));
          });
          resolve(new SseReader(res.statusCode ?? 0, res.headers, body, request));
          return;
        }
        const reader = new SseReader(200, res.headers, null, request);
        res.on('data', (chunk: string) => reader.take(chunk));
        res.on('end', () => (reader.ended = true));
        res.on('close', () => (reader.ended = true));
        resolve(reader);
      });
      request.on('error', reject);
    });
  }

  /** The events (not comments), in order. */
  get events(): SseMessage[] {
    return this.messages.filter((m) => m.comment === undefined);
  }

  async waitForEvents(n: number): Promise<SseMessage[]> {
    await until(() => this.events.length >= n, `${n} events (have ${this.events.length})`);
    return this.events;
  }

  async waitForEnd(): Promise<void> {
    await until(() => this.ended, 'the stream to end');
  }

  close(): void {
    this.request.destroy();
  }

  private take(chunk: string): void {
    this.buffer += chunk;
    let cut: number;
    while ((cut = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, cut);
      this.buffer = this.buffer.slice(cut + 2);
      const message: SseMessage = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) message.comment = line.slice(1).trim();
        else {
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const value = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id' || field === 'event' || field === 'data') message[field] = value;
        }
      }
      this.messages.push(message);
    }
  }
}

export type WsReader = {
  status: number;
  messages: { id: string; event: TimelineEvent }[];
  closed: { code: number } | null;
  socket: WebSocket;
};

/** Connects; resolves once open (status 101) or refused (the HTTP status). */
export function openSocket(url: string, headers: Record<string, string>): Promise<WsReader> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const reader: WsReader = { status: 0, messages: [], closed: null, socket };
    socket.on('message', (data) => reader.messages.push(JSON.parse(String(data)) as WsReader['messages'][number]));
    socket.on('close', (code) => (reader.closed = { code }));
    socket.on('open', () => {
      reader.status = 101;
      resolve(reader);
    });
    socket.on('unexpected-response', (_req, res) => {
      reader.status = res.statusCode ?? 0;
      res.resume();
      socket.terminate();
      resolve(reader);
    });
    socket.on('error', (err) => {
      if (reader.status === 0) reject(err);
    });
  });
}

/** The bus the server follows with, counting the subscriptions it holds. */
export class CountingBus implements EventBus<CallBusEvent> {
  active = 0;
  subscribed = 0;
  constructor(private readonly inner: EventBus<CallBusEvent>) {}
  publish(callId: string, payload: CallBusEvent): void {
    this.inner.publish(callId, payload);
  }
  async subscribe(options: SubscribeOptions, handler: BusHandler<CallBusEvent>): Promise<Unsubscribe> {
    const unsubscribe = await this.inner.subscribe(options, handler);
    this.active++;
    this.subscribed++;
    let done = false;
    return async () => {
      if (!done) {
        done = true;
        this.active--;
      }
      await unsubscribe();
    };
  }
  replay(stream: StreamSelector, fromId?: FromId): AsyncIterable<BusEntry<CallBusEvent>> {
    return this.inner.replay(stream, fromId);
  }
  pending(stream: StreamSelector, group: string): Promise<number> {
    return this.inner.pending(stream, group);
  }
  trim(olderThanMs: number): Promise<number> {
    return this.inner.trim(olderThanMs);
  }
  flush(): Promise<void> {
    return this.inner.flush();
  }
  stats(): BusStats {
    return this.inner.stats();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
