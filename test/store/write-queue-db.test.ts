// The write queue in front of the real databases, with the database made unreachable: PostgreSQL
// through a TCP proxy that the test cuts (the shared server keeps running), SQLite through another
// connection holding the write lock. Writes made meanwhile must all land once, in order.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { migrateToLatest } from '../../src/store/migrate.js';
import type { Store } from '../../src/store/open-store.js';
import { isPermanentStoreError, storeWriter } from '../../src/store/store-writes.js';
import type { StoreWrite } from '../../src/store/store-writes.js';
import { WriteQueue } from '../../src/store/write-queue.js';
import { backendNames, createTestDatabase, postgresUrl } from './backends.js';
import type { TestDatabase } from './backends.js';
import { event, seedTenant } from './fixtures.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

/**
 * How the test breaks the database: cut/restore make it unreachable; loseNextReply makes the next
 * write commit but report a failure to the writer (PostgreSQL: the proxy drops the reply; SQLite,
 * in-process, has no reply to lose: its writer throws after the commit).
 */
type Fault = { cut(): void; restore(): void; loseNextReply(): void; close(): Promise<void> };

const TENANT = 'wq';
const MEMORY_BOUND = 25;

describe.each(backendNames)('write queue on %s with the database unreachable', (backend) => {
  let database: TestDatabase;
  let direct: Store;
  let queued: Store;
  let fault: Fault;
  let proxy: TcpProxy | undefined;
  let dir: string;
  let callId: string;
  let loseReply = false;

  /** The writer the queue uses; on SQLite it stands in for a lost reply (see Fault). */
  function writer(): (w: StoreWrite) => Promise<void> {
    const write = storeWriter(queued.repository);
    return async (w) => {
      await write(w);
      if (loseReply) {
        loseReply = false;
        throw Object.assign(new Error('reply lost after commit'), { code: 'ECONNRESET' });
      }
    };
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'parley-wqdb-'));
    database = await createTestDatabase(backend);
    direct = database.open();
    await migrateToLatest(direct.db);
    ({ callId } = await seedTenant(direct.repository, TENANT));
    if (backend === 'postgres') {
      const url = new URL(postgresUrl);
      const p = await TcpProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
      proxy = p;
      url.port = String(p.port);
      queued = database.open({ url: url.toString(), pgPoolSize: 1, pgConnectTimeoutMs: 2000 });
      fault = { cut: () => p.cut(), restore: () => p.restore(), loseNextReply: () => p.dropNextReply(), close: () => p.close() };
    } else {
      proxy = undefined;
      queued = database.open({ sqliteBusyTimeoutMs: 0 });
      const locker = new SqliteDatabase(database.config.sqlitePath);
      fault = {
        cut: () => locker.exec('BEGIN EXCLUSIVE'),
        restore: () => locker.exec('COMMIT'),
        loseNextReply: () => {
          loseReply = true;
        },
        close: async () => {
          locker.close();
        },
      };
    }
  });
  afterEach(async () => {
    await fault.close();
    await database.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const eventWrite = (seq: number): StoreWrite => ({ id: `${callId}-ev-${seq}`, tenantId: TENANT, kind: 'event', event: event(callId, seq) });

  async function storedSeqs(): Promise<number[]> {
    const detail = await direct.repository.getCall(TENANT, callId);
    return (detail?.events ?? []).map((e) => e.seq);
  }

  it('buffers and spills while down, then writes every event exactly once and in order', async () => {
    const applied: number[] = [];
    const write = storeWriter(queued.repository);
    const spillPath = join(dir, 'spill.jsonl');
    const queue = new WriteQueue<StoreWrite>({
      apply: async (w) => {
        await write(w);
        if (w.kind === 'event') applied.push(w.event.seq);
      },
      clock: systemClock,
      memoryBound: MEMORY_BOUND,
      spillPath,
      isPermanent: isPermanentStoreError,
      retryInitialMs: 5,
      retryMaxMs: 40,
    });

    for (let seq = 0; seq < 10; seq++) queue.enqueue(eventWrite(seq));
    await queue.flush();
    expect(await storedSeqs()).toEqual([...Array(10).keys()]);

    fault.cut();
    for (let seq = 10; seq < 110; seq++) queue.enqueue(eventWrite(seq));
    const stats = queue.stats();
    expect(stats.inMemory).toBe(MEMORY_BOUND);
    expect(stats.spilled).toBe(100 - MEMORY_BOUND);
    expect(readFileSync(spillPath, 'utf8').trim().split('\n')).toHaveLength(100 - MEMORY_BOUND);
    await vi.waitFor(() => expect(queue.stats().failedAttempts).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 10 });
    expect(await storedSeqs()).toEqual([...Array(10).keys()]);
    if (proxy) expect(proxy.refused).toBeGreaterThan(0);

    fault.restore();
    await queue.flush();
    expect(await storedSeqs()).toEqual([...Array(110).keys()]);
    expect(applied).toEqual([...Array(110).keys()]);
    expect(queue.stats()).toMatchObject({ queued: 0, spilled: 0, spilledTotal: 100 - MEMORY_BOUND, written: 110, dropped: 0 });
    expect(readFileSync(spillPath, 'utf8')).toBe('');

    // Replaying writes already made (a restart replaying its spill file) adds nothing.
    for (let seq = 0; seq < 5; seq++) queue.enqueue(eventWrite(seq));
    await queue.flush();
    expect(await storedSeqs()).toEqual([...Array(110).keys()]);
    expect(queue.stats()).toMatchObject({ written: 115, dropped: 0 });
    await queue.close();
  });

  it('retries a write whose reply was lost without duplicating it', async () => {
    const queue = new WriteQueue<StoreWrite>({
      apply: writer(),
      clock: systemClock,
      memoryBound: MEMORY_BOUND,
      spillPath: join(dir, 'spill.jsonl'),
      isPermanent: isPermanentStoreError,
      retryInitialMs: 5,
    });
    queue.enqueue(eventWrite(0));
    await queue.flush();
    fault.loseNextReply();
    queue.enqueue(eventWrite(1));
    await queue.flush();
    // The first attempt committed and lost its reply; the retry found the row and added nothing.
    expect(queue.stats()).toMatchObject({ written: 2, dropped: 0 });
    expect(queue.stats().failedAttempts).toBeGreaterThanOrEqual(1);
    expect(await storedSeqs()).toEqual([0, 1]);
    await queue.close();
  });
});
