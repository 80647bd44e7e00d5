// Calendar arithmetic on the business's wall clock. Appointments are kept as local date-times
// ('YYYY-MM-DDTHH:MM', no offset) in one IANA time zone, because that is how callers and opening
// hours speak about time. The arithmetic runs on Date.UTC so the host's own zone never leaks in.

/** 'YYYY-MM-DD' */
export type LocalDate = string;
/** 'HH:MM', 24-hour */
export type LocalTime = string;
/** 'YYYY-MM-DDTHH:MM', wall-clock time in the business's time zone */
export type LocalDateTime = string;

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
/** Monday first, the order in which opening hours are read out. */
export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_TIME_RE = /^(\d{4}-\d{2}-\d{2})[T ]([01]\d|2[0-3]):([0-5]\d)(?::00(?:\.0+)?)?$/;

export function isLocalDate(value: string): boolean {
  const m = DATE_RE.exec(value);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  // Date.UTC rolls 2025-02-30 over into March; a real date survives the round trip.
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

export function isLocalTime(value: string): boolean {
  return TIME_RE.test(value);
}

/**
 * Splits a local date-time into date and time, accepting 'T' or a space and whole-minute seconds.
 * Returns undefined for anything else, including strings with an offset or 'Z': an instant is not
 * a wall-clock time, and guessing which zone the caller meant would book the wrong hour.
 */
export function splitLocalDateTime(value: string): { date: LocalDate; time: LocalTime } | undefined {
  const m = DATE_TIME_RE.exec(value);
  if (!m || !isLocalDate(m[1])) return undefined;
  return { date: m[1], time: `${m[2]}:${m[3]}` };
}

export function joinLocal(date: LocalDate, time: LocalTime): LocalDateTime {
  return `${date}T${time}`;
}

/** Minutes since midnight; accepts '24:00' as the end of the day. */
export function minutesOf(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return h * 60 + m;
}

export function timeOfMinutes(minutes: number): LocalTime {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

function utcOf(date: LocalDate, minutes = 0): Date {
  const [y, mo, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, mo - 1, d, 0, minutes));
}

function dateOfUtc(t: Date): LocalDate {
  return t.toISOString().slice(0, 10);
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const t = utcOf(date);
  t.setUTCDate(t.getUTCDate() + days);
  return dateOfUtc(t);
}

/** Wall-clock addition: 09:00 + 30 min is 09:30 even on a night the clocks change. */
export function addMinutes(dateTime: LocalDateTime, minutes: number): LocalDateTime {
  const parts = splitLocalDateTime(dateTime);
  if (!parts) throw new RangeError(`not a local date-time: "${dateTime}"`);
  const t = utcOf(parts.date, minutesOf(parts.time) + minutes);
  return t.toISOString().slice(0, 16);
}

export function weekdayOf(date: LocalDate): Weekday {
  // getUTCDay is Sunday = 0; WEEKDAYS is Monday first.
  return WEEKDAYS[(utcOf(date).getUTCDay() + 6) % 7];
}

/** Throws a RangeError naming the zone when it is not a known IANA time zone. */
export function assertTimeZone(timeZone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw new RangeError(`unknown time zone "${timeZone}"`);
  }
}

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date and time in `timeZone` at instant `at`, to the minute. */
export function localDateTimeAt(at: Date, timeZone: string): LocalDateTime {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, fmt);
  }
  const part: Record<string, string> = {};
  for (const p of fmt.formatToParts(at)) part[p.type] = p.value;
  return `${part.year}-${part.month}-${part.day}T${part.hour}:${part.minute}`;
}
