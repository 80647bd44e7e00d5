import { describe, expect, it } from 'vitest';
import { extractDate, findDates, tokenize } from '../../../src/flows/index.js';

// Monday 10 March 2025, 10:00 in London (UTC+0 until the end of March).
const ctx = { now: Date.UTC(2025, 2, 10, 10, 0), timeZone: 'Europe/London', locale: 'en-US' };
const friday = { ...ctx, now: Date.UTC(2025, 2, 14, 10, 0) };

describe('extractDate', () => {
  it.each([
    ['today', '2025-03-10'],
    ['tomorrow', '2025-03-11'],
    ['tomorrow please', '2025-03-11'],
    ['can i come in tomorrow morning', '2025-03-11'],
    ['the day after tomorrow', '2025-03-12'],
    ['day after tomorrow', '2025-03-12'],
    ['in three days', '2025-03-13'],
    ['in 2 weeks', '2025-03-24'],
    ['a week from today', '2025-03-17'],
    ['on wednesday', '2025-03-12'],
    ['Wednesday', '2025-03-12'],
    ['monday', '2025-03-17'],
    ['this monday', '2025-03-10'],
    ['this wednesday', '2025-03-12'],
    ['next tuesday', '2025-03-18'],
    ['next monday', '2025-03-17'],
    ['tuesday next week', '2025-03-18'],
    ['this coming friday', '2025-03-14'],
    ['wensday', '2025-03-12'],
    ['thurday', '2025-03-13'],
    ['the 5th', '2025-04-05'],
    ['the fifth', '2025-04-05'],
    ['on the twentieth', '2025-03-20'],
    ['the twenty first', '2025-03-21'],
    ['the twenty-first', '2025-03-21'],
    ['15th', '2025-03-15'],
    ['March 5th', '2026-03-05'],
    ['march twentieth', '2025-03-20'],
    ['march the twentieth', '2025-03-20'],
    ['april 2', '2025-04-02'],
    ['the fifth of april', '2025-04-05'],
    ['5th of April', '2025-04-05'],
    ['12 april', '2025-04-12'],
    ['April 5th 2026', '2026-04-05'],
    ['april fifth twenty twenty six', '2026-04-05'],
    ['5/3', '2025-05-03'],
    ['4/3/2025', '2025-04-03'],
    ['2025-04-01', '2025-04-01'],
    ['may the fourth', '2025-05-04'],
    ['i would like to book for friday at 3 pm', '2025-03-14'],
    ['tuesday no wait wednesday', '2025-03-12'],
  ])('%s → %s', (text, expected) => {
    expect(extractDate(text, ctx)).toBe(expected);
  });

  it('reads numeric dates in the business locale', () => {
    expect(extractDate('5/3', { ...ctx, locale: 'en-GB' })).toBe('2026-03-05');
    expect(extractDate('15/4', { ...ctx, locale: 'en-GB' })).toBe('2025-04-15');
    expect(extractDate('15/4', ctx)).toBeNull(); // no 15th month in the US reading
  });

  it('counts weekdays from the reference day', () => {
    expect(extractDate('friday', friday)).toBe('2025-03-21');
    expect(extractDate('this friday', friday)).toBe('2025-03-14');
    expect(extractDate('next tuesday', friday)).toBe('2025-03-18');
    expect(extractDate('next friday', friday)).toBe('2025-03-21');
  });

  it('counts "today" in the business time zone, not UTC', () => {
    const lateUtc = { now: Date.UTC(2025, 2, 10, 23, 30), timeZone: 'Asia/Tokyo' };
    expect(extractDate('today', lateUtc)).toBe('2025-03-11');
    expect(extractDate('tomorrow', { ...lateUtc, timeZone: 'America/New_York' })).toBe('2025-03-11');
  });

  it('rolls the 31st to a month that has one', () => {
    const april = { ...ctx, now: Date.UTC(2025, 3, 10, 10) };
    expect(extractDate('the 31st', april)).toBe('2025-05-31');
  });

  it.each(['may i book', 'i said it', 'three people', 'at 5', 'the second one', 'in march', 'february 30th', ''])('finds no date in "%s"', (text) => {
    expect(extractDate(text, ctx)).toBeNull();
  });

  it('reports token positions', () => {
    const tokens = tokenize('not tuesday but wednesday');
    expect(findDates(tokens, ctx).map((d) => [d.value, d.start])).toEqual([['2025-03-11', 1], ['2025-03-12', 3]]);
  });
});
