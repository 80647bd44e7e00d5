// Fake receptionist tools for flow tests: an in-memory diary whose results have the shape of the
// real appointment tools (`{ ok, ..., error?, say }` JSON strings), registered in a real ToolRegistry.
import { z } from 'zod';
import { ToolRegistry } from '../../../src/tools/tool-registry.js';

export type FakeAppointment = { id: number; name: string; date: string; time: string; phone?: string; status: 'booked' | 'cancelled' };

export class FakeDesk {
  readonly appointments: FakeAppointment[] = [];
  /** 'YYYY-MM-DDTHH:MM' slots that are taken by someone else. */
  readonly taken = new Set<string>();
  readonly calls: { name: string; args: Record<string, unknown> }[] = [];
  private nextId = 7;
  /** When set, every tool answers with the real tools' system_error reply. */
  broken = false;

  add(a: Omit<FakeAppointment, 'id' | 'status'>): FakeAppointment {
    const appointment: FakeAppointment = { ...a, id: this.nextId++, status: 'booked' };
    this.appointments.push(appointment);
    return appointment;
  }

  registry(): ToolRegistry {
    const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
    const time = z.string().regex(/^\d{2}:\d{2}$/);
    const reg = new ToolRegistry();
    const tool = <A extends Record<string, unknown>>(name: string, schema: z.ZodType<A>, run: (args: A) => object) =>
      reg.register({
        name,
        description: name,
        schema,
        run: async (args: A) => {
          this.calls.push({ name, args });
          if (this.broken) return JSON.stringify({ ok: false, error: 'system_error', say: "Sorry, I can't reach the appointment book just now." });
          return JSON.stringify(run(args));
        },
      });
    tool('check_availability', z.object({ date, time: time.optional() }).strict(), ({ date, time }) => {
      if (time && this.isTaken(date, time)) {
        const slots = ['16:00', '17:00'].filter((t) => !this.isTaken(date, t));
        return { ok: false, available: false, date, time, error: 'slot_taken', slots, say: `Sorry, ${time} is taken. I have ${slots.join(' or ')}.` };
      }
      return { ok: true, available: true, date, time, say: `Yes, ${date} at ${time} is free.` };
    });
    tool('book_appointment', z.object({ name: z.string(), date, time, phone: z.string().optional() }).strict(), ({ name, date, time, phone }) => {
      if (this.isTaken(date, time)) return { ok: false, error: 'slot_taken', date, time, slots: ['16:00'], say: `Sorry, ${time} was just taken. I have 16:00.` };
      const a = this.add({ name, date, time, phone });
      return { ok: true, appointment: { id: a.id, name, date, time, status: 'booked' }, say: `You're booked in for ${date} at ${time}, ${name}. Your booking number is ${a.id}.` };
    });
    tool('find_appointment', z.object({ name: z.string().optional(), phone: z.string().optional() }).strict(), ({ name }) => {
      const found = this.appointments.filter((a) => a.status === 'booked' && name && a.name.toLowerCase().includes(name.toLowerCase()));
      if (found.length === 0) return { ok: false, error: 'not_found', appointments: [], say: `Sorry, I couldn't find an upcoming appointment under ${name}.` };
      const a = found[0];
      return { ok: true, appointments: found, say: `I found your appointment on ${a.date} at ${a.time}, booking number ${a.id}.` };
    });
    tool('move_appointment', z.object({ id: z.number().int(), date, time }).strict(), ({ id, date, time }) => {
      const a = this.appointments.find((x) => x.id === id && x.status === 'booked');
      if (!a) return { ok: false, error: 'not_found', id, say: `Sorry, I couldn't find booking number ${id}.` };
      if (this.isTaken(date, time)) return { ok: false, error: 'slot_taken', id, date, time, slots: ['16:00'], say: `Sorry, ${time} is taken. I have 16:00.` };
      Object.assign(a, { date, time });
      return { ok: true, appointment: a, say: `Done. Your appointment is moved to ${date} at ${time}.` };
    });
    tool('cancel_appointment', z.object({ id: z.number().int() }).strict(), ({ id }) => {
      const a = this.appointments.find((x) => x.id === id && x.status === 'booked');
      if (!a) return { ok: false, error: 'not_found', id, say: `Sorry, I couldn't find booking number ${id}.` };
      a.status = 'cancelled';
      return { ok: true, appointment: a, say: `Your appointment on ${a.date} is cancelled.` };
    });
    tool('opening_hours', z.object({ date: date.optional() }).strict(), ({ date }) =>
      date
        ? { ok: true, date, open: date !== '2025-03-16', say: date === '2025-03-16' ? `On ${date} we are closed.` : `On ${date} we are open from 9 am to 5 pm.` }
        : { ok: true, say: 'We are open Monday to Friday from 9 am to 5 pm, and Saturday from 10 am to 1 pm.' },
    );
    return reg;
  }

  private isTaken(date: string, time: string): boolean {
    return this.taken.has(`${date}T${time}`) || this.appointments.some((a) => a.status === 'booked' && a.date === date && a.time === time);
  }
}

export const DESK_TOOLS = ['check_availability', 'book_appointment', 'find_appointment', 'move_appointment', 'cancel_appointment', 'opening_hours'];
