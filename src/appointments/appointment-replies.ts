// The sentences the receptionist speaks about appointments, built from facts. Each reply is one
// or two short sentences so a TTS engine can start speaking while the rest is synthesized.
import type { Appointment, AppointmentStore } from './appointment-store.js';
import { addDays, minutesOf, type LocalDate, type LocalTime } from './local-time.js';
import { spokenRanges } from './opening-hours.js';
import { freeWindows, nearestSlots, nextFreeSlot, type FreeSlot, type FreeWindow } from './slot-suggestions.js';
import { spokenDate, spokenList, spokenTime } from './spoken-time.js';

/** 'today at 10 am' | 'tomorrow, Tuesday March 11th, at 10 am' | 'Monday March 10th at 10 am' */
export function spokenWhen(date: LocalDate, time: LocalTime, today: LocalDate): string {
  const t = spokenTime(time);
  if (date === today) return `today at ${t}`;
  if (date === addDays(today, 1)) return `tomorrow, ${spokenDate(date)}, at ${t}`;
  return `${spokenDate(date)} at ${t}`;
}

/** 'today' | 'tomorrow, Tuesday March 11th' | 'on Monday March 10th' — after a verb. */
export function spokenOnDay(date: LocalDate, today: LocalDate): string {
  if (date === today) return 'today';
  if (date === addDays(today, 1)) return `tomorrow, ${spokenDate(date)}`;
  return `on ${spokenDate(date)}`;
}

/** 'Today' | 'Tomorrow, Tuesday March 11th,' | 'On Monday March 10th' — opening a sentence. */
export function dayLead(date: LocalDate, today: LocalDate): string {
  if (date === today) return 'Today';
  if (date === addDays(today, 1)) return `Tomorrow, ${spokenDate(date)},`;
  return `On ${spokenDate(date)}`;
}

export function spokenAppointment(a: Appointment, today: LocalDate): string {
  return spokenWhen(a.startsAt.slice(0, 10), a.startsAt.slice(11, 16), today);
}

/** 'from 9 am to noon, from 2 pm to 3 pm and at 4:30 pm' (a one-slot window is 'at'). */
export function spokenWindows(windows: readonly FreeWindow[], durationMin: number, max = 4): string {
  const parts = windows.slice(0, max).map((w) =>
    minutesOf(w.to) - minutesOf(w.from) === durationMin ? `at ${spokenTime(w.from)}` : `from ${spokenTime(w.from)} to ${spokenTime(w.to)}`,
  );
  if (windows.length > max) parts.push('later in the day');
  return spokenList(parts);
}

export type Unavailable = {
  error: 'slot_taken' | 'outside_hours' | 'closed' | 'in_the_past' | 'fully_booked';
  /** Nearest free start times on the requested day. */
  slots: FreeSlot[];
  /** When the requested day has none: the first free time after it. */
  nextFree?: FreeSlot;
  say: string;
};

/**
 * Why `time` on `date` cannot be booked, and what to offer instead. `time` undefined means the
 * caller asked about the whole day.
 */
export function explainUnavailable(
  store: AppointmentStore,
  date: LocalDate,
  time: LocalTime | undefined,
  durationMin: number,
  reason: 'taken' | 'closed' | 'past' | 'full',
): Unavailable {
  const today = store.today();
  const hours = store.openingHours.hoursOn(date);
  let error: Unavailable['error'];
  let lead: string;
  if (reason === 'past' && date < today) {
    error = 'in_the_past';
    lead = `Sorry, ${spokenDate(date)} has already passed.`;
  } else if (reason === 'past') {
    error = 'in_the_past';
    lead = time ? `Sorry, ${spokenTime(time)} today has already passed.` : 'Sorry, there are no free times left today.';
  } else if (hours.length === 0) {
    error = 'closed';
    lead = `Sorry, we are closed ${spokenOnDay(date, today)}.`;
  } else if (reason === 'closed' && time) {
    error = 'outside_hours';
    const on = lowerFirst(dayLead(date, today)).replace(/,$/, '');
    const why = store.openingHours.isOpen(`${date}T${time}`)
      ? `an appointment at ${spokenTime(time)} would run past closing time`
      : `${spokenTime(time)} is outside our opening hours`;
    lead = `Sorry, ${why}; ${on} we are open ${spokenRanges(hours)}.`;
  } else if (reason === 'taken' && time) {
    error = 'slot_taken';
    lead = `Sorry, ${spokenWhen(date, time, today)} is already taken.`;
  } else {
    error = 'fully_booked';
    lead = date === today ? 'Sorry, there are no free times left today.' : `Sorry, we are fully booked ${spokenOnDay(date, today)}.`;
  }

  const slots = time && date >= today && hours.length > 0 ? nearestSlots(store, date, time, durationMin) : [];
  if (slots.length > 0) {
    const that = date === today ? 'today' : 'that day';
    const offer =
      slots.length === 1
        ? `The nearest free time ${that} is ${spokenTime(slots[0].time)}.`
        : `The nearest free times ${that} are ${spokenList(slots.map((s) => spokenTime(s.time)))}.`;
    return { error, slots, say: `${lead} ${offer}` };
  }
  const nextFree = nextFreeSlot(store, date < today ? today : addDays(date, 1), durationMin);
  const offer = nextFree
    ? `The next free time is ${spokenWhen(nextFree.date, nextFree.time, today)}.`
    : "I can't see any free times in the next four weeks.";
  return { error, slots: [], ...(nextFree ? { nextFree } : {}), say: `${lead} ${offer}` };
}

export function freeDaySentence(store: AppointmentStore, date: LocalDate, slots: readonly string[], durationMin: number): string {
  const windows = freeWindows(slots, store.openingHours.slotMin, durationMin);
  return `${dayLead(date, store.today())} we have free times ${spokenWindows(windows, durationMin)}.`;
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
