// Several processes book overlapping appointments on one SQLite file at the same moment. The
// store's check-then-insert must be atomic across connections: exactly one winner per contested
// time, every loser told "slot_taken" (never a raw SQLITE_BUSY), and no two booked rows overlapping.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppointmentStore } from '../../src/appointments/appointment-store.js';

const RACER = fileURLToPath(new URL('./fixtures/booking-racer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NOW = '2025-03-10T08:15:00Z'; // Monday morning in London

type Attempt = { startsAt: string; durationMin: number };
type Outcome = Attempt & { booked?: number; error?: string };

let dir: string;
const children: ChildProcessWithoutNullStreams[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-appointments-race-'));
});

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

/** Starts a racer and resolves once it has opened the store and waits for "go". */
function startRacer(file: string, attempts: Attempt[], name: string): Promise<{ go(): void; outcomes: Promise<Outcome[]> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', RACER, file, NOW, JSON.stringify(attempts), name], { cwd: ROOT });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<never>((_, reject) =>
    child.on('close', (code) => reject(new Error(`racer ${name} exited (${code}) before answering: ${stderr}`))),
  );
  exited.catch(() => undefined);
  const nextLine = () => Promise.race([new Promise<string>((r) => lines.once('line', r)), exited]);
  return nextLine().then((ready) => {
    expect(ready).toBe('ready');
    const outcomes = nextLine().then((line) => JSON.parse(line) as Outcome[]);
    return { go: () => child.stdin.write('go\n'), outcomes };
  });
}

describe('AppointmentStore under concurrent writers', () => {
  it('gives each contested time to exactly one of several processes', async () => {
    const file = join(dir, 'appointments.db');
    // Create the schema first so the racers contend for bookings, not for schema creation.
    new AppointmentStore(file, { timeZone: 'Europe/London', now: () => new Date(NOW) }).close();

    // Everyone wants Wednesday 10:00 first; then hour-long appointments every half hour on Tuesday,
    // each of which overlaps its neighbours, tried in a different order by each process.
    const tuesday: Attempt[] = [];
    for (let m = 9 * 60; m <= 16 * 60; m += 30) {
      tuesday.push({ startsAt: `2025-03-11T${String(m / 60 | 0).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`, durationMin: 60 });
    }
    const racers = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const order = [...tuesday.slice(i * 2), ...tuesday.slice(0, i * 2)];
        if (i % 2) order.reverse();
        return startRacer(file, [{ startsAt: '2025-03-12T10:00', durationMin: 30 }, ...order], `racer-${i}`);
      }),
    );
    for (const r of racers) r.go();
    const perRacer = await Promise.all(racers.map((r) => r.outcomes));
    const outcomes = perRacer.flat();
    const winnerOf = new Map(perRacer.flatMap((list, i) => list.flatMap((o) => (o.booked === undefined ? [] : [[o.booked, `racer-${i}`] as const]))));

    expect(outcomes).toHaveLength(6 * (1 + tuesday.length));
    expect(outcomes.filter((o) => o.booked === undefined && o.error !== 'slot_taken')).toEqual([]);

    const wednesday = outcomes.filter((o) => o.startsAt === '2025-03-12T10:00');
    expect(wednesday.filter((o) => o.booked !== undefined)).toHaveLength(1);
    expect(wednesday.filter((o) => o.error === 'slot_taken')).toHaveLength(5);

    const store = new AppointmentStore(file, { now: () => new Date(NOW) });
    try {
      const booked = store.list({ status: 'booked' });
      expect(booked.map((a) => a.id).sort((a, b) => a - b)).toEqual(
        outcomes.flatMap((o) => (o.booked === undefined ? [] : [o.booked])).sort((a, b) => a - b),
      );
      for (const a of booked) {
        for (const b of booked) {
          if (a.id !== b.id) expect(a.startsAt < b.endsAt && b.startsAt < a.endsAt, `${a.startsAt} vs ${b.startsAt}`).toBe(false);
        }
      }
      // Hour-long bookings on a 09:00–17:00 day: at most 8 fit, and greedy winners leave at least 4.
      const onTuesday = booked.filter((a) => a.startsAt.startsWith('2025-03-11'));
      expect(onTuesday.length).toBeGreaterThanOrEqual(4);
      expect(onTuesday.length).toBeLessThanOrEqual(8);
      // Each row carries the call id of the process that was told it won.
      for (const a of booked) expect(a.callId).toBe(winnerOf.get(a.id));
    } finally {
      store.close();
    }
  });
});
