// Dates as callers say them: "today", "tomorrow", "the day after tomorrow", "in three days",
// "next Tuesday", "on Wednesday", "the 5th", "March 5th", "the fifth of march", "5/3" (read in
// the business's locale), "2025-03-05". Output is 'YYYY-MM-DD'. A date without a year that has
// already passed means next year; a bare day of the month that has passed means next month.
import {
  addDays,
  compareDates,
  daysInMonth,
  formatDate,
  isValidDate,
  monthFirst,
  todayIn,
  weekdayIndex,
  type CivilDate,
  type ExtractContext,
} from './calendar.js';
import { tokenize } from './normalize.js';
import { readCardinal, readOrdinal, TENS } from './number-words.js';
import { jaroWinkler } from './similarity.js';

export type ValueMatch<T> = { value: T; start: number; end: number };

export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const WEEKDAY_ALIASES: Record<string, number> = { tues: 1, weds: 2, thur: 3, thurs: 3 };

export const MONTHS = [
  'january', 'february', 'march', 'april', 'may', 'june',
  'july', 'august', 'september', 'october', 'november', 'december',
] as const;
const MONTH_ALIASES: Record<string, number> = {
  jan: 1, feb: 2, mar: 3, apr: 4, jun: 6, jul: 7, aug: 8, sep: 9, sept: 9, oct: 10, nov: 11, dec: 12,
};

/** Every date mentioned, in order of appearance. */
export function findDates(tokens: readonly string[], ctx: ExtractContext): ValueMatch<string>[] {
  const today = todayIn(ctx.now, ctx.timeZone);
  const found: ValueMatch<string>[] = [];
  for (let i = 0; i < tokens.length; ) {
    const m = dateAt(tokens, i, today, ctx);
    if (m) {
      found.push({ value: formatDate(m.value), start: m.start, end: m.end });
      i = m.end;
    } else {
      i++;
    }
  }
  return found;
}

/** The last date the caller said ("Tuesday, no, Wednesday" is Wednesday), or null. */
export function extractDate(text: string, ctx: ExtractContext): string | null {
  return findDates(tokenize(text), ctx).at(-1)?.value ?? null;
}

export function weekdayOf(token: string | undefined): number | null {
  if (!token) return null;
  const exact = WEEKDAYS.indexOf(token as (typeof WEEKDAYS)[number]);
  if (exact >= 0) return exact;
  if (token in WEEKDAY_ALIASES) return WEEKDAY_ALIASES[token];
  // A misspelt or misheard weekday ("wensday", "thurday"): long words only, close spelling.
  if (token.length >= 6 && token.endsWith('day')) {
    let best = -1;
    let bestScore = 0.88;
    WEEKDAYS.forEach((w, k) => {
      const s = jaroWinkler(token, w);
      if (s > bestScore) [best, bestScore] = [k, s];
    });
    if (best >= 0) return best;
  }
  return null;
}

export function monthOf(token: string | undefined): number | null {
  if (!token) return null;
  const exact = MONTHS.indexOf(token as (typeof MONTHS)[number]);
  if (exact >= 0) return exact + 1;
  return MONTH_ALIASES[token] ?? null;
}

type DateMatch = ValueMatch<CivilDate>;

function dateAt(t: readonly string[], i: number, today: CivilDate, ctx: ExtractContext): DateMatch | null {
  return relativeDay(t, i, today) ?? inDays(t, i, today) ?? weekday(t, i, today) ?? monthDay(t, i, today) ?? dayOfMonth(t, i, today) ?? numeric(t, i, today, ctx);
}

