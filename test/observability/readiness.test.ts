// Readiness: checks side by side with timeouts on a virtual clock, draining, GET /ready, and each
// check builder against the real thing (SQLite, PostgreSQL, Redis) and against a dead port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryEventBus } from '../../src/bus/memory-bus.js';
import type { BusStats } from '../../src/bus/event-bus.js';
import { VirtualClock } from '../../src/clock.js';
import { busCheck, databaseCheck, providersCheck, Readiness, readyRoute, redisCheck, type CheckResult, type ReadinessCheck } from '../../src/observability/index.js';
import { ProviderHealth } from '../../src/resilience/provider-health.js';
import { openStore } from '../../src/store/open-store.js';
import { postgresUrl } from '../store/backends.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
/** Nothing listens here: connections are refused at once. */
const DEAD_PORT = 1;

const ok = (name: string): ReadinessCheck => ({ name, check: async () => ({ ok: true }) });
const failing = (name: string, reason: string): ReadinessCheck => ({ name, check: async () => ({ ok: false, reason }) });
const flush = () => new Promise((r) => setImmediate(r));

describe('Readiness', () => {
  it('is ready when every check is, and lists each one', async () => {
    const readiness = new Readiness([ok('database'), ok('redis')]);
    expect(await readiness.run()).toEqual({ status: 'ready', checks: { database: { ok: true }, redis: { ok: true } } });
  });

  it('is not ready when one check fails or throws, with the reasons', async () => {
    const readiness = new Readiness([
      ok('database'),
      failing('redis', 'connection refused'),
      {
        name: 'bus',
        check: async () => {
          throw new Error('stats unavailable');
        },
      },
      {
        name: 'sync-throw',
        check: () => {
          throw new Error('broke before the promise');
        },
      },
    ]);
    expect(await readiness.run()).toEqual({
      status: 'not_ready',
      checks: {
        database: { ok: true },
        redis: { ok: false, reason: 'connection refused' },
        bus: { ok: false, reason: 'stats unavailable' },
        'sync-throw': { ok: false, reason: 'broke before the promise' },
      },
    });
  });

  it('gives a check that does not answer 2 s, then reports it timed out', async () => {
    const clock = new VirtualClock(0);
    const hanging: ReadinessCheck = { name: 'hanging', check: () => new Promise<CheckResult>(() => {}) };
    const readiness = new Readiness([ok('database'), hanging], { clock });
    let report: Awaited<ReturnType<Readiness['run']>> | null = null;
    void readiness.run().then((r) => (report = r));
    clock.advance(1999);
    await flush();
    expect(report).toBeNull();
    clock.advance(1);
    await flush();
    expect(report).toEqual({ status: 'not_ready', checks: { database: { ok: true }, hanging: { ok: false, reason: 'timed out' } } });
  });

  it('takes a per-check timeout over the default', async () => {
    const clock = new VirtualClock(0);
    const slow: ReadinessCheck = { name: 'slow', timeoutMs: 100, check: () => new Promise<CheckResult>(() => {}) };
    const readiness = new Readiness([slow], { clock, timeoutMs: 5000 });
    const running = readiness.run();
    clock.advance(100);
    expect((await running).checks.slow).toEqual({ ok: false, reason: 'timed out' });
  });

  it('answers not ready while draining, without running the checks', async () => {
    let runs = 0;
    const counted: ReadinessCheck = { name: 'counted', check: async () => (runs++, { ok: true }) };
    const readiness = new Readiness([counted]);
    expect((await readiness.run()).status).toBe('ready');
    readiness.setDraining();
    expect(await readiness.run()).toEqual({ status: 'not_ready', reason: 'shutting down', checks: {} });
    readiness.setDraining('shutting down (SIGTERM)');
    expect((await readiness.run()).reason).toBe('shutting down (SIGTERM)');
    expect(runs).toBe(1);
  });

  it('refuses two checks of one name', () => {
    expect(() => new Readiness([ok('redis'), ok('redis')])).toThrow(/already registered/);
  });
});

