// When the business is open, as configured in the agent's flow/config file, and how to say it.
// All times are wall-clock times in the business's time zone (see local-time.ts).
import { z } from 'zod';
import {
  WEEKDAYS,
  isLocalDate,
  minutesOf,
  splitLocalDateTime,
  weekdayOf,
  type LocalDate,
  type LocalDateTime,
  type LocalTime,
  type Weekday,
} from './local-time.js';
import { WEEKDAY_NAMES, spokenDate, spokenList, spokenTime } from './spoken-time.js';

/** 'HH:MM' 24-hour, or '24:00' for a day that runs to midnight. */
const clockTime = z
  .string()
  .regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'expected a time as HH:MM (24-hour), e.g. "09:00"');

const rangeObject = z
  .object({ open: clockTime, close: clockTime })
  .strict()
  .refine((r) => minutesOf(r.open) < minutesOf(r.close), { message: 'open must be before close' });

/** Shorthand for YAML files: "09:00-17:00". */
const rangeText = z
  .string()
  .regex(/^\d{2}:\d{2}\s*-\s*\d{2}:\d{2}$/, 'expected "HH:MM-HH:MM", an {open, close} object, a list of them, or "closed"')
  .transform((s) => {
    const [open, close] = s.split('-').map((p) => p.trim());
    return { open, close };
  })
  .pipe(rangeObject);

const range = z.union([rangeObject, rangeText]);

/** One weekday: closed (null, "closed" or left out), one range, or several (e.g. a lunch break). */
const dayHours = z
  .union([z.null(), z.literal('closed'), range, z.array(range)])
  .optional()
  .transform((v): OpeningRange[] => {
    if (v === undefined || v === null || v === 'closed') return [];
    return (Array.isArray(v) ? v : [v]).slice().sort((a, b) => minutesOf(a.open) - minutesOf(b.open));
  })
  .refine((ranges) => ranges.every((r, i) => i === 0 || minutesOf(ranges[i - 1].close) <= minutesOf(r.open)), {
    message: 'opening ranges on one day must not overlap',
  });

const calendarDate = z.string().refine(isLocalDate, 'expected a date as YYYY-MM-DD, e.g. "2025-12-25"');

export const OpeningHoursConfigSchema = z
  .object({
    /** Length of one bookable slot in minutes; appointments last one slot unless told otherwise. */
    slotMin: z.number().int().min(5).max(24 * 60).default(30),
    mon: dayHours,
    tue: dayHours,
    wed: dayHours,
    thu: dayHours,
    fri: dayHours,
    sat: dayHours,
    sun: dayHours,
    /** Whole days closed regardless of the weekday (bank holidays, training days). */
    closedDates: z.array(calendarDate).default([]),
  })
  .strict();

export type OpeningRange = { open: LocalTime; close: LocalTime };
/** What a config file may say (shorthands allowed, omitted days closed). */
export type OpeningHoursInput = z.input<typeof OpeningHoursConfigSchema>;
/** The normalized form: every weekday present as a sorted list of ranges. */
export type OpeningHoursConfig = z.output<typeof OpeningHoursConfigSchema>;

export const DEFAULT_OPENING_HOURS: OpeningHoursInput = {
  slotMin: 30,
  mon: { open: '09:00', close: '17:00' },
  tue: { open: '09:00', close: '17:00' },
  wed: { open: '09:00', close: '17:00' },
  thu: { open: '09:00', close: '17:00' },
  fri: { open: '09:00', close: '17:00' },
  sat: { open: '10:00', close: '14:00' },
  sun: 'closed',
};

export class OpeningHoursError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpeningHoursError';
  }
}

export class OpeningHours {
  readonly config: OpeningHoursConfig;
  private readonly closed: ReadonlySet<string>;