function relativeDay(t: readonly string[], i: number, today: CivilDate): DateMatch | null {
  const start = t[i] === 'the' && t[i + 1] === 'day' ? i + 1 : i;
  if (t[start] === 'day' && t[start + 1] === 'after' && (t[start + 2] === 'tomorrow' || t[start + 2] === 'tomorrows')) {
    return { value: addDays(today, 2), start: i, end: start + 3 };
  }
  if (t[i] === 'today' || t[i] === 'tonight') return { value: today, start: i, end: i + 1 };
  if (t[i] === 'this' && ['morning', 'afternoon', 'evening'].includes(t[i + 1])) return { value: today, start: i, end: i + 2 };
  if (t[i] === 'tomorrow' || t[i] === 'tomorrows') return { value: addDays(today, 1), start: i, end: i + 1 };
  // ASR sometimes splits the word: "to morrow".
  if (t[i] === 'to' && t[i + 1] === 'morrow') return { value: addDays(today, 1), start: i, end: i + 2 };
  return null;
}

function inDays(t: readonly string[], i: number, today: CivilDate): DateMatch | null {
  if (t[i] === 'a' && t[i + 1] === 'week' && t[i + 2] === 'from' && (t[i + 3] === 'today' || t[i + 3] === 'now')) {
    return { value: addDays(today, 7), start: i, end: i + 4 };
  }
  if (t[i] !== 'in') return null;
  const n = t[i + 1] === 'a' ? { value: 1, end: i + 2 } : readCardinal(t, i + 1);
  if (!n || n.value < 1 || n.value > 366) return null;
  const unit = t[n.end];
  if (unit === 'day' || unit === 'days') return { value: addDays(today, n.value), start: i, end: n.end + 1 };
  if (unit === 'week' || unit === 'weeks') return { value: addDays(today, 7 * n.value), start: i, end: n.end + 1 };
  return null;
}

/**
 * "Tuesday" and "on Tuesday" are the next Tuesday after today; "this Tuesday" may be today;
 * "next Tuesday" (or "Tuesday next week") is the Tuesday of next week, counting weeks from Monday.
 */
function weekday(t: readonly string[], i: number, today: CivilDate): DateMatch | null {
  let k = i;
  let mode: 'plain' | 'this' | 'next' = 'plain';
  if (t[k] === 'this' && t[k + 1] === 'coming') k += 2;
  else if (t[k] === 'this' || t[k] === 'coming') {
    mode = 'this';
    k++;
  } else if (t[k] === 'next') {
    mode = 'next';
    k++;
  }
  const day = weekdayOf(t[k]);
  if (day === null) return null;
  let end = k + 1;
  if (t[end] === 'next' && t[end + 1] === 'week') {
    mode = 'next';
    end += 2;
  } else if (t[end] === 'this' && t[end + 1] === 'week') {
    mode = 'this';
    end += 2;
  }
  const todayIdx = weekdayIndex(today);
  let offset: number;
  if (mode === 'next') offset = 7 - todayIdx + day;
  else if (mode === 'this') offset = (day - todayIdx + 7) % 7;
  else offset = ((day - todayIdx + 7) % 7) || 7;
  return { value: addDays(today, offset), start: i, end };
}

/** "March 5th", "march the fifth", "5th of March", "the fifth of march", "5 march", optional year. */
function monthDay(t: readonly string[], i: number, today: CivilDate): DateMatch | null {
  // Month first.
  const month = monthOf(t[i]);
  if (month !== null) {
    const at = t[i + 1] === 'the' ? i + 2 : i + 1;
    const day = readOrdinal(t, at) ?? dayCardinal(t, at);
    if (day) return withYear(t, i, day.end, month, day.value, today);
    return null;
  }
  // Day first.
  const from = t[i] === 'the' ? i + 1 : i;
  const day = readOrdinal(t, from) ?? (t[i] === 'the' ? null : dayCardinal(t, from));
  if (!day) return null;
  const at = t[day.end] === 'of' ? day.end + 1 : day.end;
  const m = monthOf(t[at]);
  if (m === null) return null;
  return withYear(t, i, at + 1, m, day.value, today);
}

