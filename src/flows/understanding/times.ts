// Times of day as callers say them: "3 pm", "three p m", "3pm", "14:30", "half past two",
// "quarter to four", "ten past nine", "three thirty", "eleven oh five", "fifteen hundred",
// "noon", "midnight", "at 3", "nine in the morning". Output is 'HH:MM' (24-hour).
//
// Without am/pm the business-hours reading wins: 7 to 11 are morning, 12 is noon, 1 to 6 are
// afternoon ("at 3" is 15:00). A bare number ("three") is a time only when the caller was asked
// for one (`expect`), or after "at"/"around"/"by", so "three people" or "in three days" is not.
import type { ValueMatch } from './dates.js';
import { isMonthToken } from './dates.js';
import { tokenize } from './normalize.js';
import { readCardinal } from './number-words.js';

export type TimeOptions = {
  /** The caller was just asked for a time: a bare number ("three") counts. */
  expect?: boolean;
};

type Meridiem = 'am' | 'pm' | null;

const PREFIXES = new Set(['at', 'around', 'about', 'by', 'after', 'before', 'from', 'until', 'till', 'til', 'say', 'maybe']);
const NOT_TIME_AFTER = new Set(['day', 'days', 'week', 'weeks', 'month', 'months', 'year', 'years', 'people', 'persons', 'person', 'times', 'of', 'percent', 'dollars', 'pounds', 'euros']);

/** Every time mentioned, in order of appearance. */
export function findTimes(tokens: readonly string[], options: TimeOptions = {}): ValueMatch<string>[] {
  const hint: Meridiem = tokens.some((t) => t === 'afternoon' || t === 'evening' || t === 'tonight' || t === 'night')
    ? 'pm'
    : tokens.includes('morning') ? 'am' : null;
  const found: ValueMatch<string>[] = [];
  for (let i = 0; i < tokens.length; ) {
    const m = timeAt(tokens, i, options.expect ?? false, hint);
    if (m) {
      found.push(m);
      i = m.end;
    } else {
      i++;
    }
  }
  return found;
}

/** The last time the caller said, or null. */
export function extractTime(text: string, options: TimeOptions = {}): string | null {
  return findTimes(tokenize(text), options).at(-1)?.value ?? null;
}

function timeAt(t: readonly string[], i: number, expect: boolean, hint: Meridiem): ValueMatch<string> | null {
  const word = t[i];
  if (word === 'noon' || word === 'midday') return { value: '12:00', start: i, end: i + 1 };
  if (word === 'midnight') return { value: '00:00', start: i, end: i + 1 };
  return relative(t, i, hint) ?? clock(t, i, hint) ?? spoken(t, i, expect, hint);
}

/** "half past two", "a quarter to four", "ten past nine", "twenty five to five", "half two". */
function relative(t: readonly string[], i: number, hint: Meridiem): ValueMatch<string> | null {
  let k = i;
  let minutes: number | null = null;
  let strict = false;
  if (t[k] === 'half') {
    minutes = 30;
    k++;
  } else if (t[k] === 'quarter' || (t[k] === 'a' && t[k + 1] === 'quarter')) {
    minutes = 15;
    k += t[k] === 'a' ? 2 : 1;
  } else {
    const n = readCardinal(t, k);
    if (!n || n.value < 1 || n.value > 30 || /^\d{3,}$/.test(t[k])) return null;
    minutes = n.value;
    k = n.end;
    strict = true;
    if (t[k] === 'minutes' || t[k] === 'minute') {
      k++;
      strict = false;
    }
  }
  let sign: 1 | -1;
  if (t[k] === 'past' || t[k] === 'after') sign = 1;
  else if (t[k] === 'to' || t[k] === 'till' || t[k] === 'til') sign = -1;
  else if (minutes === 30 && t[i] === 'half' && hourAt(t, k)) sign = 1; // British "half two"
  else return null;
  // "from two to four" is a range, not 3:58: only round minutes count before "to".
  if (sign === -1 && strict && minutes % 5 !== 0) return null;
  const hourStart = t[k] === 'past' || t[k] === 'after' || t[k] === 'to' || t[k] === 'till' || t[k] === 'til' ? k + 1 : k;
  const hour = hourAt(t, hourStart);
  if (!hour) return null;
  const suffix = meridiemAt(t, hour.end);
  const base = resolveHour(hour.value, suffix.meridiem ?? hint);
  if (base === null) return null;
  const total = (base * 60 + sign * minutes + 24 * 60) % (24 * 60);
  return { value: hhmm(Math.floor(total / 60), total % 60), start: i, end: suffix.end };
}

/** "14:30", "2:30 pm", "9:05am". */
function clock(t: readonly string[], i: number, hint: Meridiem): ValueMatch<string> | null {
  const m = /^(\d{1,2})[:.](\d{2})$/.exec(t[i] ?? '');
  if (!m || !t[i].includes(':')) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (h > 23 || min > 59) return null;
  const suffix = meridiemAt(t, i + 1);
  const hour = h > 12 || h === 0 ? h : resolveHour(h, suffix.meridiem ?? hint);
  if (hour === null) return null;
  return { value: hhmm(hour, min), start: i, end: suffix.end };
}