  /** Validates `input`; a bad config throws an OpeningHoursError naming each bad field. */
  constructor(input: OpeningHoursInput = DEFAULT_OPENING_HOURS) {
    const parsed = OpeningHoursConfigSchema.safeParse(input);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join('.') || '(opening hours)'}: ${i.message}`).join('; ');
      throw new OpeningHoursError(`invalid opening hours: ${why}`);
    }
    this.config = parsed.data;
    this.closed = new Set(parsed.data.closedDates);
  }

  static from(hours: OpeningHours | OpeningHoursInput | undefined): OpeningHours {
    return hours instanceof OpeningHours ? hours : new OpeningHours(hours);
  }

  get slotMin(): number {
    return this.config.slotMin;
  }

  weekly(weekday: Weekday): OpeningRange[] {
    return this.config[weekday];
  }

  /** The opening ranges on a date; empty when closed that day. */
  hoursOn(date: LocalDate): OpeningRange[] {
    if (!isLocalDate(date)) throw new OpeningHoursError(`not a date: "${date}" (expected YYYY-MM-DD)`);
    if (this.closed.has(date)) return [];
    return this.config[weekdayOf(date)];
  }

  /**
   * Whether the business is open at `dateTime`; with `durationMin`, whether an appointment that
   * long starting then ends by closing time within the same opening range.
   */
  isOpen(dateTime: LocalDateTime, durationMin = 0): boolean {
    const parts = splitLocalDateTime(dateTime);
    if (!parts) throw new OpeningHoursError(`not a local date-time: "${dateTime}" (expected YYYY-MM-DDTHH:MM)`);
    const start = minutesOf(parts.time);
    const end = start + Math.max(0, durationMin);
    return this.hoursOn(parts.date).some(
      (r) => start >= minutesOf(r.open) && (durationMin > 0 ? end <= minutesOf(r.close) : start < minutesOf(r.close)),
    );
  }

  /** "We are open Monday to Friday from 9 am to 5 pm, Saturday from 10 am to 2 pm, and closed on Sunday." */
  describeHours(): string {
    const runs = weekdayRuns((d) => rangesKey(this.config[d]));
    const open = runs.filter((r) => this.config[r.days[0]].length > 0);
    const closed = runs.filter((r) => this.config[r.days[0]].length === 0);
    if (open.length === 0) return 'We are closed every day.';
    if (open.length === 1 && open[0].days.length === 7) {
      return `We are open every day ${spokenRanges(this.config.mon)}.`;
    }
    const openParts = open.map((r) => `${runName(r.days)} ${spokenRanges(this.config[r.days[0]])}`);
    if (closed.length === 0) return `We are open ${spokenList(openParts)}.`;
    const closedDays = closed.flatMap((r) => (r.days.length >= 3 ? [runName(r.days)] : r.days.map((d) => WEEKDAY_NAMES[d])));
    return `We are open ${openParts.join(', ')}, and closed on ${spokenList(closedDays)}.`;
  }

  /** "On Monday March 10th we are open from 9 am to 5 pm." / "We are closed on Sunday March 9th." */
  describeDay(date: LocalDate): string {
    const ranges = this.hoursOn(date);
    if (ranges.length === 0) return `We are closed on ${spokenDate(date)}.`;
    return `On ${spokenDate(date)} we are open ${spokenRanges(ranges)}.`;
  }
}

/** 'from 9 am to noon and from 1 pm to 5 pm' */
export function spokenRanges(ranges: readonly OpeningRange[]): string {
  return spokenList(ranges.map((r) => `from ${spokenTime(r.open)} to ${spokenTime(r.close)}`));
}

function rangesKey(ranges: readonly OpeningRange[]): string {
  return ranges.map((r) => `${r.open}-${r.close}`).join(',');
}

/** Consecutive weekdays (Monday first) that share the same key. */
function weekdayRuns(keyOf: (d: Weekday) => string): { days: Weekday[] }[] {
  const runs: { key: string; days: Weekday[] }[] = [];
  for (const day of WEEKDAYS) {
    const key = keyOf(day);
    const last = runs[runs.length - 1];
    if (last && last.key === key) last.days.push(day);
    else runs.push({ key, days: [day] });
  }
  return runs;
}

function runName(days: readonly Weekday[]): string {
  const first = WEEKDAY_NAMES[days[0]];
  if (days.length === 1) return first;
  const last = WEEKDAY_NAMES[days[days.length - 1]];
  return days.length === 2 ? `${first} and ${last}` : `${first} to ${last}`;
}
