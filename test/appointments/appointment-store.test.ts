import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppointmentError, type AppointmentErrorCode } from '../../src/appointments/appointment-error.js';
import { AppointmentStore, type AppointmentStoreOptions } from '../../src/appointments/appointment-store.js';

// Monday 2025-03-10, 08:15 in London (GMT in March until the 30th).
const MONDAY_0815 = new Date('2025-03-10T08:15:00Z');

let dir: string;
let file: string;
const open: AppointmentStore[] = [];

function store(options: AppointmentStoreOptions = {}, path = file): AppointmentStore {
  const s = new AppointmentStore(path, { timeZone: 'Europe/London', now: () => MONDAY_0815, ...options });
  open.push(s);
  return s;
}

function codeOf(fn: () => unknown): AppointmentErrorCode | 'no error' {
  try {
    fn();
  } catch (err) {
    if (err instanceof AppointmentError) return err.code;
    throw err;
  }
  return 'no error';
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-appointments-'));
  file = join(dir, 'appointments.db');
});

afterEach(() => {
  for (const s of open.splice(0)) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AppointmentStore', () => {
  it('creates its schema in a new file, in WAL mode, and books an appointment', () => {
    const s = store();
    const a = s.book({ name: '  Ada Lovelace ', phone: '07700 900123', startsAt: '2025-03-10T10:00', callId: 'call-7' });
    expect(a).toEqual({
      id: 1,
      name: 'Ada Lovelace',
      phone: '07700 900123',
      startsAt: '2025-03-10T10:00',
      endsAt: '2025-03-10T10:30',
      durationMin: 30,
      status: 'booked',
      createdAt: '2025-03-10T08:15:00.000Z',
      updatedAt: '2025-03-10T08:15:00.000Z',
      callId: 'call-7',
    });
    expect(s.get(1)).toEqual(a);
    expect(s.get(2)).toBeUndefined();

    const raw = new Database(file, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const columns = (raw.prepare(`PRAGMA table_xinfo(appointments)`).all() as { name: string }[]).map((c) => c.name);
      expect(columns).toEqual(['id', 'name', 'phone', 'starts_at', 'duration_min', 'ends_at', 'status', 'created_at', 'updated_at', 'call_id']);
      expect(raw.prepare(`SELECT value FROM appointment_meta WHERE key = 'time_zone'`).get()).toEqual({ value: 'Europe/London' });
    } finally {
      raw.close();
    }
  });

  it('keeps bookings across a reopen, and the time zone with them', () => {
    const first = store();
    first.book({ name: 'Ada', startsAt: '2025-03-10T10:00' });
    first.book({ name: 'Grace', startsAt: '2025-03-11T14:00', durationMin: 60 });
    first.close();

    const again = store({ timeZone: undefined });
    expect(again.timeZone).toBe('Europe/London');
    expect(again.list().map((a) => [a.id, a.name, a.startsAt, a.endsAt])).toEqual([
      [1, 'Ada', '2025-03-10T10:00', '2025-03-10T10:30'],
      [2, 'Grace', '2025-03-11T14:00', '2025-03-11T15:00'],
    ]);
    expect(again.isAvailable('2025-03-11T14:30')).toBe(false);
    expect(again.book({ name: 'Alan', startsAt: '2025-03-11T15:00' }).id).toBe(3);
  });

  it('refuses to open a file with another time zone, since every booking would shift', () => {
    store().close();
    expect(() => store({ timeZone: 'America/New_York' })).toThrow(/keeps times in Europe\/London, not America\/New_York/);
    expect(codeOf(() => store({ timeZone: 'America/New_York' }))).toBe('time_zone_mismatch');
    expect(() => store({ timeZone: 'Nowhere/Special' })).toThrow('unknown time zone "Nowhere/Special"');
  });

  it('refuses overlapping bookings and allows back-to-back ones', () => {
    const s = store();
    s.book({ name: 'Ada', startsAt: '2025-03-10T10:00', durationMin: 60 });
    expect(codeOf(() => s.book({ name: 'Bob', startsAt: '2025-03-10T10:00' }))).toBe('slot_taken');
    expect(codeOf(() => s.book({ name: 'Bob', startsAt: '2025-03-10T10:30' }))).toBe('slot_taken');
    expect(codeOf(() => s.book({ name: 'Bob', startsAt: '2025-03-10T09:30', durationMin: 45 }))).toBe('slot_taken');
    expect(codeOf(() => s.book({ name: 'Bob', startsAt: '2025-03-10T09:00', durationMin: 180 }))).toBe('slot_taken');
    expect(s.book({ name: 'Cy', startsAt: '2025-03-10T09:30' }).endsAt).toBe('2025-03-10T10:00');
    expect(s.book({ name: 'Di', startsAt: '2025-03-10T11:00' }).startsAt).toBe('2025-03-10T11:00');
    try {
      s.book({ name: 'Bob', startsAt: '2025-03-10T10:15' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(AppointmentError);
      expect((err as AppointmentError).conflictId).toBe(1);
      expect((err as Error).message).not.toContain('Ada'); // no caller details in errors
    }
    expect(s.list({ status: 'booked' })).toHaveLength(3);
  });

  it('refuses times outside opening hours, in the past, or malformed', () => {
    const s = store();
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-10T08:00' }))).toBe('in_the_past');
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-07T10:00' }))).toBe('in_the_past');
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-10T08:30' }))).toBe('outside_hours'); // before opening
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-10T17:00' }))).toBe('outside_hours');
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-10T16:45' }))).toBe('outside_hours'); // ends 17:15
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-16T11:00' }))).toBe('outside_hours'); // Sunday
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-15T13:30' }))).toBe('no error'); // Saturday
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-10T10:00Z' }))).toBe('invalid_input');
    expect(codeOf(() => s.book({ name: 'A', startsAt: 'tomorrow at 3' }))).toBe('invalid_input');
    expect(codeOf(() => s.book({ name: ' ', startsAt: '2025-03-11T10:00' }))).toBe('invalid_input');
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-11T10:00', durationMin: 0 }))).toBe('invalid_input');
    expect(codeOf(() => s.book({ name: 'A', startsAt: '2025-03-11T10:00', durationMin: 7.5 }))).toBe('invalid_input');
    expect(s.list()).toHaveLength(1);
  });

  it('reads "now" in the business time zone, not the host\'s or UTC', () => {
    // 14:30 UTC on 2025-03-10 is 10:30 in New York (daylight saving began on the 9th).
    const ny = store({ timeZone: 'America/New_York', now: () => new Date('2025-03-10T14:30:00Z') });
    expect(ny.localNow()).toBe('2025-03-10T10:30');
    expect(ny.checkAvailability('2025-03-10T10:00')).toEqual({ available: false, reason: 'past' });
    expect(ny.checkAvailability('2025-03-10T11:00')).toEqual({ available: true });
    expect(ny.availableSlots('2025-03-10')[0]).toBe('2025-03-10T10:30');
  });

  it('lists the free start times of a day around bookings', () => {
    const s = store();
    expect(s.availableSlots('2025-03-11')).toHaveLength(16); // 09:00 … 16:30
    s.book({ name: 'A', startsAt: '2025-03-11T09:00', durationMin: 90 });
    s.book({ name: 'B', startsAt: '2025-03-11T12:15' }); // off the slot grid
    const free = s.availableSlots('2025-03-11').map((t) => t.slice(11));
    expect(free).toEqual(['10:30', '11:00', '11:30', '13:00', '13:30', '14:00', '14:30', '15:00', '15:30', '16:00', '16:30']);
    // A 60-minute appointment needs two free half hours before closing.
    expect(s.availableSlots('2025-03-11', { durationMin: 60 }).map((t) => t.slice(11))).toEqual([
      '10:30', '11:00', '13:00', '13:30', '14:00', '14:30', '15:00', '15:30', '16:00',
    ]);
    // Other opening hours and slot lengths can be asked for.
    expect(
      s.availableSlots('2025-03-11', { openingHours: { tue: '08:00-10:45' }, slotMin: 45 }).map((t) => t.slice(11)),
    ).toEqual(['08:00']);
    // Today: nothing before now (08:15), Sunday: nothing.
    expect(s.availableSlots('2025-03-10')[0]).toBe('2025-03-10T09:00');
    expect(s.availableSlots('2025-03-16')).toEqual([]);
    // A booking running past midnight from the day before (written by hand: bookings must fit
    // one opening range) blocks the early slots.
    const late = store({ openingHours: { tue: '00:00-02:00' } }, join(dir, 'late.db'));
    const raw = new Database(join(dir, 'late.db'));
    raw.prepare(`INSERT INTO appointments (name, starts_at, duration_min, created_at, updated_at) VALUES ('Owl', '2025-03-10T23:30', 60, 'x', 'x')`).run();
    raw.close();
    expect(late.availableSlots('2025-03-11').map((t) => t.slice(11))).toEqual(['00:30', '01:00', '01:30']);
  });

  it('finds upcoming booked appointments by name or phone', () => {
    let now = MONDAY_0815;
    const s = store({ now: () => now });
    s.book({ name: 'Ada Lovelace', phone: '+44 7700 900123', startsAt: '2025-03-10T09:00' });
    s.book({ name: 'Ada Lovelace', phone: '+44 7700 900123', startsAt: '2025-03-12T09:00' });
    s.book({ name: 'Grace Hopper', phone: '020 7946 0000', startsAt: '2025-03-10T11:00' });
    const cancelled = s.book({ name: 'Ada Lovelace', startsAt: '2025-03-13T09:00' });
    s.cancel(cancelled.id);

    expect(s.find({ name: 'lovelace' }).map((a) => a.id)).toEqual([1, 2]);
    expect(s.find({ phone: '07700 900123' }).map((a) => a.id)).toEqual([1, 2]);
    expect(s.find({ name: 'Grace', phone: '07700 900123' })).toEqual([]);
    expect(s.find({ name: 'Hopper' }).map((a) => a.startsAt)).toEqual(['2025-03-10T11:00']);
    expect(s.find().map((a) => a.id)).toEqual([1, 3, 2]);

    now = new Date('2025-03-10T09:05:00Z'); // Ada's first appointment has started
    expect(s.find({ name: 'Ada' }).map((a) => a.id)).toEqual([2]);
  });

  it('moves an appointment, refusing conflicts but not its own old slot', () => {
    let now = MONDAY_0815;
    const s = store({ now: () => now });
    const ada = s.book({ name: 'Ada', startsAt: '2025-03-11T10:00', durationMin: 60 });
    s.book({ name: 'Bob', startsAt: '2025-03-11T12:00' });

    now = new Date('2025-03-10T09:00:00Z');
    const moved = s.move(ada.id, '2025-03-11T10:30'); // overlaps only itself
    expect(moved).toMatchObject({ id: ada.id, startsAt: '2025-03-11T10:30', endsAt: '2025-03-11T11:30', durationMin: 60 });
    expect(moved.updatedAt).toBe('2025-03-10T09:00:00.000Z');
    expect(moved.createdAt).toBe('2025-03-10T08:15:00.000Z');
    expect(s.isAvailable('2025-03-11T10:00')).toBe(true);

    expect(codeOf(() => s.move(ada.id, '2025-03-11T11:30'))).toBe('slot_taken'); // 11:30–12:30 hits Bob
    expect(codeOf(() => s.move(ada.id, '2025-03-11T16:30'))).toBe('outside_hours');
    expect(codeOf(() => s.move(ada.id, '2025-03-10T08:00'))).toBe('in_the_past');
    expect(codeOf(() => s.move(99, '2025-03-11T14:00'))).toBe('not_found');
    expect(s.get(ada.id)?.startsAt).toBe('2025-03-11T10:30');

    s.cancel(ada.id);
    expect(codeOf(() => s.move(ada.id, '2025-03-11T14:00'))).toBe('not_booked');

    now = new Date('2025-03-11T12:10:00Z'); // Bob's appointment is under way
    expect(codeOf(() => s.move(2, '2025-03-12T14:00'))).toBe('already_started');
    expect(codeOf(() => s.cancel(2))).toBe('already_started');
  });

  it('cancels an appointment and frees its slot; a second cancel is refused', () => {
    const s = store();
    const a = s.book({ name: 'Ada', startsAt: '2025-03-11T10:00' });
    expect(s.isAvailable('2025-03-11T10:00')).toBe(false);
    expect(s.cancel(a.id)).toMatchObject({ id: a.id, status: 'cancelled' });
    expect(s.isAvailable('2025-03-11T10:00')).toBe(true);
    expect(codeOf(() => s.cancel(a.id))).toBe('not_booked');
    expect(codeOf(() => s.cancel(42))).toBe('not_found');
    expect(s.book({ name: 'Bob', startsAt: '2025-03-11T10:00' }).id).toBe(2);
    expect(s.list().map((x) => [x.id, x.status])).toEqual([
      [1, 'cancelled'],
      [2, 'booked'],
    ]);
    expect(s.list({ from: '2025-03-11T10:00', to: '2025-03-11T10:01', status: 'booked' }).map((x) => x.id)).toEqual([2]);
  });

  it('sees bookings made through another connection to the same file', () => {
    const a = store();
    const b = store();
    a.book({ name: 'Ada', startsAt: '2025-03-11T10:00' });
    expect(b.isAvailable('2025-03-11T10:00')).toBe(false);
    expect(codeOf(() => b.book({ name: 'Bob', startsAt: '2025-03-11T10:15' }))).toBe('slot_taken');
    b.move(1, '2025-03-11T11:00');
    expect(a.get(1)?.startsAt).toBe('2025-03-11T11:00');
  });

  it('refuses an overlapping row written by any other writer (schema triggers)', () => {
    store().book({ name: 'Ada', startsAt: '2025-03-11T10:00' });
    const raw = new Database(file);
    try {
      const insert = raw.prepare(
        `INSERT INTO appointments (name, starts_at, duration_min, created_at, updated_at) VALUES (?, ?, ?, 'x', 'x')`,
      );
      expect(() => insert.run('Intruder', '2025-03-11T09:45', 30)).toThrow('appointment_overlap');
      expect(() => insert.run('Neighbour', '2025-03-11T10:30', 30)).not.toThrow();
      expect(() => raw.prepare(`UPDATE appointments SET starts_at = '2025-03-11T10:15' WHERE name = 'Neighbour'`).run()).toThrow(
        'appointment_overlap',
      );
      expect(() => raw.prepare(`INSERT INTO appointments (name, starts_at, duration_min, created_at, updated_at) VALUES ('X', '11 March', 30, 'x', 'x')`).run()).toThrow(/CHECK/);
    } finally {
      raw.close();
    }
  });

  it('works in memory', () => {
    const s = store({}, ':memory:');
    s.book({ name: 'Ada', startsAt: '2025-03-11T10:00' });
    expect(codeOf(() => s.book({ name: 'Bob', startsAt: '2025-03-11T10:00' }))).toBe('slot_taken');
    expect(s.list()).toHaveLength(1);
    const other = store({}, ':memory:'); // a separate, empty database
    expect(other.list()).toEqual([]);
  });
});
