// The receptionist's tools, for LLM function calling and for flow-node actions alike.
//
// Every result is a JSON string `{ ok, ...facts, say }`: `ok` false means the request could not be
// met (taken, closed, past, not found…) with an `error` code a flow can branch on, and `say` is a
// sentence to speak to the caller either way. Arguments are checked by the registry's zod
// validation before `run`; business refusals never throw.
import { z } from 'zod';
import type { Tool, ToolContext, ToolRegistry } from '../tools/tool-registry.js';
import { isAppointmentError } from './appointment-error.js';
import {
  dayLead,
  explainUnavailable,
  freeDaySentence,
  spokenAppointment,
  spokenWhen,
  type Unavailable,
} from './appointment-replies.js';
import type { Appointment, AppointmentStore } from './appointment-store.js';
import { WEEKDAYS, isLocalDate, joinLocal, minutesOf, type LocalDate, type LocalTime } from './local-time.js';
import { spokenRanges } from './opening-hours.js';
import { freeWindows } from './slot-suggestions.js';
import { spokenList, spokenTime } from './spoken-time.js';

const DATE_SHAPE = /^\d{4}-\d{2}-\d{2}$/;
const dateArg = z
  .string()
  .regex(DATE_SHAPE, 'expected a date as YYYY-MM-DD, e.g. "2025-03-10"')
  // Only a well-shaped date can be an impossible one (2025-02-30); one complaint per field.
  .refine((v) => !DATE_SHAPE.test(v) || isLocalDate(v), 'not a real calendar date')
  .describe('Date as YYYY-MM-DD in the business time zone');
const timeArg = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a 24-hour time as HH:MM, e.g. "14:30"')
  .describe('Time as HH:MM (24-hour) in the business time zone');
const nameArg = z.string().trim().min(1, 'a name is required').max(100).describe("The caller's name");
const phoneArg = z
  .string()
  .trim()
  .regex(/^\+?[\d\s().-]{6,24}$/, 'expected a phone number of digits, e.g. "+44 7700 900123"')
  .describe("The caller's phone number");
const idArg = z.number().int().positive().describe('Booking number (appointment id)');

export const CheckAvailabilityArgs = z.object({ date: dateArg, time: timeArg.optional() }).strict();
export const BookAppointmentArgs = z.object({ name: nameArg, date: dateArg, time: timeArg, phone: phoneArg.optional() }).strict();
export const FindAppointmentArgs = z
  .object({ name: nameArg.optional(), phone: phoneArg.optional() })
  .strict()
  .refine((a) => a.name !== undefined || a.phone !== undefined, 'give a name or a phone number');
export const MoveAppointmentArgs = z.object({ id: idArg, date: dateArg, time: timeArg }).strict();
export const CancelAppointmentArgs = z.object({ id: idArg }).strict();
export const OpeningHoursArgs = z.object({ date: dateArg.optional() }).strict();

/** An appointment as tools report it. */
export type AppointmentView = {
  id: number;
  name: string;
  phone: string | null;
  date: LocalDate;
  time: LocalTime;
  startsAt: string;
  endsAt: string;
  durationMin: number;
  status: Appointment['status'];
};

export function appointmentView(a: Appointment): AppointmentView {
  return {
    id: a.id,
    name: a.name,
    phone: a.phone,
    date: a.startsAt.slice(0, 10),
    time: a.startsAt.slice(11, 16),
    startsAt: a.startsAt,
    endsAt: a.endsAt,
    durationMin: a.durationMin,
    status: a.status,
  };
}

type Reply = { ok: boolean; say: string } & Record<string, unknown>;

/** Business refusals become replies; anything unexpected (database gone) becomes a polite one. */
function guarded(run: () => Reply): string {
  let reply: Reply;
  try {
    reply = run();
  } catch (err) {
    reply = {
      ok: false,
      error: 'system_error',
      detail: err instanceof Error ? err.message : String(err),
      say: "Sorry, I can't reach the appointment book just now. Please try again in a moment.",
    };
  }
  return JSON.stringify(reply);
}

const REASON_OF = { slot_taken: 'taken', outside_hours: 'closed', in_the_past: 'past' } as const;

function refusedTime(store: AppointmentStore, date: LocalDate, time: LocalTime, durationMin: number, err: unknown): Reply | undefined {
  if (!isAppointmentError(err)) return undefined;
  const reason = REASON_OF[err.code as keyof typeof REASON_OF];
  if (!reason) return undefined;
  return { ok: false, date, time, ...flatten(explainUnavailable(store, date, time, durationMin, reason)) };
}

