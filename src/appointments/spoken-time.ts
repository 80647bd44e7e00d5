// Dates and times the way a receptionist says them, written so a TTS engine (espeak-ng, flite or a
// cloud voice) reads them naturally: "9:30 am", "noon", "Monday March 10th".
import { addDays, minutesOf, weekdayOf, type LocalDate, type Weekday } from './local-time.js';

export const WEEKDAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

/** '09:00' → '9 am', '14:30' → '2:30 pm', '12:00' → 'noon', '00:00' / '24:00' → 'midnight'. */
export function spokenTime(time: string): string {
  const total = minutesOf(time);
  if (total === 12 * 60) return 'noon';
  if (total % (24 * 60) === 0) return 'midnight';
  const h = Math.floor(total / 60) % 24;
  const m = total % 60;
  const suffix = h < 12 ? 'am' : 'pm';
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return m === 0 ? `${h12} ${suffix}` : `${h12}:${String(m).padStart(2, '0')} ${suffix}`;
}

export function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}

/** '2025-03-10' → 'Monday March 10th'. */
export function spokenDate(date: LocalDate): string {
  const [, mo, d] = date.split('-').map(Number);
  return `${WEEKDAY_NAMES[weekdayOf(date)]} ${MONTHS[mo - 1]} ${ordinal(d)}`;
}

/** Like spokenDate, but 'today' / 'tomorrow, Tuesday March 11th' relative to `today`. */
export function spokenDay(date: LocalDate, today?: LocalDate): string {
  if (today && date === today) return `today, ${spokenDate(date)}`;
  if (today && date === addDays(today, 1)) return `tomorrow, ${spokenDate(date)}`;
  return spokenDate(date);
}

/** ['a'] → 'a'; ['a','b'] → 'a and b'; ['a','b','c'] → 'a, b and c'. */
export function spokenList(items: readonly string[], conjunction = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}