function dayCardinal(t: readonly string[], i: number): ValueMatch<number> | null {
  const n = readCardinal(t, i);
  return n && n.value >= 1 && n.value <= 31 ? n : null;
}

function withYear(t: readonly string[], start: number, end: number, month: number, day: number, today: CivilDate): DateMatch | null {
  let year: number | null = null;
  if (/^(19|20)\d{2}$/.test(t[end] ?? '')) {
    year = Number(t[end]);
    end++;
  } else if (t[end] === 'twenty' && (t[end + 1] ?? '') in TENS) {
    // "twenty twenty six"
    const rest = readCardinal(t, end + 1);
    if (rest && rest.value >= 10 && rest.value <= 99) {
      year = 2000 + rest.value;
      end = rest.end;
    }
  } else if (t[end] === 'two' && t[end + 1] === 'thousand') {
    const y = readCardinal(t, end);
    if (y && y.value >= 2000 && y.value < 2100) {
      year = y.value;
      end = y.end;
    }
  }
  let value: CivilDate = { year: year ?? today.year, month, day };
  if (!isValidDate({ ...value, year: year ?? 2024 })) return null;
  if (year === null && compareDates(value, today) < 0) value = { ...value, year: today.year + 1 };
  if (!isValidDate(value)) return null;
  return { value, start, end };
}

/** "the 5th", "on the fifth", "5th": this month, or next month once the day has passed. */
function dayOfMonth(t: readonly string[], i: number, today: CivilDate): DateMatch | null {
  let from = i;
  if (t[i] === 'on' && t[i + 1] === 'the') from = i + 2;
  else if (t[i] === 'the' || t[i] === 'on') from = i + 1;
  const day = readOrdinal(t, from);
  if (!day) return null;
  // "february 30th" is an impossible date, not the 30th of this month.
  if (monthOf(t[from - 1]) !== null || (t[from - 1] === 'the' && monthOf(t[from - 2]) !== null)) return null;
  // "the second one", "the first option": a choice from a list, not a date.
  if (['one', 'option', 'choice', 'slot', 'time'].includes(t[day.end]) && !/^\d/.test(t[from])) return null;
  // A bare ordinal word ("second", "first") is a date only after "the"/"on"; "5th" always is.
  if (from === i && !/^\d/.test(t[i])) return null;
  if (day.value < 1 || day.value > 31) return null;
  let { year, month } = today;
  if (day.value < today.day) [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  // The 31st of a short month is the next month that has one.
  for (let guard = 0; guard < 3 && day.value > daysInMonth(year, month); guard++) {
    [year, month] = month === 12 ? [year + 1, 1] : [year, month + 1];
  }
  return { value: { year, month, day: day.value }, start: i, end: day.end };
}

/** "5/3", "5/3/2025", "05-03-25", "2025-03-05". */
function numeric(t: readonly string[], i: number, today: CivilDate, ctx: ExtractContext): DateMatch | null {
  const token = t[i];
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(token);
  if (iso) {
    const value = { year: Number(iso[1]), month: Number(iso[2]), day: Number(iso[3]) };
    return isValidDate(value) ? { value, start: i, end: i + 1 } : null;
  }
  const m = /^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2}|\d{4}))?$/.exec(token);
  if (!m) return null;
  const [a, b] = [Number(m[1]), Number(m[2])];
  const [month, day] = monthFirst(ctx.locale) ? [a, b] : [b, a];
  if (m[3] === undefined) {
    // "5.3" without a year could be a decimal number; only the slash form is a date.
    if (token.includes('.')) return null;
    return withYear([], i, i + 1, month, day, today);
  }
  const year = m[3].length === 2 ? 2000 + Number(m[3]) : Number(m[3]);
  const value = { year, month, day };
  return isValidDate(value) ? { value, start: i, end: i + 1 } : null;
}

// Exported for the time extractor: a number next to a month name belongs to a date.
export function isMonthToken(token: string | undefined): boolean {
  return monthOf(token) !== null;
}
