// Wall-clock calendar arithmetic for the extractors: "today" is the business's date in its time
// zone, and day arithmetic runs on Date.UTC so the host's own zone never leaks in.

/** Where and when the caller speaks: relative words ("tomorrow") resolve against this. */
export type ExtractContext = {
  /** The reference instant (ms since epoch or a Date). */
  now: number | Date;
  /** IANA zone of the business, e.g. "Europe/London". */
  timeZone: string;
  /** BCP-47 locale of the business; decides whether "5/3" is May 3rd (en-US) or 5 March. */
  locale?: string;
};

export type CivilDate = { year: number; month: number; day: number };

/** The calendar date at `now` in `timeZone`. */
export function todayIn(now: number | Date, timeZone: string): CivilDate {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(now);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: get('year'), month: get('month'), day: get('day') };
}

export function formatDate(d: CivilDate): string {
  return `${String(d.year).padStart(4, '0')}-${String(d.month).padStart(2, '0')}-${String(d.day).padStart(2, '0')}`;
}

export function parseDate(value: string): CivilDate | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  return isValidDate(d) ? d : null;
}

export function isValidDate(d: CivilDate): boolean {
  return d.month >= 1 && d.month <= 12 && d.day >= 1 && d.day <= daysInMonth(d.year, d.month);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function addDays(d: CivilDate, days: number): CivilDate {
  const t = new Date(Date.UTC(d.year, d.month - 1, d.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** Monday = 0 … Sunday = 6. */
export function weekdayIndex(d: CivilDate): number {
  return (new Date(Date.UTC(d.year, d.month - 1, d.day)).getUTCDay() + 6) % 7;
}

export function compareDates(a: CivilDate, b: CivilDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** True when numeric dates in this locale put the month first ("5/3" = May 3rd). */
export function monthFirst(locale: string | undefined): boolean {
  const region = (locale ?? 'en-US').split(/[-_]/)[1]?.toUpperCase();
  return region === 'US' || region === 'PH' || (region === undefined && (locale ?? 'en').toLowerCase() === 'en');
}
