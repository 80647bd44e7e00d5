// A single calendar of appointments (one resource: one desk, one practitioner) in SQLite.
//
// Time representation: every time is a wall-clock local date-time 'YYYY-MM-DDTHH:MM' in the
// business's IANA time zone, and the zone itself is recorded once in the file (appointment_meta).
// That is how callers, opening hours and receptionists speak ("Tuesday at 3"), it sorts as text,
// and a booking at 09:00 stays at 09:00 across a daylight-saving change. Opening a file with a
// different zone is refused rather than silently shifting every booking. Caveat: the repeated hour
// when clocks go back is not distinguishable — opening hours never cover it in practice.
//
// Concurrency: every check-then-write runs in a BEGIN IMMEDIATE transaction, which takes SQLite's
// write lock before reading, so two stores (or processes) on one file cannot both see a slot free
// and both book it; a waiting writer retries for `busyTimeoutMs`. Triggers in the schema refuse
// overlapping rows from any other writer as well.
import Database from 'better-sqlite3';
import { AppointmentError } from './appointment-error.js';
import { findMatches } from './appointment-match.js';
import { OVERLAP_TRIGGER_MESSAGE, migrate } from './appointment-schema.js';
import {
  addMinutes,
  assertTimeZone,
  joinLocal,
  localDateTimeAt,
  minutesOf,
  splitLocalDateTime,
  systemTimeZone,
  timeOfMinutes,
  type LocalDate,
  type LocalDateTime,
} from './local-time.js';
import { OpeningHours, type OpeningHoursInput } from './opening-hours.js';

export type AppointmentStatus = 'booked' | 'cancelled';

export type Appointment = {
  id: number;
  name: string;
  phone: string | null;
  /** Local wall-clock start, 'YYYY-MM-DDTHH:MM' in the store's time zone. */
  startsAt: LocalDateTime;
  /** Local wall-clock end (start + duration). */
  endsAt: LocalDateTime;
  durationMin: number;
  status: AppointmentStatus;
  /** UTC instants, ISO 8601. */
  createdAt: string;
  updatedAt: string;
  /** The call that made the booking, when it came from a call. */
  callId: string | null;
};

export type AppointmentStoreOptions = {
  /** IANA zone the wall-clock times live in. Default: the zone recorded in the file, else the host's. */
  timeZone?: string;
  /** Opening hours bookings must fit in (and the default slot length). Default: DEFAULT_OPENING_HOURS. */
  openingHours?: OpeningHours | OpeningHoursInput;
  /** Wall-clock source, for tests and replays. Default: () => new Date(). */
  now?: () => Date;
  /** How long a writer waits for another connection's write lock. Default 5000 ms. */
  busyTimeoutMs?: number;
};

export type Availability =
  | { available: true }
  | { available: false; reason: 'taken'; conflictId: number }
  | { available: false; reason: 'closed' | 'past' };

export type BookInput = {
  name: string;
  phone?: string | null;
  startsAt: LocalDateTime;
  /** Default: the opening hours' slot length. */
  durationMin?: number;
  callId?: string | null;
};

type Row = {
  id: number;
  name: string;
  phone: string | null;
  starts_at: string;
  ends_at: string;
  duration_min: number;
  status: AppointmentStatus;
  created_at: string;
  updated_at: string;
  call_id: string | null;
};

const MAX_DURATION_MIN = 24 * 60;

export class AppointmentStore {
  readonly timeZone: string;
  readonly openingHours: OpeningHours;
  private readonly db: Database.Database;
  private readonly clock: () => Date;

