// The queue's own logic on a virtual clock: order, backoff, the memory bound and the spill file,
// permanent failures, and shutdown with writes still pending. The database behind it is stood in
// for by a recorder that can be made to refuse writes; write-queue-db.test.ts runs the real ones.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { WriteQueue } from '../../src/store/write-queue.js';
import type { WriteQueueOptions } from '../../src/store/write-queue.js';

type W = { id: string; n: number };

class FlakyTarget {
  down = false;
  applied: W[] = [];
  attempts = 0;
  apply = async (w: W): Promise<void> => {
    this.attempts++;
    await Promise.resolve();
    if (this.down) throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    if (w.id === 'poison') throw Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    this.applied.push(w);
  };
}

/** Lets promise callbacks and setImmediate-deferred work run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
};

describe('WriteQueue', () => {
  let dir: string;
  let clock: VirtualClock;
  let target: FlakyTarget;
  const queues: WriteQueue<W>[] = [];

  const make = (extra: Partial<WriteQueueOptions<W>> = {}): WriteQueue<W> => {
    const q = new WriteQueue<W>({
      apply: target.apply,
      clock,
      memoryBound: 5,
      spillPath: join(dir, 'spill', 'writes.jsonl'),
      isPermanent: (err) => (err as { code?: string }).code?.startsWith('SQLITE_CONSTRAINT') ?? false,
      retryInitialMs: 10,
      retryMaxMs: 80,
      ...extra,
    });
    queues.push(q);
    return q;
  };
  const w = (n: number): W => ({ id: `w${n}`, n });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'parley-wq-'));
    clock = new VirtualClock();
    target = new FlakyTarget();
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns from enqueue at once and applies writes in order', async () => {
    const q = make();
    for (let i = 0; i < 3; i++) q.enqueue(w(i));
    expect(target.applied).toEqual([]);
    expect(q.stats().queued).toBe(3);
    await q.flush();
    expect(target.applied.map((x) => x.n)).toEqual([0, 1, 2]);
    expect(q.stats()).toMatchObject({ queued: 0, written: 3, failedAttempts: 0, spilledTotal: 0 });
  });

  it('retries with exponential backoff while the target is down, spills past the bound, and catches up in order', async () => {
    const q = make();
    target.down = true;
    for (let i = 0; i < 12; i++) q.enqueue(w(i));
    await settle();
    expect(q.stats()).toMatchObject({ inMemory: 5, spilled: 7, spilledTotal: 7, failedAttempts: 1 });
    const spillPath = join(dir, 'spill', 'writes.jsonl');
    expect(readFileSync(spillPath, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as W).n)).toEqual([5, 6, 7, 8, 9, 10, 11]);

    // Retries at 10, 30, 70, 150, 230 ms: delays 10, 20, 40, 80, then capped at 80.
    const attemptsAt = (ms: number): Promise<number> => (clock.advanceTo(ms), settle()).then(() => target.attempts);
    expect(await attemptsAt(9)).toBe(1);
    expect(await attemptsAt(10)).toBe(2);
    expect(await attemptsAt(29)).toBe(2);
    expect(await attemptsAt(30)).toBe(3);
    expect(await attemptsAt(70)).toBe(4);
    expect(await attemptsAt(150)).toBe(5);
    expect(await attemptsAt(229)).toBe(5);
    expect(await attemptsAt(230)).toBe(6);

    // Room in memory does not let a new write jump ahead of the spilled ones.
    q.enqueue(w(12));
    expect(q.stats().spilled).toBe(8);

    target.down = false;
    clock.advance(80);
    await q.flush();
    expect(target.applied.map((x) => x.n)).toEqual([...Array(13).keys()]);
    expect(q.stats()).toMatchObject({ queued: 0, spilled: 0, written: 13, failedAttempts: 6 });
    expect(statSync(spillPath).size).toBe(0);

    // Backoff starts again from the shortest delay after a success.
    target.down = true;
    q.enqueue(w(13));
    await settle();
    target.down = false;
    clock.advance(10);
    await q.flush();
    expect(target.applied.map((x) => x.n).at(-1)).toBe(13);
  });

  it('drops a write that can never succeed and goes on with the rest', async () => {
    const dropped: string[] = [];
    const q = make({ onDrop: (x) => dropped.push(x.id) });
    q.enqueue(w(0));
    q.enqueue({ id: 'poison', n: -1 });
    q.enqueue(w(1));
    await q.flush();
    expect(target.applied.map((x) => x.id)).toEqual(['w0', 'w1']);
    expect(dropped).toEqual(['poison']);
    expect(q.stats()).toMatchObject({ dropped: 1, written: 2, failedAttempts: 0 });
  });

  it('keeps unwritten entries across a restart, in order, when closed while the target is down', async () => {
    const first = make();
    target.down = true;
    for (let i = 0; i < 9; i++) first.enqueue(w(i));
    await settle();
    await first.close();
    expect(() => first.enqueue(w(99))).toThrow(/closed/);
    expect(target.applied).toEqual([]);

    target.down = false;
    const second = make();
    expect(second.stats().queued).toBe(9);
    second.enqueue(w(9));
    await second.flush();
    expect(target.applied.map((x) => x.n)).toEqual([...Array(10).keys()]);
  });

  it('ignores a partial last line left by a crash in the middle of a spill', async () => {
    const spillPath = join(dir, 'spill', 'writes.jsonl');
    const seed = make();
    target.down = true;
    for (let i = 0; i < 7; i++) seed.enqueue(w(i));
    await settle();
    await seed.close();
    appendFileSync(spillPath, '{"id":"w7","n":');
    target.down = false;
    const q = make();
    await q.flush();
    expect(target.applied.map((x) => x.n)).toEqual([...Array(7).keys()]);
    expect(existsSync(spillPath)).toBe(true);
  });
});
