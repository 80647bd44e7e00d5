// What to offer when the requested time is not possible: the free times nearest to it that day,
// else the first free time on a later day; and a day's free times condensed into windows so they
// can be said in one breath ("from 9 am to noon and from 2 pm to 5 pm").
import type { AppointmentStore } from './appointment-store.js';
import { addDays, addMinutes, minutesOf, type LocalDate, type LocalDateTime, type LocalTime } from './local-time.js';

export type FreeSlot = { date: LocalDate; time: LocalTime; startsAt: LocalDateTime };

export function slotOf(startsAt: LocalDateTime): FreeSlot {
  return { date: startsAt.slice(0, 10), time: startsAt.slice(11, 16), startsAt };
}

/** Up to `count` free start times on `date` closest to `time`, returned in time order. */
export function nearestSlots(store: AppointmentStore, date: LocalDate, time: LocalTime, durationMin: number, count = 3): FreeSlot[] {
  const wanted = minutesOf(time);
  return store
    .availableSlots(date, { durationMin })
    .map(slotOf)
    .sort((a, b) => Math.abs(minutesOf(a.time) - wanted) - Math.abs(minutesOf(b.time) - wanted) || a.time.localeCompare(b.time))
    .slice(0, count)
    .sort((a, b) => a.time.localeCompare(b.time));
}

/** The first free start time on or after `fromDate` (never in the past), looking `maxDays` ahead. */
export function nextFreeSlot(store: AppointmentStore, fromDate: LocalDate, durationMin: number, maxDays = 28): FreeSlot | undefined {
  const today = store.today();
  let date = fromDate < today ? today : fromDate;
  for (let i = 0; i < maxDays; i++, date = addDays(date, 1)) {
    const first = store.availableSlots(date, { durationMin })[0];
    if (first) return slotOf(first);
  }
  return undefined;
}

export type FreeWindow = { from: LocalTime; to: LocalTime };

/**
 * Groups start times that follow each other every `slotMin` into windows running from the first
 * start to the end of an appointment at the last one.
 */
export function freeWindows(startTimes: readonly LocalDateTime[], slotMin: number, durationMin: number): FreeWindow[] {
  const windows: { first: LocalDateTime; last: LocalDateTime }[] = [];
  for (const start of startTimes) {
    const current = windows[windows.length - 1];
    if (current && addMinutes(current.last, slotMin) === start) current.last = start;
    else windows.push({ first: start, last: start });
  }
  return windows.map((w) => ({ from: w.first.slice(11, 16), to: addMinutes(w.last, durationMin).slice(11, 16) }));
}
