// The bus contract, run over the in-process bus and over Redis Streams on a real connection.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BusEntry, EventBus } from '../../src/bus/event-bus.js';
import { compareEntryIds, parseEntryId } from '../../src/bus/event-bus.js';
import { collect, memoryBackend, redisBackend, until, type Backend, type Payload } from './backends.js';

const ev = (callId: string, n: number): Payload => ({ callId, at: Date.now(), type: 'stt.partial', n });

describe.each([['memory', memoryBackend], ['redis', redisBackend]] as const)('event bus (%s)', (_name, makeBackend) => {
  let backend: Backend;
  const opened: EventBus<Payload>[] = [];
  const open = (): EventBus<Payload> => {
    const bus = backend.open();
    opened.push(bus);
    return bus;
  };

  beforeAll(() => {
    backend = makeBackend();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
  });
  afterAll(async () => {
    await backend.cleanup();
  });

  it('delivers a call\'s events to its subscribers and every call\'s to the global stream', async () => {
    const bus = open();
    const callA: BusEntry<Payload>[] = [];
    const global: BusEntry<Payload>[] = [];
    await bus.subscribe({ callId: 'a' }, (e) => void callA.push(e));
    await bus.subscribe({ global: true }, (e) => void global.push(e));
    bus.publish('a', ev('a', 1));
    bus.publish('b', ev('b', 1));
    bus.publish('a', ev('a', 2));
    await until(() => global.length === 3 && callA.length === 2, 'deliveries');
    expect(callA.map((e) => e.payload.n)).toEqual([1, 2]);
    expect(callA.every((e) => e.callId === 'a')).toBe(true);
    expect(global.map((e) => `${e.callId}${e.payload.n}`)).toEqual(['a1', 'b1', 'a2']);
    expect(compareEntryIds(callA[0].id, callA[1].id)).toBeLessThan(0);
    expect(bus.stats()).toMatchObject({ published: 3, dropped: 0, errors: 0, queued: 0 });
  });

  it('replays from 0 and from a given id, and a subscription from an id gets the rest then live', async () => {
    const bus = open();
    for (let n = 1; n <= 5; n++) bus.publish('r', ev('r', n));
    await bus.flush();
    const all = await collect(bus.replay({ callId: 'r' }, '0'));
    expect(all.map((e) => e.payload.n)).toEqual([1, 2, 3, 4, 5]);
    const after2 = await collect(bus.replay({ callId: 'r' }, all[1].id));
    expect(after2.map((e) => e.payload.n)).toEqual([3, 4, 5]);
    expect(await collect(bus.replay({ callId: 'nobody' }, '0'))).toEqual([]);

    const seen: number[] = [];
    await bus.subscribe({ callId: 'r', fromId: all[2].id }, (e) => void seen.push(e.payload.n));
    bus.publish('r', ev('r', 6));
    await until(() => seen.length === 3, 'backlog then live');
    expect(seen).toEqual([4, 5, 6]);
  });

  it('a live subscription gets nothing published before it', async () => {
    const bus = open();
    bus.publish('l', ev('l', 1));
    await bus.flush();
    const seen: number[] = [];
    await bus.subscribe({ callId: 'l' }, (e) => void seen.push(e.payload.n));
    bus.publish('l', ev('l', 2));
    await until(() => seen.length >= 1, 'live entry');
    expect(seen).toEqual([2]);
  });

  it('a group of two consumers splits the entries; ack clears pending; unacked goes to the other after the timeout', async () => {
    const bus = open();
    const got: Record<string, number[]> = { c1: [], c2: [] };
    const visibilityTimeoutMs = 200;
    const group = (consumer: 'c1' | 'c2') => ({ name: 'workers', consumer, visibilityTimeoutMs, batchSize: 1 });
    const work = () => new Promise((r) => setTimeout(r, 2));
    // c1 acknowledges everything except entry 3, which it "crashes" on.
    await bus.subscribe({ callId: 'g', fromId: '0', group: group('c1') }, async (e, ack) => {
      got.c1.push(e.payload.n);
      await work();
      if (e.payload.n !== 3) await ack(e.id);
    });
    await bus.subscribe({ callId: 'g', fromId: '0', group: group('c2') }, async (e, ack) => {
      got.c2.push(e.payload.n);
      await work();
      if (e.payload.n === 3) return; // c2 holds 3 unacked too, until...
      await ack(e.id);
    });
    for (let n = 1; n <= 20; n++) bus.publish('g', ev('g', n));
    await until(() => got.c1.length + got.c2.length >= 20, 'group deliveries');
    const firstRound = [...got.c1, ...got.c2];
    expect(new Set(firstRound).size).toBe(20); // each entry went to exactly one member
    expect(got.c1.length).toBeGreaterThan(0);
    expect(got.c2.length).toBeGreaterThan(0);
    await until(async () => (await bus.pending({ callId: 'g' }, 'workers')) === 1, 'only entry 3 pending');

    const firstHolder = got.c1.includes(3) ? 'c1' : 'c2';
    const other = firstHolder === 'c1' ? 'c2' : 'c1';
    const before = got[other].length;
    await until(() => got[other].slice(before).includes(3), 'entry 3 redelivered to the other consumer');
  });

  it('a redelivered entry that is then acknowledged leaves the pending list', async () => {
    const bus = open();
    let failedOnce = false;
    const deliveries: string[] = [];
    const g = (consumer: string) => ({ name: 'retry', consumer, visibilityTimeoutMs: 150 });
    await bus.subscribe({ callId: 'h', group: g('x') }, async (e, ack) => {
      deliveries.push(`x:${e.payload.n}`);
      if (!failedOnce) {
        failedOnce = true;
        return;
      }
      await ack(e.id);
    });
    bus.publish('h', ev('h', 1));
    await until(() => deliveries.length === 2, 'the same entry delivered a second time');
    expect(deliveries).toEqual(['x:1', 'x:1']);
    await until(async () => (await bus.pending({ callId: 'h' }, 'retry')) === 0, 'pending cleared after ack');
  });

  it('trim by age removes old entries only', async () => {
    const bus = open();
    for (let n = 1; n <= 3; n++) bus.publish('t', ev('t', n));
    await bus.flush();
    const old = await collect(bus.replay({ callId: 't' }));
    const lastOldMs = parseEntryId(old[old.length - 1].id).ms;
    await until(() => Date.now() >= lastOldMs + 60, 'time to pass');
    for (let n = 4; n <= 5; n++) bus.publish('t', ev('t', n));
    await bus.flush();
    const all = await collect(bus.replay({ callId: 't' }));
    const firstNewMs = parseEntryId(all[3].id).ms;
    expect(firstNewMs).toBeGreaterThanOrEqual(lastOldMs + 60);
    // The cut-off falls in the middle of the gap between the two batches.
    const removed = await bus.trim(Date.now() - (lastOldMs + 30));
    expect(removed).toBeGreaterThanOrEqual(6); // 3 from the call stream, 3 from the global one
    expect((await collect(bus.replay({ callId: 't' }))).map((e) => e.payload.n)).toEqual([4, 5]);
  });

  it('keeps order under many publishes', async () => {
    const bus = open();
    const seen: number[] = [];
    const globalSeen: number[] = [];
    await bus.subscribe({ callId: 'o' }, (e) => void seen.push(e.payload.n));
    await bus.subscribe({ global: true }, (e) => void (e.callId === 'o' && globalSeen.push(e.payload.n)));
    const count = 2000;
    for (let n = 0; n < count; n++) bus.publish('o', ev('o', n));
    await bus.flush();
    await until(() => seen.length === count && globalSeen.length === count, 'all entries', 30_000);
    const expected = Array.from({ length: count }, (_, n) => n);
    expect(seen).toEqual(expected);
    expect(globalSeen).toEqual(expected);
    const ids = (await collect(bus.replay({ callId: 'o' }))).map((e) => e.id);
    expect(ids.length).toBe(count);
    for (let i = 1; i < ids.length; i++) expect(compareEntryIds(ids[i - 1], ids[i])).toBeLessThan(0);
  });

  it('a second, independent bus instance follows a live call published by the first', async () => {
    const publisher = open();
    const follower = open();
    const seen: Payload[] = [];
    await follower.subscribe({ callId: 'live-call' }, (e) => void seen.push(e.payload));
    for (let n = 1; n <= 10; n++) publisher.publish('live-call', ev('live-call', n));
    await until(() => seen.length === 10, 'the follower to see the call');
    expect(seen.map((p) => p.n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen[0]).toMatchObject({ callId: 'live-call', type: 'stt.partial' });
  });

  it('unsubscribe stops deliveries', async () => {
    const bus = open();
    const seen: number[] = [];
    const unsubscribe = await bus.subscribe({ callId: 'u' }, (e) => void seen.push(e.payload.n));
    bus.publish('u', ev('u', 1));
    await until(() => seen.length === 1, 'first entry');
    await unsubscribe();
    bus.publish('u', ev('u', 2));
    await bus.flush();
    // A fresh subscriber from 0 seeing entry 2 shows it was published while the old one stayed deaf.
    const probe: number[] = [];
    await bus.subscribe({ callId: 'u', fromId: '0' }, (e) => void probe.push(e.payload.n));
    await until(() => probe.length === 2, 'probe');
    expect(seen).toEqual([1]);
  });

  it('a throwing handler is counted and does not stop later deliveries', async () => {
    const bus = open();
    const seen: number[] = [];
    await bus.subscribe({ callId: 'x' }, (e) => {
      seen.push(e.payload.n);
      if (e.payload.n === 1) throw new Error('handler bug');
    });
    bus.publish('x', ev('x', 1));
    bus.publish('x', ev('x', 2));
    await until(() => seen.length === 2, 'both entries');
    expect(bus.stats().errors).toBe(1);
  });
});
