import { describe, expect, it } from 'vitest';
import { extractTime } from '../../../src/flows/index.js';

describe('extractTime', () => {
  it.each([
    ['3 pm', '15:00'],
    ['3pm', '15:00'],
    ['3 p.m.', '15:00'],
    ['three pm', '15:00'],
    ['three p m', '15:00'],
    ['10 am', '10:00'],
    ['ten a m', '10:00'],
    ['12 am', '00:00'],
    ['12 pm', '12:00'],
    ['14:30', '14:30'],
    ['2:30', '14:30'],
    ['9:05am', '09:05'],
    ['2:30 pm', '14:30'],
    ['half past two', '14:30'],
    ['half past ten in the morning', '10:30'],
    ['quarter to four', '15:45'],
    ['a quarter past nine', '09:15'],
    ['ten past nine', '09:10'],
    ['twenty five to five', '16:35'],
    ['half two', '14:30'],
    ['noon', '12:00'],
    ['twelve noon', '12:00'],
    ['midday', '12:00'],
    ['midnight', '00:00'],
    ['at 3', '15:00'],
    ['at three', '15:00'],
    ['around eleven', '11:00'],
    ['at 9', '09:00'],
    ['at 7', '07:00'],
    ['at 6', '18:00'],
    ['three thirty', '15:30'],
    ['three thirty pm', '15:30'],
    ['two forty five', '14:45'],
    ['eleven oh five', '11:05'],
    ['eleven o five', '11:05'],
    ['fifteen hundred', '15:00'],
    ['fourteen thirty', '14:30'],
    ['three oclock', '15:00'],
    ["three o'clock", '15:00'],
    ['three o clock', '15:00'],
    ['nine in the morning', '09:00'],
    ['four in the afternoon', '16:00'],
    ['seven in the evening', '19:00'],
    ['8 at night', '20:00'],
    ['tomorrow at 3 pm please', '15:00'],
    ['march 5th at ten thirty', '10:30'],
    ['the fifth at 4', '16:00'],
    ['can i come in at eleven thirty tomorrow', '11:30'],
    ['this afternoon at 3', '15:00'],
    ['at 3 this afternoon', '15:00'],
    ['at 8 this morning', '08:00'],
    ['no i said four pm', '16:00'],
  ])('%s → %s', (text, expected) => {
    expect(extractTime(text)).toBe(expected);
  });

  it('takes a bare number only when a time was asked for', () => {
    expect(extractTime('three')).toBeNull();
    expect(extractTime('three', { expect: true })).toBe('15:00');
    expect(extractTime('um ten please', { expect: true })).toBe('10:00');
    expect(extractTime('1430', { expect: true })).toBe('14:30');
    expect(extractTime('4', { expect: true })).toBe('16:00');
  });

  it.each([
    'three people',
    'in three days',
    'march 5',
    'the 5th',
    'two to four',
    'five five five one two three four',
    'my name is john',
    'what time do you open',
    '',
  ])('finds no time in "%s"', (text) => {
    expect(extractTime(text)).toBeNull();
  });
});
