// A whole booking call on the offline stack, as a new user meets it after `npm start`: real
// flite speech streamed in real time over /ws/voice, pocketsphinx, the receptionist flow with the
// appointments tools on a real SQLite book, espeak-ng replies. Barge-in timing is part of the
// point, so this runs on the wall clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppointmentStore } from '../../src/appointments/appointment-store.js';
import { speak } from '../helpers/speech.js';
import { transcribeBack } from '../helpers/transcribe-back.js';
import { wordErrorRate } from '../helpers/wer.js';
import { OfflineCaller, receptionistSentences, startOfflineParley, type OfflineServer } from './offline-call.js';

let server: OfflineServer;

beforeAll(async () => {
  server = await startOfflineParley();
});

afterAll(async () => {
  await server?.close();
});

type FlowState = { node: string; slots: Record<string, string | number | boolean>; ended: boolean };

const weekday = (iso: string) => new Date(`${iso}T12:00:00Z`).getUTCDay();

describe('a booking call on the offline stack', () => {
  it('books over six caller turns, with a barge-in on the greeting and a spoken correction, then ends the call', async () => {
    const caller = await OfflineCaller.call(server.url);
    const flowState = (turnId: string): FlowState => caller.messagesSince(0, 'flow_state').find((m) => m.turn_id === turnId) as unknown as FlowState;
    try {
      // The greeting starts; the caller talks over it.
      const greetingAudio = await caller.next((m) => m.type === 'agent_audio_start', 0);
      await new Promise((r) => setTimeout(r, 1200));
      const book = await caller.turn(speak('I would like to book an appointment'));
      const greeting = caller.messagesSince(0, 'turn_complete').map((m) => m.turn as { turn_id: string; agent_text: string; heard_text: string; outcome: string })[0];
      expect(greeting.turn_id).toBe(greetingAudio.turn_id);
      expect(greeting.outcome).toBe('interrupted');
      expect(greeting.heard_text.length).toBeGreaterThan(0);
      expect(greeting.agent_text.startsWith(greeting.heard_text)).toBe(true);
      expect(greeting.heard_text.length).toBeLessThan(greeting.agent_text.length / 2);
      expect(caller.messagesSince(0, 'agent_audio_end').find((m) => m.turn_id === greeting.turn_id)).toMatchObject({ interrupted: true });

      // The reply to the barge-in: the booking branch.
      expect(book.turn?.agent_text).toMatch(/what day/i);
      expect(flowState(book.turn!.turn_id).node).toBe('book_date');
      // What the agent said is in its audio: pocketsphinx hears the reply's key words back.
      const heardBack = await transcribeBack(caller.audioSince(book.from), { phrases: receptionistSentences() });
      console.log(`agent said "${book.turn?.agent_text}", pocketsphinx heard "${heardBack}"`);
      expect(heardBack).toMatch(/\bwhat day\b/);
      expect(heardBack).toMatch(/\bcome in\b/);
      expect(heardBack).not.toMatch(/\bname\b/);

      const when = await caller.turn(speak('next Tuesday at ten in the morning'));
      const afterWhen = flowState(when.turn!.turn_id);
      expect(afterWhen.node).toBe('book_name');
      expect(weekday(String(afterWhen.slots.date))).toBe(2);
      expect(afterWhen.slots.time).toBe('10:00');
      expect(when.turn?.agent_text).toMatch(/name/i);

      const name = await caller.turn(speak('my name is John Smith'));
      expect(flowState(name.turn!.turn_id)).toMatchObject({ node: 'book_confirm', slots: { name: 'John Smith' } });
      expect(name.turn?.agent_text).toMatch(/Tuesday .* 10 am for John Smith\. Shall I book it\?/);

      // The correction: the day changes, the time and the name stay.
      const corrected = await caller.turn(speak('no, I said Wednesday'));
      const afterCorrection = flowState(corrected.turn!.turn_id);
      expect(afterCorrection.node).toBe('book_confirm');
      expect(weekday(String(afterCorrection.slots.date))).toBe(3);
      expect(afterCorrection.slots).toMatchObject({ time: '10:00', name: 'John Smith' });
      expect(corrected.turn?.agent_text).toMatch(/^Got it, Wednesday/);

      const yes = await caller.turn(speak('yes please'));
      expect(flowState(yes.turn!.turn_id).node).toBe('anything_else');
      expect(yes.turn?.agent_text).toMatch(/booked in for Wednesday .* 10 am, John Smith/);

      const bye = await caller.turn(speak('no thanks, that is all'));
      expect(bye.turn?.agent_text).toMatch(/goodbye/i);
      expect(flowState(bye.turn!.turn_id)).toMatchObject({ node: 'goodbye', ended: true });
      const ended = await caller.next((m) => m.type === 'session_ended', bye.from);
      expect(ended.reason).toBe('conversation finished');
      // The goodbye was played to the end before the call ended.
      expect(bye.turn?.outcome).toBe('completed');

      // The booking is in the appointments book.
      const store = new AppointmentStore(server.database);
      try {
        const booked = store.find({ name: 'John Smith' });
        expect(booked).toHaveLength(1);
        expect(booked[0]).toMatchObject({ status: 'booked', startsAt: `${afterCorrection.slots.date}T10:00`, callId: ended.session_id });
      } finally {
        store.close();
      }

      // What the caller said, as pocketsphinx heard it over the call.
      const said = ['I would like to book an appointment', 'next Tuesday at ten in the morning', 'my name is John Smith', 'no, I said Wednesday', 'yes please', 'no thanks, that is all'];
      const pairs = [book, when, name, corrected, yes, bye].map((t, i) => ({ reference: said[i], hypothesis: t.heard }));
      const { wer } = wordErrorRate(pairs);
      console.log(`dialogue WER ${(wer * 100).toFixed(1)}%`);
      expect(wer).toBeLessThanOrEqual(0.15);
    } finally {
      caller.hangUp();
    }
  }, 120_000);
});