  constructor(path: string, options: AppointmentStoreOptions = {}) {
    this.openingHours = OpeningHours.from(options.openingHours);
    this.clock = options.now ?? (() => new Date());
    if (options.timeZone !== undefined) assertTimeZone(options.timeZone);
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? 5000 });
    try {
      // WAL lets readers (availability checks) run while another connection writes.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('foreign_keys = ON');
      migrate(this.db);
      this.timeZone = this.claimTimeZone(options.timeZone);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  /** The current wall-clock time in the store's zone. */
  localNow(): LocalDateTime {
    return localDateTimeAt(this.clock(), this.timeZone);
  }

  today(): LocalDate {
    return this.localNow().slice(0, 10);
  }

  /** Whether an appointment at `startsAt` lasting `durationMin` could be booked now, and why not. */
  checkAvailability(startsAt: LocalDateTime, durationMin = this.openingHours.slotMin): Availability {
    const start = this.normalize(startsAt);
    checkDuration(durationMin);
    if (start < this.localNow()) return { available: false, reason: 'past' };
    if (!this.openingHours.isOpen(start, durationMin)) return { available: false, reason: 'closed' };
    const conflict = this.conflictWith(start, addMinutes(start, durationMin));
    return conflict === undefined ? { available: true } : { available: false, reason: 'taken', conflictId: conflict };
  }

  isAvailable(startsAt: LocalDateTime, durationMin = this.openingHours.slotMin): boolean {
    return this.checkAvailability(startsAt, durationMin).available;
  }

  /**
   * Start times on `date` where an appointment of `durationMin` fits: stepping by `slotMin` from
   * each opening, inside opening hours, not in the past, not overlapping a booking.
   */
  availableSlots(
    date: LocalDate,
    options: { openingHours?: OpeningHours | OpeningHoursInput; slotMin?: number; durationMin?: number } = {},
  ): LocalDateTime[] {
    const hours = options.openingHours ? OpeningHours.from(options.openingHours) : this.openingHours;
    const slotMin = options.slotMin ?? hours.slotMin;
    const durationMin = options.durationMin ?? slotMin;
    if (!Number.isInteger(slotMin) || slotMin <= 0) throw new AppointmentError('invalid_input', `slotMin must be a positive whole number, got ${slotMin}`);
    checkDuration(durationMin);
    const dayStart = this.normalize(joinLocal(date, '00:00'));
    const booked = this.db
      .prepare<[string, string], { starts_at: string; ends_at: string }>(
        `SELECT starts_at, ends_at FROM appointments
         WHERE status = 'booked' AND starts_at < ? AND ends_at > ? ORDER BY starts_at`,
      )
      .all(addMinutes(dayStart, 24 * 60 + MAX_DURATION_MIN), addMinutes(dayStart, -MAX_DURATION_MIN));
    const now = this.localNow();
    const slots: LocalDateTime[] = [];
    for (const range of hours.hoursOn(date)) {
      const close = minutesOf(range.close);
      for (let t = minutesOf(range.open); t + durationMin <= close; t += slotMin) {
        const start = joinLocal(date, timeOfMinutes(t));
        const end = addMinutes(start, durationMin);
        if (start < now) continue;
        if (booked.some((b) => b.starts_at < end && b.ends_at > start)) continue;
        slots.push(start);
      }
    }
    return slots;
  }

  /**
   * Books an appointment. Refuses with AppointmentError: 'invalid_input', 'in_the_past',
   * 'outside_hours', 'slot_taken' (checked under the write lock, so concurrent bookers on the
   * same file get exactly one winner).
   */
  book(input: BookInput): Appointment {
    const name = input.name?.trim();
    if (!name) throw new AppointmentError('invalid_input', 'a booking needs a name');
    const phone = input.phone?.trim() || null;
    const start = this.normalize(input.startsAt);
    const durationMin = input.durationMin ?? this.openingHours.slotMin;
    checkDuration(durationMin);
    this.refuseUnbookable(start, durationMin);
    const insert = this.db.prepare(
      `INSERT INTO appointments (name, phone, starts_at, duration_min, status, created_at, updated_at, call_id)
       VALUES (?, ?, ?, ?, 'booked', ?, ?, ?)`,
    );
    const id = this.writeTx(() => {
      this.refuseConflict(start, durationMin);
      const stamp = this.clock().toISOString();
      return Number(insert.run(name, phone, start, durationMin, stamp, stamp, input.callId ?? null).lastInsertRowid);
    });
    return this.get(id) as Appointment;
  }

  /** Upcoming booked appointments (not yet started) matching a name and/or a phone number. */
  find(query: { name?: string; phone?: string } = {}): Appointment[] {
    const rows = this.db
      .prepare<[string], Row>(`SELECT * FROM appointments WHERE status = 'booked' AND starts_at >= ? ORDER BY starts_at, id`)
      .all(this.localNow())
      .map(toAppointment);
    return findMatches(rows, query);
  }

  /**
   * Moves a booked, not-yet-started appointment to a new start, keeping its duration. Refuses with
   * 'not_found', 'not_booked', 'already_started', or the same refusals as book() for the new time.
   */
  move(id: number, newStartsAt: LocalDateTime): Appointment {
    const start = this.normalize(newStartsAt);
    const current = this.requireChangeable(id);
    this.refuseUnbookable(start, current.durationMin);
    this.writeTx(() => {
      const fresh = this.requireChangeable(id);
      this.refuseConflict(start, fresh.durationMin, id);
      this.db
        .prepare(`UPDATE appointments SET starts_at = ?, updated_at = ? WHERE id = ?`)
        .run(start, this.clock().toISOString(), id);
    });
    return this.get(id) as Appointment;
  }

  /** Cancels a booked, not-yet-started appointment; its slot becomes free. Refuses like move(). */
  cancel(id: number): Appointment {
    this.writeTx(() => {
      this.requireChangeable(id);
      this.db
        .prepare(`UPDATE appointments SET status = 'cancelled', updated_at = ? WHERE id = ?`)
        .run(this.clock().toISOString(), id);
    });
    return this.get(id) as Appointment;
  }

  get(id: number): Appointment | undefined {
    const row = this.db.prepare<[number], Row>(`SELECT * FROM appointments WHERE id = ?`).get(id);
    return row ? toAppointment(row) : undefined;
  }

  /** Every appointment (booked and cancelled) in start order, optionally within [from, to). */
  list(filter: { status?: AppointmentStatus; from?: LocalDateTime; to?: LocalDateTime } = {}): Appointment[] {
    const where: string[] = [];
    const params: string[] = [];
    if (filter.status) {
      where.push('status = ?');
      params.push(filter.status);
    }
    if (filter.from) {
      where.push('starts_at >= ?');
      params.push(this.normalize(filter.from));
    }
    if (filter.to) {
      where.push('starts_at < ?');
      params.push(this.normalize(filter.to));
    }
    const sql = `SELECT * FROM appointments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY starts_at, id`;
    return this.db.prepare<string[], Row>(sql).all(...params).map(toAppointment);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private claimTimeZone(requested: string | undefined): string {
    return this.writeTx(() => {
      const row = this.db.prepare<[], { value: string }>(`SELECT value FROM appointment_meta WHERE key = 'time_zone'`).get();
      if (row) {
        if (requested !== undefined && requested !== row.value) {
          throw new AppointmentError(
            'time_zone_mismatch',
            `this appointments database keeps times in ${row.value}, not ${requested}; its bookings would move`,
          );
        }
        return row.value;
      }
      const zone = requested ?? systemTimeZone();
      this.db.prepare(`INSERT INTO appointment_meta (key, value) VALUES ('time_zone', ?)`).run(zone);
      return zone;
    });
  }

  /** Runs `fn` holding the database write lock (BEGIN IMMEDIATE), mapping trigger refusals. */
  private writeTx<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn).immediate();
    } catch (err) {
      if (err instanceof Error && err.message === OVERLAP_TRIGGER_MESSAGE) {
        throw new AppointmentError('slot_taken', 'that time overlaps another booking');
      }
      throw err;
    }
  }

  private normalize(dateTime: LocalDateTime): LocalDateTime {
    const parts = typeof dateTime === 'string' ? splitLocalDateTime(dateTime) : undefined;
    if (!parts) {
      throw new AppointmentError(
        'invalid_input',
        `not a local date-time: ${JSON.stringify(dateTime)} (expected YYYY-MM-DDTHH:MM in ${this.timeZone ?? 'the business time zone'}, no offset)`,
      );
    }
    return joinLocal(parts.date, parts.time);
  }

  private refuseUnbookable(start: LocalDateTime, durationMin: number): void {
    if (start < this.localNow()) throw new AppointmentError('in_the_past', `${start} has already passed in ${this.timeZone}`);
    if (!this.openingHours.isOpen(start, durationMin)) {
      throw new AppointmentError('outside_hours', `${start} for ${durationMin} min is outside opening hours`);
    }
  }

  private refuseConflict(start: LocalDateTime, durationMin: number, exceptId?: number): void {
    const conflict = this.conflictWith(start, addMinutes(start, durationMin), exceptId);
    if (conflict !== undefined) {
      throw new AppointmentError('slot_taken', `${start} overlaps another booking`, { conflictId: conflict });
    }
  }

  private conflictWith(start: LocalDateTime, end: LocalDateTime, exceptId?: number): number | undefined {
    const row = this.db
      .prepare<[string, string, number], { id: number }>(
        `SELECT id FROM appointments
         WHERE status = 'booked' AND starts_at < ? AND ends_at > ? AND id IS NOT ?
         ORDER BY starts_at LIMIT 1`,
      )
      .get(end, start, exceptId ?? -1);
    return row?.id;
  }

  private requireChangeable(id: number): Appointment {
    const current = Number.isInteger(id) ? this.get(id) : undefined;
    if (!current) throw new AppointmentError('not_found', `no appointment with id ${id}`);
    if (current.status !== 'booked') throw new AppointmentError('not_booked', `appointment ${id} is ${current.status}`);
    if (current.startsAt < this.localNow()) throw new AppointmentError('already_started', `appointment ${id} has already started`);
    return current;
  }
}

function checkDuration(durationMin: number): void {
  if (!Number.isInteger(durationMin) || durationMin <= 0 || durationMin > MAX_DURATION_MIN) {
    throw new AppointmentError('invalid_input', `duration must be 1..${MAX_DURATION_MIN} whole minutes, got ${durationMin}`);
  }
}

function toAppointment(row: Row): Appointment {
  return {
    id: row.id,
    name: row.name,
    phone: row.phone,
    startsAt: row.starts_at,
    endsAt: row.ends_at,
    durationMin: row.duration_min,
    status: row.status,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    callId: row.call_id,
  };
}
