// The live-follow endpoints over real HTTP on loopback, with the memory bus and with Redis (the
// publisher on one RedisEventBus, as the process running the call; the server on another): replay
// then live, resume from an id, tenant isolation, the end of a call, and clean-up on disconnect.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallBusEvent } from '../../../src/bus/call-bus-event.js';
import type { BusEntry, EventBus } from '../../../src/bus/event-bus.js';
import { MemoryEventBus } from '../../../src/bus/memory-bus.js';
import { MemoryStreamStore } from '../../../src/bus/memory-stream.js';
import { RedisEventBus } from '../../../src/bus/redis-bus.js';
import { VirtualClock } from '../../../src/clock.js';
import type { TimelineEvent } from '../../../src/session/timeline.js';
import { deleteKeys, REDIS_URL, testPrefix } from '../../bus/backends.js';
import { as, CountingBus, event, openSocket, publish, SseReader, startServer, until, type TestServer } from './follow-harness.js';

type Buses = { name: string; publisher: EventBus<CallBusEvent>; server: CountingBus; cleanup(): Promise<void> };

function memoryBuses(): Buses {
  const store = new MemoryStreamStore<CallBusEvent>();
  const publisher = new MemoryEventBus<CallBusEvent>({ store });
  const server = new CountingBus(new MemoryEventBus<CallBusEvent>({ store }));
  return { name: 'memory', publisher, server, cleanup: async () => void (await Promise.all([publisher.close(), server.close()])) };
}

