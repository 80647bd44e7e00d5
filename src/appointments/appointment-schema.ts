// The appointments table. starts_at is a wall-clock local date-time 'YYYY-MM-DDTHH:MM' in the time
// zone recorded in appointment_meta — text in that form sorts and compares in time order, so
// overlap checks are plain string comparisons that SQLite can answer from an index.
import type Database from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

/** The time, to the minute, `duration_min` after `starts_at`, as SQL over a row or NEW. */
const endOf = (row: string) => `strftime('%Y-%m-%dT%H:%M', ${row}.starts_at, '+' || ${row}.duration_min || ' minutes')`;

const overlapsBooked = (row: string) => `EXISTS (
    SELECT 1 FROM appointments a
    WHERE a.status = 'booked' AND a.id IS NOT ${row}.id
      AND a.starts_at < ${endOf(row)} AND a.ends_at > ${row}.starts_at)`;

const SCHEMA_V1 = `
CREATE TABLE IF NOT EXISTS appointments (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL CHECK (length(trim(name)) > 0),
  phone        TEXT,
  starts_at    TEXT NOT NULL CHECK (starts_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]'),
  duration_min INTEGER NOT NULL CHECK (duration_min > 0),
  ends_at      TEXT GENERATED ALWAYS AS (strftime('%Y-%m-%dT%H:%M', starts_at, '+' || duration_min || ' minutes')) STORED,
  status       TEXT NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled')),
  created_at   TEXT NOT NULL,
  updated_at   TEXT NOT NULL,
  call_id      TEXT
);
CREATE INDEX IF NOT EXISTS appointments_booked_by_start ON appointments (status, starts_at);
CREATE TABLE IF NOT EXISTS appointment_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
-- The store checks overlaps itself inside an IMMEDIATE transaction; these triggers are the last
-- line for any other writer (a second process, a hand-edited row): two booked appointments can
-- never overlap in this table.
CREATE TRIGGER IF NOT EXISTS appointments_no_overlap_on_insert
BEFORE INSERT ON appointments
WHEN NEW.status = 'booked' AND ${overlapsBooked('NEW')}
BEGIN SELECT RAISE(ABORT, 'appointment_overlap'); END;
CREATE TRIGGER IF NOT EXISTS appointments_no_overlap_on_update
BEFORE UPDATE OF starts_at, duration_min, status ON appointments
WHEN NEW.status = 'booked' AND ${overlapsBooked('NEW')}
BEGIN SELECT RAISE(ABORT, 'appointment_overlap'); END;
`;

/** The message SQLite raises when a trigger refuses an overlapping row. */
export const OVERLAP_TRIGGER_MESSAGE = 'appointment_overlap';

/** Creates or upgrades the schema; safe to run from several processes at once. */
export function migrate(db: Database.Database): void {
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`appointments database has schema version ${version}, newer than this build (${SCHEMA_VERSION})`);
    }
    if (version < 1) db.exec(SCHEMA_V1);
    if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
