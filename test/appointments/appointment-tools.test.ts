import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppointmentStore } from '../../src/appointments/appointment-store.js';
import { registerAppointmentTools } from '../../src/appointments/appointment-tools.js';
import { ToolRegistry, type ToolContext } from '../../src/tools/tool-registry.js';

// Monday 2025-03-10, 08:15 in London.
let now = new Date('2025-03-10T08:15:00Z');
let dir: string;
let store: AppointmentStore;
let registry: ToolRegistry;

const ctx = (callId = 'call-1'): ToolContext => ({ callId, turnId: 'turn-1', signal: new AbortController().signal });

type Result = { ok: boolean; say: string; error?: string; [key: string]: unknown };

/** Runs a tool through the registry and returns its parsed JSON result. */
async function call(name: string, args: unknown, callId?: string): Promise<Result> {
  const outcome = await registry.execute({ id: 'tc', name, arguments: typeof args === 'string' ? args : JSON.stringify(args) }, ctx(callId));
  expect(outcome.ok, outcome.content).toBe(true);
  const result = JSON.parse(outcome.content) as Result;
  expect(typeof result.say).toBe('string');
  return result;
}

/** Runs a call the registry must refuse before the tool runs; returns the error text. */
async function refused(name: string, args: unknown): Promise<string> {
  const outcome = await registry.execute({ id: 'tc', name, arguments: typeof args === 'string' ? args : JSON.stringify(args) }, ctx());
  expect(outcome.ok).toBe(false);
  return (JSON.parse(outcome.content) as { error: string }).error;
}

