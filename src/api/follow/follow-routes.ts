// The live-follow endpoints of /v1, over the event bus (docs/observability.md):
//   GET /calls/:id/events  server-sent events of one call: replay, then live, until call.ended
//   GET /events            server-sent events of every call of the tenant (live by default)
//   GET /calls/:id/follow  one call as a WebSocket of JSON {id, event} messages (the web app)
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { BusEntry, EventBus, FromId, StreamSelector } from '../../bus/event-bus.js';
import type { CallBusEvent } from '../../bus/call-bus-event.js';
import { systemClock, type Clock } from '../../clock.js';
import { assertCallOfTenant, fromBus, readerOf, startOf } from './follow-access.js';
import { followStream } from './follow-subscription.js';
import { SseStream } from './sse-stream.js';

export type FollowDeps = {
  bus: EventBus<CallBusEvent>;
  /** Whether the call exists and belongs to the tenant (a store lookup), for calls with nothing retained on the bus yet. */
  callTenant?(tenantId: string, callId: string): Promise<boolean>;
  /** Keep-alive comment interval on idle SSE streams. Default 15 000 ms. */
  keepAliveMs?: number;
  clock?: Clock;
};

type CallParams = { Params: { id: string } };

export function followRoutes(deps: FollowDeps): (v1: FastifyInstance) => void {
  const clock = deps.clock ?? systemClock;
  const keepAliveMs = deps.keepAliveMs ?? 15_000;
  if (!(keepAliveMs > 0)) throw new RangeError(`keepAliveMs must be > 0, got ${keepAliveMs}`);

  return (v1) => {
    const open = new Set<SseStream>();

    async function streamEvents(reply: FastifyReply, stream: StreamSelector, fromId: FromId, tenantId: string): Promise<void> {
      const sse = new SseStream(reply, { clock, keepAliveMs });
      // Subscribed before the 200 goes out; a failure here is still an HTTP error answer.
      const following = await fromBus(() =>
        followStream(
          deps.bus,
          stream,
          fromId,
          tenantId,
          { deliver: (entry) => sse.send(entry.id, entry.payload.event.type, entry.payload.event), ended: () => sse.close() },
          { endWithCall: !('global' in stream) },
        ),
      );
      sse.onClose(() => following.stop());
      if (sse.isClosed) {
        reply.hijack(); // the client left while we subscribed: nothing to answer
        return;
      }
      open.add(sse);
      sse.onClose(() => open.delete(sse));
      sse.start();
    }

    v1.get<CallParams>('/calls/:id/events', async (request, reply) => {
      const principal = readerOf(request);
      const fromId = startOf(request, '0');
      await assertCallOfTenant(deps, principal.tenantId, request.params.id);
      await streamEvents(reply, { callId: request.params.id }, fromId, principal.tenantId);
    });

    v1.get('/events', async (request, reply) => {
      const principal = readerOf(request);
      const fromId = startOf(request, 'live');
      await streamEvents(reply, { global: true }, fromId, principal.tenantId);
    });

    v1.get<CallParams>(
      '/calls/:id/follow',
      {
        websocket: true,
        // Before the upgrade, so a refusal is a plain HTTP answer (403, 404, 400).
        preValidation: async (request) => {
          const principal = readerOf(request);
          startOf(request, '0');
          await assertCallOfTenant(deps, principal.tenantId, request.params.id);
        },
      },
      (socket, request) => followOnSocket(socket, request),
    );

    async function followOnSocket(socket: WebSocket, request: FastifyRequest<CallParams>): Promise<void> {
      const principal = readerOf(request);
      const send = (entry: BusEntry<CallBusEvent>): Promise<void> =>
        new Promise((resolve) => socket.send(JSON.stringify({ id: entry.id, event: entry.payload.event }), () => resolve()));
      try {
        const following = await followStream(
          deps.bus,
          { callId: request.params.id },
          startOf(request, '0'),
          principal.tenantId,
          { deliver: send, ended: () => socket.close(1000, 'call ended') },
          { endWithCall: true },
        );
        if (socket.readyState >= socket.CLOSING) following.stop();
        else socket.on('close', () => following.stop());
      } catch (err) {
        request.log.warn({ err }, 'follow: subscribing to the event bus failed');
        socket.close(1011, 'event bus unavailable');
      }
    }

    // Open streams would hold the server's close forever: end them first.
    v1.addHook('preClose', async () => {
      for (const sse of [...open]) sse.close();
    });
  };
}
