// Redis goes away under a publishing bus (a loopback proxy is cut) and comes back: everything
// published before, during and after the outage arrives once, in order.
import { afterAll, describe, expect, it } from 'vitest';
import { RedisEventBus } from '../../src/bus/redis-bus.js';
import { collect, deleteKeys, REDIS_URL, testPrefix, until, type Payload } from './backends.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const prefix = testPrefix();
const ev = (n: number): Payload => ({ callId: 'out', at: Date.now(), type: 'stt.partial', n });

describe('redis bus outage', () => {
  afterAll(() => deleteKeys(prefix));

  it('queues while Redis is unreachable and resends in order, exactly once, when it returns', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 6379 });
    const bus = new RedisEventBus<Payload>({ url: `redis://127.0.0.1:${proxy.port}`, prefix, blockMs: 50 });
    const reader = new RedisEventBus<Payload>({ url: REDIS_URL, prefix, blockMs: 50 });
    const live: number[] = [];
    await reader.subscribe({ callId: 'out' }, (e) => void live.push(e.payload.n));
    try {
      const total = 3120;
      // Cut while a long backlog is being written, so some batches die with their outcome unknown.
      for (let n = 1; n <= 3000; n++) bus.publish('out', ev(n));
      await until(() => live.length >= 100, 'the first entries to land');
      proxy.cut();
      const cutAtQueued = bus.stats().queued;
      expect(cutAtQueued).toBeGreaterThan(0);

      const publishStarted = Date.now();
      for (let n = 3001; n <= 3100; n++) bus.publish('out', ev(n));
      // publish() returned without waiting on Redis; the entries wait in the queue.
      expect(Date.now() - publishStarted).toBeLessThan(1000);
      await until(() => proxy.refused >= 3, 'the client to fail to reconnect a few times');
      const landedDuringOutage = live.length;
      expect(landedDuringOutage).toBeLessThan(3100);
      expect(bus.stats().queued).toBeGreaterThanOrEqual(100);

      proxy.restore();
      for (let n = 3101; n <= total; n++) bus.publish('out', ev(n));
      await bus.flush();
      await until(() => live.length >= total, 'entries after the outage');

      const expected = Array.from({ length: total }, (_, i) => i + 1);
      expect(live).toEqual(expected);
      const stored = await collect(reader.replay({ callId: 'out' }, '0'));
      expect(stored.map((e) => e.payload.n)).toEqual(expected);
      const global = await collect(reader.replay({ global: true }, '0'));
      expect(global.filter((e) => e.callId === 'out').map((e) => e.payload.n)).toEqual(expected);
      expect(bus.stats()).toMatchObject({ published: total, dropped: 0, queued: 0 });
      console.log(`outage: cut with ${cutAtQueued} queued, ${landedDuringOutage} landed before the cut, ${proxy.refused} reconnects refused, write errors ${bus.stats().errors}, duplicates skipped ${bus.duplicatesSkipped}`);
    } finally {
      await bus.close(100);
      await reader.close();
      await proxy.close();
    }
  });

  it('drops and counts publishes past the queue bound while Redis is down, keeping the rest in order', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 6379 });
    const bus = new RedisEventBus<Payload>({ url: `redis://127.0.0.1:${proxy.port}`, prefix, blockMs: 50, maxQueued: 10 });
    try {
      bus.publish('bounded', { ...ev(0), callId: 'bounded' });
      await bus.flush();
      proxy.cut();
      for (let n = 1; n <= 25; n++) bus.publish('bounded', { ...ev(n), callId: 'bounded' });
      expect(bus.stats()).toMatchObject({ queued: 10, dropped: 15 });
      proxy.restore();
      await bus.flush();
      const stored = await collect(bus.replay({ callId: 'bounded' }, '0'));
      expect(stored.map((e) => e.payload.n)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    } finally {
      await bus.close(100);
      await proxy.close();
    }
  });

  it('a batch whose reply is lost is resent and Redis keeps only the first copy', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 6379 });
    const bus = new RedisEventBus<Payload>({ url: `redis://127.0.0.1:${proxy.port}`, prefix, blockMs: 50 });
    try {
      bus.publish('lost-reply', { ...ev(1), callId: 'lost-reply' });
      await bus.flush();
      proxy.dropNextReply();
      for (let n = 2; n <= 6; n++) bus.publish('lost-reply', { ...ev(n), callId: 'lost-reply' });
      await bus.flush();
      const stored = await collect(bus.replay({ callId: 'lost-reply' }, '0'));
      expect(stored.map((e) => e.payload.n)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(bus.duplicatesSkipped).toBeGreaterThan(0);
    } finally {
      await bus.close(100);
      await proxy.close();
    }
  });
});
