import { describe, expect, it } from 'vitest';
import {
  addDays,
  addMinutes,
  assertTimeZone,
  isLocalDate,
  localDateTimeAt,
  splitLocalDateTime,
  weekdayOf,
} from '../../src/appointments/local-time.js';
import { nameMatches, phoneMatches } from '../../src/appointments/appointment-match.js';
import { ordinal, spokenDate, spokenList, spokenTime } from '../../src/appointments/spoken-time.js';

describe('local wall-clock time', () => {
  it('knows real calendar dates', () => {
    expect(isLocalDate('2024-02-29')).toBe(true);
    expect(isLocalDate('2025-02-29')).toBe(false);
    expect(isLocalDate('2025-13-01')).toBe(false);
    expect(isLocalDate('2025-3-1')).toBe(false);
  });

  it('reads local date-times and refuses instants with an offset', () => {
    expect(splitLocalDateTime('2025-03-10T09:30')).toEqual({ date: '2025-03-10', time: '09:30' });
    expect(splitLocalDateTime('2025-03-10 09:30:00')).toEqual({ date: '2025-03-10', time: '09:30' });
    expect(splitLocalDateTime('2025-03-10T09:30:15')).toBeUndefined();
    expect(splitLocalDateTime('2025-03-10T09:30Z')).toBeUndefined();
    expect(splitLocalDateTime('2025-03-10T09:30+01:00')).toBeUndefined();
    expect(splitLocalDateTime('2025-03-10T24:00')).toBeUndefined();
  });

  it('adds minutes and days across midnight, month and year ends', () => {
    expect(addMinutes('2025-03-10T23:45', 30)).toBe('2025-03-11T00:15');
    expect(addMinutes('2025-12-31T23:30', 60)).toBe('2026-01-01T00:30');
    expect(addMinutes('2025-03-10T00:10', -20)).toBe('2025-03-09T23:50');
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(weekdayOf('2025-03-10')).toBe('mon');
    expect(weekdayOf('2025-03-16')).toBe('sun');
  });

  it('gives the wall-clock time in a zone, following daylight saving', () => {
    expect(localDateTimeAt(new Date('2025-03-10T08:15:00Z'), 'Europe/London')).toBe('2025-03-10T08:15');
    // Clocks go forward at 01:00 UTC on 2025-03-30 in London.
    expect(localDateTimeAt(new Date('2025-03-30T00:59:00Z'), 'Europe/London')).toBe('2025-03-30T00:59');
    expect(localDateTimeAt(new Date('2025-03-30T01:00:00Z'), 'Europe/London')).toBe('2025-03-30T02:00');
    expect(localDateTimeAt(new Date('2025-07-01T23:30:00Z'), 'Europe/London')).toBe('2025-07-02T00:30');
    expect(localDateTimeAt(new Date('2025-03-10T03:00:00Z'), 'America/New_York')).toBe('2025-03-09T23:00');
    expect(() => assertTimeZone('Mars/Olympus_Mons')).toThrow('unknown time zone "Mars/Olympus_Mons"');
  });
});

describe('spoken dates and times', () => {
  it('says times in 12-hour form with noon and midnight', () => {
    expect(['09:00', '09:05', '12:00', '12:30', '13:00', '00:00', '24:00', '00:30', '23:59'].map(spokenTime)).toEqual([
      '9 am', '9:05 am', 'noon', '12:30 pm', '1 pm', 'midnight', 'midnight', '12:30 am', '11:59 pm',
    ]);
  });

  it('says dates with weekday and ordinal day', () => {
    expect([1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 31, 101, 111].map(ordinal)).toEqual([
      '1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '23rd', '31st', '101st', '111th',
    ]);
    expect(spokenDate('2025-03-10')).toBe('Monday March 10th');
    expect(spokenDate('2026-01-01')).toBe('Thursday January 1st');
    expect(spokenList(['a'])).toBe('a');
    expect(spokenList(['a', 'b'])).toBe('a and b');
    expect(spokenList(['a', 'b', 'c'], 'or')).toBe('a, b or c');
  });
});

describe('matching a caller to a booking', () => {
  it('matches names by the words said, ignoring case and accents', () => {
    expect(nameMatches('Ada Lovelace', 'lovelace')).toBe(true);
    expect(nameMatches('Ada Lovelace', '  ADA   lovelace ')).toBe(true);
    expect(nameMatches('Zoë Ó Briain', 'zoe o briain')).toBe(true);
    expect(nameMatches("Sean O'Neill", 'oneill')).toBe(true);
    expect(nameMatches('Ada Lovelace', 'love')).toBe(false);
    expect(nameMatches('Ada Lovelace', 'Ada Byron')).toBe(false);
    expect(nameMatches('Ada Lovelace', '  ')).toBe(false);
  });

  it('matches phone numbers in national or international form', () => {
    expect(phoneMatches('07700 900123', '+44 7700 900123')).toBe(true);
    expect(phoneMatches('+44 (0)7700-900123', '07700900123')).toBe(true);
    expect(phoneMatches('07700 900123', '07700 900124')).toBe(false);
    expect(phoneMatches('07700 900123', '900123')).toBe(false); // too short to identify anyone
    expect(phoneMatches(null, '07700 900123')).toBe(false);
  });
});
