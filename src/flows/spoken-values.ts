// Slot values the way a receptionist says them, written so any TTS voice reads them well:
// '2025-03-11' → "Tuesday March 11th", '15:00' → "3 pm", '5551234' → "5 5 5, 1 2 3 4".
import { parseDate, weekdayIndex } from './understanding/calendar.js';
import { MONTHS, WEEKDAYS } from './understanding/dates.js';
import type { SlotType, SlotValue } from './understanding/slots.js';

export function spokenValue(type: SlotType, value: SlotValue): string {
  if (typeof value !== 'string') return String(value);
  switch (type) {
    case 'date':
      return spokenDate(value) ?? value;
    case 'time':
      return spokenTime(value) ?? value;
    case 'phone':
      return spokenDigits(value);
    case 'email':
      return value.replace(/\./g, ' dot ').replace('@', ' at ').replace(/_/g, ' underscore ').replace(/\s+/g, ' ').trim();
    default:
      return value;
  }
}

export function spokenDate(value: string): string | null {
  const d = parseDate(value);
  if (!d) return null;
  const cap = (w: string) => w[0].toUpperCase() + w.slice(1);
  return `${cap(WEEKDAYS[weekdayIndex(d)])} ${cap(MONTHS[d.month - 1])} ${ordinal(d.day)}`;
}

export function spokenTime(value: string): string | null {
  const m = /^(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [h, min] = [Number(m[1]), Number(m[2])];
  if (h === 12 && min === 0) return 'noon';
  if (h === 0 && min === 0) return 'midnight';
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const suffix = h < 12 ? 'am' : 'pm';
  return min === 0 ? `${h12} ${suffix}` : `${h12}:${String(min).padStart(2, '0')} ${suffix}`;
}

function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

/** Digits read one by one, grouped in threes and fours the way phone numbers are read out. */
function spokenDigits(value: string): string {
  const digits = value.replace(/[^\d+]/g, '');
  const groups: string[] = [];
  let rest = digits.replace('+', '');
  while (rest.length > 4) {
    groups.push(rest.slice(0, 3));
    rest = rest.slice(3);
  }
  if (rest) groups.push(rest);
  return (digits.startsWith('+') ? 'plus ' : '') + groups.map((g) => g.split('').join(' ')).join(', ');
}