beforeEach(() => {
  now = new Date('2025-03-10T08:15:00Z');
  dir = mkdtempSync(join(tmpdir(), 'parley-appointment-tools-'));
  store = new AppointmentStore(join(dir, 'appointments.db'), { timeZone: 'Europe/London', now: () => now });
  registry = registerAppointmentTools(new ToolRegistry(), store);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('appointment tools', () => {
  it('registers six tools with JSON Schemas an LLM can call', () => {
    const specs = registry.specs();
    expect(specs.map((s) => s.name)).toEqual([
      'check_availability', 'book_appointment', 'find_appointment', 'move_appointment', 'cancel_appointment', 'opening_hours',
    ]);
    const book = specs[1].parameters as { properties: Record<string, { type: string; pattern?: string }>; required: string[] };
    expect(Object.keys(book.properties)).toEqual(['name', 'date', 'time', 'phone']);
    expect([...book.required].sort()).toEqual(['date', 'name', 'time']);
    expect(book.properties.date.pattern).toBe('^\\d{4}-\\d{2}-\\d{2}$');
    expect(specs[3].parameters).toMatchObject({ properties: { id: { type: 'integer', exclusiveMinimum: 0 } }, additionalProperties: false });
    expect(specs[0].description).toContain('Europe/London');
  });

  it('refuses bad arguments with an error naming each field, and books nothing', async () => {
    expect(await refused('book_appointment', { name: 'Ada', date: '10/03/2025', time: '3pm' })).toBe(
      'invalid arguments for book_appointment: date: expected a date as YYYY-MM-DD, e.g. "2025-03-10"; time: expected a 24-hour time as HH:MM, e.g. "14:30"',
    );
    expect(await refused('book_appointment', { name: '  ', date: '2025-02-30', time: '10:00' })).toBe(
      'invalid arguments for book_appointment: name: a name is required; date: not a real calendar date',
    );
    expect(await refused('book_appointment', { name: 'Ada', date: '2025-03-11', time: '10:00', phone: 'call me' })).toMatch(/phone: expected a phone number/);
    expect(await refused('book_appointment', { name: 'Ada', date: '2025-03-11', time: '10:00', room: 4 })).toMatch(/Unrecognized key.*room/);
    expect(await refused('move_appointment', { id: '3', date: '2025-03-11', time: '10:00' })).toMatch(/^invalid arguments for move_appointment: id: .*number/);
    expect(await refused('cancel_appointment', { id: -1 })).toMatch(/id: .*>0/);
    expect(await refused('find_appointment', {})).toBe('invalid arguments for find_appointment: (arguments): give a name or a phone number');
    expect(await refused('check_availability', '{"date": ')).toBe('arguments of check_availability are not valid JSON');
    expect(store.list()).toEqual([]);
  });

  it('answers whether a time is free, and books it with the call id', async () => {
    expect(await call('check_availability', { date: '2025-03-11', time: '10:00' })).toEqual({
      ok: true,
      available: true,
      date: '2025-03-11',
      time: '10:00',
      startsAt: '2025-03-11T10:00',
      say: 'Yes, tomorrow, Tuesday March 11th, at 10 am is free.',
    });
    const booked = await call('book_appointment', { name: 'Ada Lovelace', date: '2025-03-11', time: '10:00', phone: '07700 900123' }, 'call-42');
    expect(booked).toEqual({
      ok: true,
      appointment: {
        id: 1, name: 'Ada Lovelace', phone: '07700 900123', date: '2025-03-11', time: '10:00',
        startsAt: '2025-03-11T10:00', endsAt: '2025-03-11T10:30', durationMin: 30, status: 'booked',
      },
      say: "You're booked in for tomorrow, Tuesday March 11th, at 10 am, Ada Lovelace. Your booking number is 1.",
    });
    expect(store.get(1)?.callId).toBe('call-42');
  });

  it('offers the nearest free times when the asked time is taken', async () => {
    await call('book_appointment', { name: 'Ada', date: '2025-03-12', time: '10:00' });
    await call('book_appointment', { name: 'Bob', date: '2025-03-12', time: '10:30' });
    const check = await call('check_availability', { date: '2025-03-12', time: '10:00' });
    expect(check).toMatchObject({ ok: false, available: false, error: 'slot_taken', slots: ['09:00', '09:30', '11:00'] });
    expect(check.say).toBe('Sorry, Wednesday March 12th at 10 am is already taken. The nearest free times that day are 9 am, 9:30 am and 11 am.');

    const book = await call('book_appointment', { name: 'Cy', date: '2025-03-12', time: '10:30' });
    expect(book).toMatchObject({ ok: false, error: 'slot_taken', slots: ['09:30', '11:00', '11:30'] });
    expect(store.list()).toHaveLength(2);
  });

  it('explains closed days, outside hours and past times, pointing to a free time', async () => {
    const sunday = await call('check_availability', { date: '2025-03-16', time: '11:00' });
    expect(sunday).toMatchObject({ ok: false, error: 'closed', slots: [], nextFree: { date: '2025-03-17', time: '09:00' } });
    expect(sunday.say).toBe('Sorry, we are closed on Sunday March 16th. The next free time is Monday March 17th at 9 am.');

    const evening = await call('book_appointment', { name: 'Ada', date: '2025-03-11', time: '19:00' });
    expect(evening).toMatchObject({ ok: false, error: 'outside_hours', slots: ['15:30', '16:00', '16:30'] });
    expect(evening.say).toBe(
      'Sorry, 7 pm is outside our opening hours; tomorrow, Tuesday March 11th we are open from 9 am to 5 pm. The nearest free times that day are 3:30 pm, 4 pm and 4:30 pm.',
    );
    const late = await call('check_availability', { date: '2025-03-11', time: '16:45' });
    expect(late.say).toMatch(/^Sorry, an appointment at 4:45 pm would run past closing time/);

    const past = await call('check_availability', { date: '2025-03-10', time: '08:00' });
    expect(past).toMatchObject({ ok: false, error: 'in_the_past', slots: ['09:00', '09:30', '10:00'] });
    expect(past.say).toBe('Sorry, 8 am today has already passed. The nearest free times today are 9 am, 9:30 am and 10 am.');

    const lastWeek = await call('check_availability', { date: '2025-03-03' });
    expect(lastWeek).toMatchObject({ ok: false, error: 'in_the_past', nextFree: { date: '2025-03-10', time: '09:00' } });
    expect(lastWeek.say).toBe('Sorry, Monday March 3rd has already passed. The next free time is today at 9 am.');
    expect(store.list()).toEqual([]);
  });

  it('lists a day\'s free times as windows, and says when a day is full', async () => {
    await call('book_appointment', { name: 'Ada', date: '2025-03-15', time: '11:00' });
    const saturday = await call('check_availability', { date: '2025-03-15' });
    expect(saturday).toMatchObject({
      ok: true,
      available: true,
      slots: ['10:00', '10:30', '11:30', '12:00', '12:30', '13:00', '13:30'],
      windows: [{ from: '10:00', to: '11:00' }, { from: '11:30', to: '14:00' }],
    });
    expect(saturday.say).toBe('On Saturday March 15th we have free times from 10 am to 11 am and from 11:30 am to 2 pm.');

    for (const time of ['10:00', '10:30', '11:30', '12:00', '12:30', '13:00']) {
      expect((await call('book_appointment', { name: 'Filler', date: '2025-03-15', time })).ok).toBe(true);
    }
    expect((await call('check_availability', { date: '2025-03-15' })).say).toBe('On Saturday March 15th we have free times at 1:30 pm.');
    await call('book_appointment', { name: 'Last', date: '2025-03-15', time: '13:30' });
    const full = await call('check_availability', { date: '2025-03-15' });
    expect(full).toMatchObject({ ok: false, available: false, error: 'fully_booked', nextFree: { date: '2025-03-17', time: '09:00' } });
    expect(full.say).toBe('Sorry, we are fully booked on Saturday March 15th. The next free time is Monday March 17th at 9 am.');
  });

  it('finds, moves and cancels a booking', async () => {
    await call('book_appointment', { name: 'Ada Lovelace', date: '2025-03-11', time: '10:00', phone: '+44 7700 900123' });
    await call('book_appointment', { name: 'Ada Lovelace', date: '2025-03-13', time: '15:30', phone: '+44 7700 900123' });

    const byPhone = await call('find_appointment', { phone: '07700 900123' });
    expect(byPhone).toMatchObject({ ok: true, appointments: [{ id: 1 }, { id: 2 }] });
    expect(byPhone.say).toBe(
      'I found 2 upcoming appointments for that number: number 1, tomorrow, Tuesday March 11th, at 10 am and number 2, Thursday March 13th at 3:30 pm.',
    );
    const none = await call('find_appointment', { name: 'Babbage' });
    expect(none).toEqual({ ok: false, error: 'not_found', appointments: [], say: "Sorry, I couldn't find an upcoming appointment under Babbage." });

    const moved = await call('move_appointment', { id: 1, date: '2025-03-12', time: '14:00' });
    expect(moved).toMatchObject({ ok: true, appointment: { id: 1, date: '2025-03-12', time: '14:00' }, previous: { date: '2025-03-11', time: '10:00' } });
    expect(moved.say).toBe('Done. Your appointment from tomorrow, Tuesday March 11th, at 10 am is moved to Wednesday March 12th at 2 pm.');
    expect(store.get(1)?.startsAt).toBe('2025-03-12T14:00');

    const clash = await call('move_appointment', { id: 1, date: '2025-03-13', time: '15:30' });
    expect(clash).toMatchObject({ ok: false, error: 'slot_taken', id: 1, slots: ['14:30', '15:00', '16:00'] });
    expect(clash.say).toBe('Sorry, Thursday March 13th at 3:30 pm is already taken. The nearest free times that day are 2:30 pm, 3 pm and 4 pm.');
    expect(store.get(1)?.startsAt).toBe('2025-03-12T14:00');

    const single = await call('find_appointment', { name: 'lovelace', phone: '07700900123' });
    expect(single.say).toMatch(/^I found 2 upcoming appointments under lovelace/);

    const cancelled = await call('cancel_appointment', { id: 2 });
    expect(cancelled).toMatchObject({ ok: true, appointment: { id: 2, status: 'cancelled' } });
    expect(cancelled.say).toBe('Your appointment on Thursday March 13th at 3:30 pm is cancelled.');
    expect((await call('find_appointment', { name: 'Ada' })).say).toBe('I found your appointment on Wednesday March 12th at 2 pm, booking number 1.');

    expect(await call('cancel_appointment', { id: 2 })).toEqual({ ok: false, error: 'not_booked', id: 2, say: 'Booking number 2 has already been cancelled.' });
    expect(await call('move_appointment', { id: 7, date: '2025-03-12', time: '09:00' })).toMatchObject({ ok: false, error: 'not_found', say: "Sorry, I couldn't find booking number 7." });

    now = new Date('2025-03-12T14:05:00Z');
    expect(await call('cancel_appointment', { id: 1 })).toMatchObject({
      ok: false,
      error: 'already_started',
      say: "Booking number 1 has already taken place, so I can't cancel it.",
    });
  });

  it('reads out the opening hours for the week or a date', async () => {
    const week = await call('opening_hours', {});
    expect(week).toMatchObject({
      ok: true,
      openNow: false,
      slotMin: 30,
      weekly: { mon: [{ open: '09:00', close: '17:00' }], sat: [{ open: '10:00', close: '14:00' }], sun: [] },
    });
    expect(week.say).toBe('We are open Monday to Friday from 9 am to 5 pm, Saturday from 10 am to 2 pm, and closed on Sunday.');

    now = new Date('2025-03-10T13:00:00Z');
    const open = await call('opening_hours', {});
    expect(open.openNow).toBe(true);
    expect(open.say).toMatch(/and closed on Sunday\. We are open now until 5 pm\.$/);

    expect(await call('opening_hours', { date: '2025-03-16' })).toEqual({ ok: true, date: '2025-03-16', open: false, ranges: [], say: 'On Sunday March 16th we are closed.' });
    expect((await call('opening_hours', { date: '2025-03-10' })).say).toBe('Today we are open from 9 am to 5 pm.');
    expect((await call('opening_hours', { date: '2025-03-11' })).say).toBe('Tomorrow, Tuesday March 11th we are open from 9 am to 5 pm.');
  });

  it('turns a failing database into a polite ok:false reply, not a crash', async () => {
    store.close();
    const result = await call('book_appointment', { name: 'Ada', date: '2025-03-11', time: '10:00' });
    expect(result).toMatchObject({ ok: false, error: 'system_error' });
    expect(result.say).toBe("Sorry, I can't reach the appointment book just now. Please try again in a moment.");
  });
});