function refusedExisting(id: number, err: unknown, verb: 'move' | 'cancel'): Reply | undefined {
  if (!isAppointmentError(err)) return undefined;
  switch (err.code) {
    case 'not_found':
      return { ok: false, error: 'not_found', id, say: `Sorry, I couldn't find booking number ${id}.` };
    case 'not_booked':
      return { ok: false, error: 'not_booked', id, say: `Booking number ${id} has already been cancelled.` };
    case 'already_started':
      return { ok: false, error: 'already_started', id, say: `Booking number ${id} has already taken place, so I can't ${verb} it.` };
    default:
      return undefined;
  }
}

export function checkAvailabilityTool(store: AppointmentStore): Tool<z.infer<typeof CheckAvailabilityArgs>> {
  return {
    name: 'check_availability',
    description:
      `Checks whether an appointment time is free (times are local to ${store.timeZone}). With a time: whether it is free, ` +
      'else the nearest free times that day. Without a time: the free times that day.',
    schema: CheckAvailabilityArgs,
    async run({ date, time }) {
      return guarded(() => {
        const durationMin = store.openingHours.slotMin;
        if (time === undefined) {
          if (date < store.today()) return { ok: false, available: false, date, ...flatten(explainUnavailable(store, date, undefined, durationMin, 'past')) };
          const starts = store.availableSlots(date, { durationMin });
          if (starts.length > 0) {
            const times = starts.map((s) => s.slice(11, 16));
            const windows = freeWindows(starts, store.openingHours.slotMin, durationMin);
            return { ok: true, available: true, date, slots: times, windows, say: freeDaySentence(store, date, starts, durationMin) };
          }
          const reason = date === store.today() ? 'past' : 'full';
          return { ok: false, available: false, date, ...flatten(explainUnavailable(store, date, undefined, durationMin, reason)) };
        }
        const startsAt = joinLocal(date, time);
        const availability = store.checkAvailability(startsAt, durationMin);
        if (availability.available) {
          return { ok: true, available: true, date, time, startsAt, say: `Yes, ${spokenWhen(date, time, store.today())} is free.` };
        }
        const u = explainUnavailable(store, date, time, durationMin, availability.reason);
        return { ok: false, available: false, date, time, ...flatten(u) };
      });
    },
  };
}

export function bookAppointmentTool(store: AppointmentStore): Tool<z.infer<typeof BookAppointmentArgs>> {
  return {
    name: 'book_appointment',
    description: `Books an appointment for the caller at a date and time (local to ${store.timeZone}). Returns the booking number.`,
    schema: BookAppointmentArgs,
    async run({ name, date, time, phone }, ctx: ToolContext) {
      return guarded(() => {
        const durationMin = store.openingHours.slotMin;
        try {
          const a = store.book({ name, phone, startsAt: joinLocal(date, time), durationMin, callId: ctx.callId });
          return {
            ok: true,
            appointment: appointmentView(a),
            say: `You're booked in for ${spokenAppointment(a, store.today())}, ${a.name}. Your booking number is ${a.id}.`,
          };
        } catch (err) {
          const refused = refusedTime(store, date, time, durationMin, err);
          if (refused) return refused;
          throw err;
        }
      });
    },
  };
}

export function findAppointmentTool(store: AppointmentStore): Tool<z.infer<typeof FindAppointmentArgs>> {
  return {
    name: 'find_appointment',
    description: "Finds the caller's upcoming appointments by name (a surname is enough) and/or phone number.",
    schema: FindAppointmentArgs,
    async run({ name, phone }) {
      return guarded(() => {
        const found = store.find({ name, phone });
        const under = name ? ` under ${name}` : ' for that number';
        if (found.length === 0) {
          return { ok: false, error: 'not_found', appointments: [], say: `Sorry, I couldn't find an upcoming appointment${under}.` };
        }
        const today = store.today();
        const say =
          found.length === 1
            ? `I found your appointment ${onOrToday(found[0], today)}, booking number ${found[0].id}.`
            : `I found ${found.length} upcoming appointments${under}: ${spokenList(found.map((a) => `number ${a.id}, ${spokenAppointment(a, today)}`))}.`;
        return { ok: true, appointments: found.map(appointmentView), say };
      });
    },
  };
}