describe('GET /ready', () => {
  it('answers 200 when ready, 503 with reasons when not, 503 while draining', async () => {
    let redisUp = true;
    const readiness = new Readiness([ok('database'), { name: 'redis', check: async () => (redisUp ? { ok: true } : { ok: false, reason: 'connection refused' }) }]);
    const app = Fastify();
    readyRoute(readiness)(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/ready`;
    try {
      let res = await fetch(url);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ status: 'ready', checks: { database: { ok: true }, redis: { ok: true } } });

      redisUp = false;
      res = await fetch(url);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not_ready', checks: { database: { ok: true }, redis: { ok: false, reason: 'connection refused' } } });

      redisUp = true;
      readiness.setDraining();
      res = await fetch(url);
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 'not_ready', reason: 'shutting down', checks: {} });
    } finally {
      await app.close();
    }
  });
});

describe('databaseCheck', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-ready-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is ok on SQLite, and not ok once the database is closed', async () => {
    const store = openStore({ sqlitePath: join(dir, 'ready.db') });
    const check = databaseCheck(store.db);
    expect(await check.check()).toEqual({ ok: true });
    await store.close();
    const after = await check.check();
    expect(after.ok).toBe(false);
    expect(after.reason).toBeTruthy();
  });

  it('is ok on PostgreSQL', async () => {
    const store = openStore({ url: postgresUrl, sqlitePath: join(dir, 'unused.db') });
    try {
      expect(await databaseCheck(store.db).check()).toEqual({ ok: true });
    } finally {
      await store.close();
    }
  });

  it('is not ok on a PostgreSQL that is not there, saying why', async () => {
    const store = openStore({ url: `postgres://postgres@127.0.0.1:${DEAD_PORT}/test`, sqlitePath: join(dir, 'unused.db') });
    try {
      const result = await new Readiness([databaseCheck(store.db)]).run();
      expect(result.status).toBe('not_ready');
      expect(result.checks.database.reason).toMatch(/ECONNREFUSED/);
    } finally {
      await store.close();
    }
  });
});

describe('redisCheck', () => {
  it('is ok on a running Redis (own connection from a URL)', async () => {
    const check = redisCheck(REDIS_URL);
    try {
      expect(await check.check()).toEqual({ ok: true });
      expect(await check.check()).toEqual({ ok: true });
    } finally {
      await check.close?.();
    }
  });

  it('is not ok on a dead port, saying why, every time it is asked', async () => {
    const check = redisCheck(`redis://127.0.0.1:${DEAD_PORT}`);
    try {
      const first = await check.check();
      expect(first.ok).toBe(false);
      expect(first.reason).toMatch(/ECONNREFUSED/);
      const second = await check.check();
      expect(second.ok).toBe(false);
      expect(second.reason).toMatch(/ECONNREFUSED/);
    } finally {
      await check.close?.();
    }
  });

  it('uses a client it is given, and reports when that client is gone', async () => {
    const redis = new Redis(REDIS_URL);
    const check = redisCheck(redis, { name: 'bus-redis' });
    expect(check.name).toBe('bus-redis');
    await new Promise((resolve) => redis.once('ready', resolve));
    expect(await check.check()).toEqual({ ok: true });
    redis.disconnect();
    const after = await check.check();
    expect(after.ok).toBe(false);
    expect(after.reason).toMatch(/closed|^redis (end|close)/i);
    await check.close?.();
  });
});

describe('providersCheck', () => {
  function healthWith(clock: VirtualClock) {
    const health = new ProviderHealth({ clock, breaker: { failureThreshold: 1, openMs: 30_000 } });
    const open = (kind: 'stt' | 'llm' | 'tts', provider: string) => health.begin(kind, provider)!.fail(new Error('down'));
    const use = (kind: 'stt' | 'llm' | 'tts', provider: string) => health.begin(kind, provider)!.succeed();
    return { health, open, use };
  }

  it('stays ready with one open circuit in a chain that has a way out, naming it', async () => {
    const { health, open, use } = healthWith(new VirtualClock(0));
    use('llm', 'openai');
    use('llm', 'llama');
    open('llm', 'openai');
    expect(await providersCheck(health).check()).toEqual({ ok: true, reason: 'circuit open: llm openai' });
  });

  it('is not ready when every provider of a kind has an open circuit', async () => {
    const { health, open, use } = healthWith(new VirtualClock(0));
    open('tts', 'cartesia');
    open('tts', 'elevenlabs');
    use('llm', 'openai');
    open('stt', 'deepgram');
    use('stt', 'whisper');
    expect(await providersCheck(health).check()).toEqual({
      ok: false,
      reason: "tts: every provider's circuit is open (cartesia, elevenlabs); circuit open: stt deepgram",
    });
  });

  it('judges the configured chains, where a provider not used yet counts as available', async () => {
    const { health, open } = healthWith(new VirtualClock(0));
    open('llm', 'openai');
    const chains = [
      { kind: 'llm' as const, providers: ['openai', 'simulated'] },
      { kind: 'tts' as const, providers: ['cartesia'] },
    ];
    expect(await providersCheck(health, { chains }).check()).toEqual({ ok: true, reason: 'circuit open: llm openai' });
    expect(await providersCheck(health, { chains: [{ kind: 'llm', providers: ['openai'] }] }).check()).toEqual({
      ok: false,
      reason: "llm: every provider's circuit is open (openai)",
    });
  });

  it('is ready again once the circuit lets a probe through (half-open)', async () => {
    const clock = new VirtualClock(0);
    const { health, open } = healthWith(clock);
    open('tts', 'cartesia');
    expect((await providersCheck(health).check()).ok).toBe(false);
    clock.advance(30_000);
    expect(await providersCheck(health).check()).toEqual({ ok: true });
  });
});

describe('busCheck', () => {
  it('is ok for a healthy bus, not ok when it dropped events since the last check', async () => {
    const bus = new MemoryEventBus<{ n: number }>();
    const check = busCheck(bus);
    bus.publish('c1', { n: 1 });
    expect(await check.check()).toEqual({ ok: true });
    await bus.close();
    bus.publish('c1', { n: 2 });
    bus.publish('c1', { n: 3 });
    expect(await check.check()).toEqual({ ok: false, reason: '2 events dropped since the last check' });
    expect(await check.check()).toEqual({ ok: true });
  });

  it('is not ok while far more events than normal wait to be written', async () => {
    const stats: BusStats = { published: 0, dropped: 0, errors: 0, queued: 10 };
    const check = busCheck({ stats: () => stats }, { maxQueued: 500 });
    expect(await check.check()).toEqual({ ok: true });
    stats.queued = 500;
    expect(await check.check()).toEqual({ ok: false, reason: '500 events waiting to be written (limit 500)' });
  });
});
