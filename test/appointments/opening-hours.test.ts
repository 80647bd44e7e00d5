import { describe, expect, it } from 'vitest';
import { DEFAULT_OPENING_HOURS, OpeningHours, OpeningHoursError } from '../../src/appointments/opening-hours.js';

// 2025-03-10 is a Monday.
describe('OpeningHours', () => {
  const hours = new OpeningHours(DEFAULT_OPENING_HOURS);

  it('describes the default week the way a receptionist says it', () => {
    expect(hours.describeHours()).toBe(
      'We are open Monday to Friday from 9 am to 5 pm, Saturday from 10 am to 2 pm, and closed on Sunday.',
    );
  });

  it('gives the ranges on a date by its weekday', () => {
    expect(hours.hoursOn('2025-03-10')).toEqual([{ open: '09:00', close: '17:00' }]);
    expect(hours.hoursOn('2025-03-15')).toEqual([{ open: '10:00', close: '14:00' }]);
    expect(hours.hoursOn('2025-03-16')).toEqual([]);
    expect(hours.slotMin).toBe(30);
  });

  it('is open from opening time up to, not including, closing time', () => {
    expect(hours.isOpen('2025-03-10T08:59')).toBe(false);
    expect(hours.isOpen('2025-03-10T09:00')).toBe(true);
    expect(hours.isOpen('2025-03-10T16:59')).toBe(true);
    expect(hours.isOpen('2025-03-10T17:00')).toBe(false);
    expect(hours.isOpen('2025-03-16T12:00')).toBe(false);
    expect(hours.isOpen('2025-03-15T13:00')).toBe(true);
  });

  it('with a duration, requires the whole appointment to end by closing time', () => {
    expect(hours.isOpen('2025-03-10T16:30', 30)).toBe(true);
    expect(hours.isOpen('2025-03-10T16:45', 30)).toBe(false);
    expect(hours.isOpen('2025-03-15T13:00', 60)).toBe(true);
    expect(hours.isOpen('2025-03-15T13:00', 61)).toBe(false);
  });

  it('describes one day, open or closed', () => {
    expect(hours.describeDay('2025-03-10')).toBe('On Monday March 10th we are open from 9 am to 5 pm.');
    expect(hours.describeDay('2025-03-16')).toBe('We are closed on Sunday March 16th.');
    expect(hours.describeDay('2025-03-01')).toBe('On Saturday March 1st we are open from 10 am to 2 pm.');
  });

  it('accepts YAML-friendly shorthands, lunch breaks and closed dates', () => {
    const h = new OpeningHours({
      slotMin: 15,
      mon: '08:30-12:00',
      tue: [{ open: '13:00', close: '18:00' }, '08:30 - 12:00'],
      wed: null,
      thu: 'closed',
      fri: { open: '08:30', close: '12:00' },
      closedDates: ['2025-03-14'],
    });
    expect(h.slotMin).toBe(15);
    expect(h.hoursOn('2025-03-11')).toEqual([
      { open: '08:30', close: '12:00' },
      { open: '13:00', close: '18:00' },
    ]);
    expect(h.isOpen('2025-03-11T12:30')).toBe(false);
    expect(h.isOpen('2025-03-11T11:45', 30)).toBe(false);
    expect(h.hoursOn('2025-03-14')).toEqual([]); // a Friday, but a closed date
    expect(h.hoursOn('2025-03-21')).toEqual([{ open: '08:30', close: '12:00' }]);
    expect(h.describeDay('2025-03-11')).toBe('On Tuesday March 11th we are open from 8:30 am to noon and from 1 pm to 6 pm.');
    expect(h.describeDay('2025-03-14')).toBe('We are closed on Friday March 14th.');
    expect(h.describeHours()).toBe(
      'We are open Monday from 8:30 am to noon, Tuesday from 8:30 am to noon and from 1 pm to 6 pm, ' +
        'Friday from 8:30 am to noon, and closed on Wednesday, Thursday, Saturday and Sunday.',
    );
  });

  it('says "every day", weekend runs and runs to midnight naturally', () => {
    const daily = { open: '07:00', close: '24:00' };
    expect(
      new OpeningHours({ mon: daily, tue: daily, wed: daily, thu: daily, fri: daily, sat: daily, sun: daily }).describeHours(),
    ).toBe('We are open every day from 7 am to midnight.');
    const weekdays = { open: '09:00', close: '17:30' };
    expect(new OpeningHours({ mon: weekdays, tue: weekdays, wed: weekdays, thu: weekdays, fri: weekdays }).describeHours()).toBe(
      'We are open Monday to Friday from 9 am to 5:30 pm, and closed on Saturday and Sunday.',
    );
    expect(new OpeningHours({ sat: '10:00-16:00', sun: '10:00-16:00' }).describeHours()).toBe(
      'We are open Saturday and Sunday from 10 am to 4 pm, and closed on Monday to Friday.',
    );
    expect(new OpeningHours({}).describeHours()).toBe('We are closed every day.');
  });

  it('refuses a bad configuration, naming the field', () => {
    const bad = (input: unknown) => () => new OpeningHours(input as never);
    expect(bad({ mon: { open: '17:00', close: '09:00' } })).toThrow(/mon.*open must be before close/);
    expect(bad({ tue: { open: '9am', close: '17:00' } })).toThrow(OpeningHoursError);
    expect(bad({ tue: { open: '9am', close: '17:00' } })).toThrow(/tue/);
    expect(bad({ wed: ['09:00-13:00', '12:00-17:00'] })).toThrow(/wed: opening ranges on one day must not overlap/);
    expect(bad({ monday: '09:00-17:00' })).toThrow(/monday/);
    expect(bad({ slotMin: 0 })).toThrow(/slotMin/);
    expect(bad({ closedDates: ['2025-02-30'] })).toThrow(/closedDates\.0: expected a date/);
  });

  it('refuses a malformed date-time rather than guessing', () => {
    expect(() => hours.isOpen('2025-03-10 9:00')).toThrow(OpeningHoursError);
    expect(() => hours.isOpen('2025-03-10T09:00Z')).toThrow(/not a local date-time/);
    expect(() => hours.hoursOn('10/03/2025')).toThrow(/not a date/);
  });
});