function redisBuses(): Buses {
  const prefix = testPrefix();
  const publisher = new RedisEventBus<CallBusEvent>({ url: REDIS_URL, prefix, blockMs: 50 });
  const server = new CountingBus(new RedisEventBus<CallBusEvent>({ url: REDIS_URL, prefix, blockMs: 50 }));
  return {
    name: 'redis',
    publisher,
    server,
    cleanup: async () => {
      await Promise.all([publisher.close(), server.close()]);
      await deleteKeys(prefix);
    },
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setUp(make: () => Buses, extra: { callTenant?: (tenantId: string, callId: string) => Promise<boolean>; clock?: VirtualClock } = {}) {
  const buses = make();
  cleanups.push(buses.cleanup);
  const server = await startServer({ bus: buses.server, ...extra });
  cleanups.push(server.close);
  /** Publishes and waits until it is written (Redis), as the process running the call would. */
  const send = async (tenantId: string, e: TimelineEvent): Promise<void> => {
    publish(buses.publisher, tenantId, e);
    await buses.publisher.flush();
  };
  const entries = async (callId: string): Promise<BusEntry<CallBusEvent>[]> => {
    const out: BusEntry<CallBusEvent>[] = [];
    for await (const entry of buses.server.replay({ callId }, '0')) out.push(entry);
    return out;
  };
  return { buses, server, send, entries };
}

function open(server: TestServer, path: string, headers: Record<string, string>): Promise<SseReader> {
  const reader = SseReader.open(`${server.base}${path}`, headers);
  void reader.then((r) => cleanups.push(async () => r.close()));
  return reader;
}

describe.each([
  ['memory', memoryBuses],
  ['redis', redisBuses],
])('follow over the %s bus', (_name, make) => {
  it('replays a call from the start, follows it live, and ends the stream after call.ended', async () => {
    const { server, send, entries } = await setUp(make);
    const callId = randomUUID();
    await send('tenant-a', event(callId, 'call.started'));
    await send('tenant-a', event(callId, 'stt.final'));

    const sse = await open(server, `/calls/${callId}/events`, as('tenant-a'));
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(sse.headers['cache-control']).toContain('no-cache');
    await sse.waitForEvents(2);

    await send('tenant-a', event(callId, 'turn.state'));
    await send('tenant-a', event(callId, 'call.ended'));
    await sse.waitForEnd();

    const stored = await entries(callId);
    expect(sse.events).toEqual(
      stored.map((entry) => ({ id: entry.id, event: entry.payload.event.type, data: JSON.stringify(entry.payload.event) })),
    );
    expect(sse.events.map((m) => m.event)).toEqual(['call.started', 'stt.final', 'turn.state', 'call.ended']);
  });

  it('resumes after an id, from Last-Event-ID over ?from=', async () => {
    const { server, send, entries } = await setUp(make);
    const callId = randomUUID();
    for (const type of ['call.started', 'stt.final', 'turn.state', 'call.ended'] as const) await send('tenant-a', event(callId, type));
    const ids = (await entries(callId)).map((e) => e.id);

    const fromQuery = await open(server, `/calls/${callId}/events?from=${ids[1]}`, as('tenant-a'));
    await fromQuery.waitForEnd();
    expect(fromQuery.events.map((m) => m.id)).toEqual(ids.slice(2));

    const fromHeader = await open(server, `/calls/${callId}/events?from=${ids[0]}`, { ...as('tenant-a'), 'last-event-id': ids[2] });
    await fromHeader.waitForEnd();
    expect(fromHeader.events.map((m) => m.id)).toEqual(ids.slice(3));
  });

  it("does not let tenant B follow tenant A's call, nor see A's entries on /events", async () => {
    const { server, send } = await setUp(make);
    const callA = randomUUID();
    const callB = randomUUID();
    await send('tenant-a', event(callA, 'call.started'));

    const refused = await open(server, `/calls/${callA}/events`, as('tenant-b'));
    expect(refused.status).toBe(404);
    expect(JSON.parse(await refused.body!)).toEqual({ error: { code: 'not_found', message: 'call not found' } });
    const refusedSocket = await openSocket(`${server.base.replace('http', 'ws')}/calls/${callA}/follow`, as('tenant-b'));
    expect(refusedSocket.status).toBe(404);

    const allOfB = await open(server, '/events', as('tenant-b'));
    const allOfA = await open(server, '/events', as('tenant-a'));
    // Live from here: a 200 means the subscription is in place.
    await send('tenant-a', event(callA, 'stt.final'));
    await send('tenant-b', event(callB, 'call.started'));
    await send('tenant-a', event(callA, 'call.ended'));
    await send('tenant-b', event(callB, 'call.ended'));

    await allOfB.waitForEvents(2);
    await allOfA.waitForEvents(2);
    const callsIn = (r: SseReader) => r.events.map((m) => (JSON.parse(m.data!) as TimelineEvent).callId);
    // A's call.ended was published before B's: had it leaked, B would hold it by now.
    expect(callsIn(allOfB)).toEqual([callB, callB]);
    expect(allOfB.events.map((m) => m.event)).toEqual(['call.started', 'call.ended']);
    expect(callsIn(allOfA)).toEqual([callA, callA]);
    // The global stream does not end with a call.
    expect(allOfB.ended).toBe(false);
  });

  it('never sends an entry of another tenant on a call stream', async () => {
    const { server, send } = await setUp(make);
    const callId = randomUUID();
    await send('tenant-a', event(callId, 'call.started'));
    await send('tenant-b', event(callId, 'stt.final'));
    await send('tenant-a', event(callId, 'call.ended'));
    const sse = await open(server, `/calls/${callId}/events`, as('tenant-a'));
    await sse.waitForEnd();
    expect(sse.events.map((m) => m.event)).toEqual(['call.started', 'call.ended']);
  });

  it('lets go of the bus subscription when the client goes away', async () => {
    const { buses, server, send } = await setUp(make);
    const callId = randomUUID();
    await send('tenant-a', event(callId, 'call.started'));
    const sse = await open(server, `/calls/${callId}/events`, as('tenant-a'));
    const all = await open(server, '/events', as('tenant-a'));
    await sse.waitForEvents(1);
    await until(() => buses.server.active === 2, 'two subscriptions');
    sse.close();
    await until(() => buses.server.active === 1, 'the call subscription to go');
    all.close();
    await until(() => buses.server.active === 0, 'the global subscription to go');

    const socket = await openSocket(`${server.base.replace('http', 'ws')}/calls/${callId}/follow`, as('tenant-a'));
    await until(() => socket.messages.length === 1, 'the replayed entry');
    expect(buses.server.active).toBe(1);
    socket.socket.close();
    await until(() => buses.server.active === 0, 'the socket subscription to go');
  });

  it('follows a call over a WebSocket: replay, live, closed after call.ended', async () => {
    const { server, send, entries } = await setUp(make);
    const callId = randomUUID();
    await send('tenant-a', event(callId, 'call.started'));
    const socket = await openSocket(`${server.base.replace('http', 'ws')}/calls/${callId}/follow`, as('tenant-a'));
    expect(socket.status).toBe(101);
    await until(() => socket.messages.length === 1, 'the replayed entry');
    await send('tenant-a', event(callId, 'stt.final'));
    await send('tenant-a', event(callId, 'call.ended'));
    await until(() => socket.closed !== null, 'the socket to close');
    expect(socket.closed).toEqual({ code: 1000 });
    expect(socket.messages).toEqual((await entries(callId)).map((e) => ({ id: e.id, event: e.payload.event })));
  });
});

describe('follow: access and stream behaviour', () => {
  it('streams a call the store knows before anything of it is on the bus, and 404s one it does not', async () => {
    const known = randomUUID();
    const { server, send } = await setUp(memoryBuses, { callTenant: async (tenantId, callId) => tenantId === 'tenant-a' && callId === known });
    const sse = await open(server, `/calls/${known}/events`, as('tenant-a'));
    expect(sse.status).toBe(200);
    await send('tenant-a', event(known, 'call.started'));
    await sse.waitForEvents(1);

    expect((await open(server, `/calls/${known}/events`, as('tenant-b'))).status).toBe(404);
    expect((await open(server, `/calls/${randomUUID()}/events`, as('tenant-a'))).status).toBe(404);
  });

  it('404s a call with nothing on the bus when no store lookup is given', async () => {
    const { server } = await setUp(memoryBuses);
    expect((await open(server, `/calls/${randomUUID()}/events`, as('tenant-a'))).status).toBe(404);
  });

  it('needs the calls:read scope', async () => {
    const { server, send } = await setUp(memoryBuses);
    const callId = randomUUID();
    await send('tenant-a', event(callId, 'call.started'));
    const narrow = await open(server, `/calls/${callId}/events`, as('tenant-a', ['agents:read']));
    expect(narrow.status).toBe(403);
    expect(JSON.parse(await narrow.body!).error.code).toBe('forbidden');
    expect((await open(server, '/events', as('tenant-a', ['agents:read']))).status).toBe(403);
    expect((await open(server, `/calls/${callId}/events`, as('tenant-a', ['calls:read']))).status).toBe(200);
    expect((await open(server, `/calls/${callId}/events`, {})).status).toBe(401);
  });

  it('refuses a start that is not an event id', async () => {
    const { server, send } = await setUp(memoryBuses);
    const callId = randomUUID();
    await send('tenant-a', event(callId, 'call.started'));
    const bad = await open(server, `/calls/${callId}/events?from=yesterday`, as('tenant-a'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(await bad.body!)).toEqual({
      error: {
        code: 'invalid_request',
        message: "from must be '0', 'live' or an event id such as 1700000000000-0",
        issues: [{ field: 'from', reason: 'not an event id: "yesterday"' }],
      },
    });
    expect((await open(server, '/events', { ...as('tenant-a'), 'last-event-id': 'x' })).status).toBe(400);
  });

  it('sends a keep-alive comment every 15 s of quiet', async () => {
    const clock = new VirtualClock(0);
    const { server, send } = await setUp(memoryBuses, { clock });
    const sse = await open(server, '/events', as('tenant-a'));
    const comments = () => sse.messages.filter((m) => m.comment === 'keep-alive').length;
    clock.advance(14_999);
    await send('tenant-a', event(randomUUID(), 'call.started'));
    await sse.waitForEvents(1);
    expect(comments()).toBe(0);
    clock.advance(1);
    await until(() => comments() === 1, 'a keep-alive');
    clock.advance(15_000);
    await until(() => comments() === 2, 'a second keep-alive');
  });

  it('ends open streams when the server closes', async () => {
    const { buses, server } = await setUp(memoryBuses);
    const sse = await open(server, '/events', as('tenant-a'));
    await until(() => buses.server.active === 1, 'the subscription');
    await server.close();
    await sse.waitForEnd();
    await until(() => buses.server.active === 0, 'the subscription to go');
  });
});

describe('follow: an unreachable bus', () => {
  it('answers 503 instead of a stream', async () => {
    const bus = new RedisEventBus<CallBusEvent>({ url: 'redis://127.0.0.1:1', prefix: testPrefix(), blockMs: 50 });
    cleanups.push(() => bus.close(0));
    const server = await startServer({ bus });
    cleanups.push(server.close);
    const call = await open(server, `/calls/${randomUUID()}/events`, as('tenant-a'));
    expect(call.status).toBe(503);
    expect(JSON.parse(await call.body!).error.code).toBe('unavailable');
    const all = await open(server, '/events', as('tenant-a'));
    expect(all.status).toBe(503);
  });
});