export function moveAppointmentTool(store: AppointmentStore): Tool<z.infer<typeof MoveAppointmentArgs>> {
  return {
    name: 'move_appointment',
    description: `Moves an existing appointment (by booking number) to a new date and time (local to ${store.timeZone}).`,
    schema: MoveAppointmentArgs,
    async run({ id, date, time }) {
      return guarded(() => {
        const before = store.get(id);
        try {
          const a = store.move(id, joinLocal(date, time));
          const today = store.today();
          const from = before ? ` from ${spokenAppointment(before, today)}` : '';
          return {
            ok: true,
            appointment: appointmentView(a),
            previous: before ? { date: before.startsAt.slice(0, 10), time: before.startsAt.slice(11, 16) } : null,
            say: `Done. Your appointment${from} is moved to ${spokenAppointment(a, today)}.`,
          };
        } catch (err) {
          const refused = refusedExisting(id, err, 'move') ?? refusedTime(store, date, time, before?.durationMin ?? store.openingHours.slotMin, err);
          if (refused) return { ...refused, id };
          throw err;
        }
      });
    },
  };
}

export function cancelAppointmentTool(store: AppointmentStore): Tool<z.infer<typeof CancelAppointmentArgs>> {
  return {
    name: 'cancel_appointment',
    description: 'Cancels an existing appointment by booking number.',
    schema: CancelAppointmentArgs,
    async run({ id }) {
      return guarded(() => {
        try {
          const a = store.cancel(id);
          return {
            ok: true,
            appointment: appointmentView(a),
            say: `Your appointment ${onOrToday(a, store.today())} is cancelled.`,
          };
        } catch (err) {
          const refused = refusedExisting(id, err, 'cancel');
          if (refused) return refused;
          throw err;
        }
      });
    },
  };
}

export function openingHoursTool(store: AppointmentStore): Tool<z.infer<typeof OpeningHoursArgs>> {
  return {
    name: 'opening_hours',
    description: 'The opening hours: for the week, or for one date (closures such as bank holidays included).',
    schema: OpeningHoursArgs,
    async run({ date }) {
      return guarded(() => {
        const hours = store.openingHours;
        const now = store.localNow();
        const today = now.slice(0, 10);
        if (date !== undefined) {
          const ranges = hours.hoursOn(date);
          const lead = dayLead(date, today).replace(/,$/, '');
          const say = ranges.length === 0 ? `${lead} we are closed.` : `${lead} we are open ${spokenRanges(ranges)}.`;
          return { ok: true, date, open: ranges.length > 0, ranges, say };
        }
        const current = hours.hoursOn(today).find((r) => minutesOf(now.slice(11, 16)) >= minutesOf(r.open) && minutesOf(now.slice(11, 16)) < minutesOf(r.close));
        const weekly = Object.fromEntries(WEEKDAYS.map((d) => [d, hours.weekly(d)]));
        const say = hours.describeHours() + (current ? ` We are open now until ${spokenTime(current.close)}.` : '');
        return { ok: true, weekly, closedDates: hours.config.closedDates, openNow: current !== undefined, slotMin: hours.slotMin, say };
      });
    },
  };
}

/** The six receptionist tools, by name. */
export function appointmentTools(store: AppointmentStore) {
  return {
    check_availability: checkAvailabilityTool(store),
    book_appointment: bookAppointmentTool(store),
    find_appointment: findAppointmentTool(store),
    move_appointment: moveAppointmentTool(store),
    cancel_appointment: cancelAppointmentTool(store),
    opening_hours: openingHoursTool(store),
  };
}

export function registerAppointmentTools(registry: ToolRegistry, store: AppointmentStore): ToolRegistry {
  const tools = appointmentTools(store);
  return registry
    .register(tools.check_availability)
    .register(tools.book_appointment)
    .register(tools.find_appointment)
    .register(tools.move_appointment)
    .register(tools.cancel_appointment)
    .register(tools.opening_hours);
}

/** Unavailable with slot objects flattened to 'HH:MM' strings for the JSON result. */
function flatten(u: Unavailable): Omit<Unavailable, 'slots'> & { slots: string[] } {
  return { ...u, slots: u.slots.map((s) => s.time) };
}

function onOrToday(a: Appointment, today: LocalDate): string {
  const when = spokenAppointment(a, today);
  return when.startsWith('today') || when.startsWith('tomorrow') ? when : `on ${when}`;
}