/** "three", "3 pm", "three thirty", "eleven oh five", "fifteen hundred", "1430", "three o'clock". */
function spoken(t: readonly string[], i: number, expect: boolean, hint: Meridiem): ValueMatch<string> | null {
  if (t[i - 1] === 'the' || isMonthToken(t[i - 1])) return null;
  const n = readCardinal(t, i);
  if (!n) return null;
  let hour: number;
  let minutes = 0;
  let k = n.end;
  let hasMinutes = false;
  const digits = /^\d{3,4}$/.test(t[i]) ? t[i] : null;
  if (digits) {
    // "1430", "930": hours and minutes written together.
    hour = Math.floor(n.value / 100);
    minutes = n.value % 100;
    hasMinutes = true;
  } else if (n.value >= 100 && n.value % 100 === 0 && n.value <= 2300 && t[n.end - 1] === 'hundred') {
    hour = n.value / 100; // "nine hundred"
    hasMinutes = true;
  } else if (t[n.end] === 'hundred' && n.value >= 10 && n.value <= 23) {
    hour = n.value; // "fifteen hundred" (military style)
    k = n.end + 1;
    hasMinutes = true;
    if (t[k] === 'hours') k++;
  } else {
    hour = n.value;
    if ((t[k] === 'oh' || t[k] === 'o' || t[k] === 'zero') && /^(one|two|three|four|five|six|seven|eight|nine|\d)$/.test(t[k + 1] ?? '')) {
      const d = readCardinal(t, k + 1);
      if (d && d.value < 10) {
        minutes = d.value;
        k = d.end;
        hasMinutes = true;
      }
    } else if (t[k] !== 'o' || t[k + 1] !== 'clock') {
      const m = readCardinal(t, k);
      if (m && m.value >= 10 && m.value <= 59 && !/^\d{3,}$/.test(t[k])) {
        minutes = m.value;
        k = m.end;
        hasMinutes = true;
      }
    }
  }
  if (hour > 24 || minutes > 59) return null;
  let qualified = false;
  if (t[k] === 'oclock' || t[k] === 'clock') {
    k++;
    qualified = true;
  } else if (t[k] === 'o' && t[k + 1] === 'clock') {
    k += 2;
    qualified = true;
  }
  if (hour === 12 && t[k] === 'noon') return { value: '12:00', start: i, end: k + 1 };
  if (hour === 12 && t[k] === 'midnight') return { value: '00:00', start: i, end: k + 1 };
  const suffix = meridiemAt(t, k);
  if (NOT_TIME_AFTER.has(t[suffix.end] ?? '') && !suffix.meridiem && !qualified) return null;
  if (isMonthToken(t[suffix.end]) || /^(st|nd|rd|th)$/.test(t[suffix.end] ?? '')) return null;
  const prefixed = PREFIXES.has(t[i - 1] ?? '');
  const accepted = suffix.meridiem !== null || suffix.end > k || qualified || prefixed || expect || (hasMinutes && !digits);
  if (!accepted) return null;
  if (suffix.meridiem && hour > 12) return null;
  const h = hour >= 13 || hour === 0 || hour === 24 ? hour % 24 : resolveHour(hour, suffix.meridiem ?? hint);
  if (h === null) return null;
  return { value: hhmm(h, minutes), start: i, end: suffix.end };
}

function hourAt(t: readonly string[], i: number): { value: number; end: number } | null {
  if (t[i] === 'noon' || t[i] === 'midday') return { value: 12, end: i + 1 };
  const n = readCardinal(t, i);
  return n && n.value >= 1 && n.value <= 12 ? n : null;
}

/** "am", "pm", "a m", "p m", "in the morning", "in the afternoon", "at night". */
function meridiemAt(t: readonly string[], k: number): { meridiem: Meridiem; end: number } {
  if (t[k] === 'am' || t[k] === 'pm') return { meridiem: t[k] as 'am' | 'pm', end: k + 1 };
  if ((t[k] === 'a' || t[k] === 'p') && t[k + 1] === 'm') return { meridiem: t[k] === 'a' ? 'am' : 'pm', end: k + 2 };
  if (t[k] === 'in' && t[k + 1] === 'the') {
    if (t[k + 2] === 'morning') return { meridiem: 'am', end: k + 3 };
    if (t[k + 2] === 'afternoon' || t[k + 2] === 'evening') return { meridiem: 'pm', end: k + 3 };
  }
  if (t[k] === 'at' && t[k + 1] === 'night') return { meridiem: 'pm', end: k + 2 };
  if (t[k] === 'tonight' || (t[k] === 'this' && (t[k + 1] === 'afternoon' || t[k + 1] === 'evening'))) return { meridiem: 'pm', end: k };
  if (t[k] === 'this' && t[k + 1] === 'morning') return { meridiem: 'am', end: k };
  return { meridiem: null, end: k };
}

/** A 12-hour clock hour (1–12) to 0–23, with the business-hours default when am/pm is unknown. */
function resolveHour(hour: number, meridiem: Meridiem): number | null {
  if (hour < 1 || hour > 12) return meridiem === null && hour >= 0 && hour <= 23 ? hour : null;
  if (meridiem === 'am') return hour % 12;
  if (meridiem === 'pm') return (hour % 12) + 12;
  return hour <= 6 ? hour + 12 : hour;
}

function hhmm(h: number, m: number): string {
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}
