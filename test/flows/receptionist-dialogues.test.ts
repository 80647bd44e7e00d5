// The receptionist flow driven as a call drives it: each caller turn through the real runLlm with
// a ToolRegistry of fake desk tools, the context growing turn by turn as the turn core builds it.
import { beforeEach, describe, expect, it } from 'vitest';
import { FlowLlm, loadFlowSync, type Flow } from '../../src/flows/index.js';
import { Conversation } from './support/conversation.js';
import { DESK_TOOLS, FakeDesk } from './support/fake-desk.js';

// Monday 10 March 2025, 10:00.
const NOW = Date.UTC(2025, 2, 10, 10, 0);
const flow: Flow = loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS });

let desk: FakeDesk;
let llm: FlowLlm;
let call: Conversation;

beforeEach(() => {
  desk = new FakeDesk();
  llm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC' });
  call = new Conversation(llm, desk.registry(), llm.greeting);
});

const node = () => llm.inspect(call.context).node;
const slots = () => llm.inspect(call.context).slots;

describe('receptionist flow: booking', () => {
  it('greets and offers the menu', () => {
    expect(llm.greeting).toBe('Hello, thanks for calling. How can I help? I can book, move or cancel an appointment, or tell you our opening hours.');
  });

  it('books over six turns with a correction of the day at the confirmation', async () => {
    let r = await call.say('hi i would like to book an appointment');
    expect(r.text).toBe('Sure. What day would you like to come in?');
    expect(node()).toBe('book_date');

    r = await call.say('next tuesday');
    expect(r.text).toBe('What time on Tuesday March 18th?');

    r = await call.say('three p m');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['check_availability', { date: '2025-03-18', time: '15:00' }]]);
    expect(r.text).toBe(' Yes, 2025-03-18 at 15:00 is free. Can I have your name, please?');

    r = await call.say('my name is john smith');
    expect(r.text).toBe("So that's Tuesday March 18th at 3 pm for John Smith. Shall I book it?");
    expect(r.calls).toEqual([]);

    r = await call.say('no i said wednesday');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-19', time: '15:00' }]);
    expect(r.text).toBe("Got it, Wednesday March 19th. Yes, 2025-03-19 at 15:00 is free. So that's Wednesday March 19th at 3 pm for John Smith. Shall I book it?");
    expect(node()).toBe('book_confirm');

    r = await call.say('yes please');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['book_appointment', { name: 'John Smith', date: '2025-03-19', time: '15:00' }]]);
    expect(r.text).toBe(" You're booked in for 2025-03-19 at 15:00, John Smith. Your booking number is 7. Is there anything else I can help with?");
    expect(desk.appointments).toEqual([{ id: 7, name: 'John Smith', date: '2025-03-19', time: '15:00', phone: undefined, status: 'booked' }]);

    r = await call.say('no thanks')
    expect(r.text).toBe('Thanks for calling. Goodbye!');
    const end = llm.inspect(call.context);
    expect(end).toMatchObject({ node: 'goodbye', ended: true, handoff: false });
  });

  it('books from pocketsphinx-style words: lower case, numbers spelled out, a correction by day of month', async () => {
    await call.say('i would like to make an appointment please');
    let r = await call.say('the fifth of april');
    expect(r.text).toBe('What time on Saturday April 5th?');
    r = await call.say('a quarter past ten');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-04-05', time: '10:15' }]);
    r = await call.say('its john smith');
    expect(r.text).toBe("So that's Saturday April 5th at 10:15 am for John Smith. Shall I book it?");
    r = await call.say('no no i said the sixth');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-04-06', time: '10:15' }]);
    r = await call.say('yeah');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['book_appointment', { name: 'John Smith', date: '2025-04-06', time: '10:15' }]]);
  });

  it('fills date, time and name from one sentence and skips their questions', async () => {
    const r = await call.say('i want to book an appointment for tomorrow at half past two my name is jane doe');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-11', time: '14:30' }]);
    expect(r.text).toBe(" Yes, 2025-03-11 at 14:30 is free. So that's Tuesday March 11th at 2:30 pm for Jane Doe. Shall I book it?");
    expect(slots()).toMatchObject({ date: '2025-03-11', time: '14:30', name: 'Jane Doe' });
  });

  it('offers alternatives when the time is taken, and takes the first on "yes"', async () => {
    desk.taken.add('2025-03-12T15:00');
    await call.say('book an appointment');
    let r = await call.say('wednesday at 3');
    expect(r.text).toBe(' Sorry, 15:00 is taken. I have 16:00 or 17:00. Which time would you like?');
    expect(node()).toBe('book_offer');
    r = await call.say('yeah that works');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-12', time: '16:00' }]);
    expect(r.text).toBe(' Yes, 2025-03-12 at 16:00 is free. Can I have your name, please?');
  });

  it('takes another time named at the offer', async () => {
    desk.taken.add('2025-03-12T15:00');
    await call.say('book an appointment');
    await call.say('wednesday at 3');
    const r = await call.say('five o clock then');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-12', time: '17:00' }]);
    expect(node()).toBe('book_name');
  });

  it('changes the time after a "no" at the confirmation', async () => {
    await call.say('book an appointment for friday at ten');
    await call.say('john smith');
    expect(node()).toBe('book_confirm');
    let r = await call.say('no');
    expect(r.text).toBe('What would you like to change, the day, the time, or the name?');
    r = await call.say('the time');
    expect(r.text).toBe('What time on Friday March 14th?');
    r = await call.say('eleven thirty');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-14', time: '11:30' }]);
    expect(r.text).toContain("So that's Friday March 14th at 11:30 am for John Smith. Shall I book it?");
  });

  it('corrects the time with a bare number after a marker', async () => {
    await call.say('book for friday at ten');
    await call.say('my name is john smith');
    const r = await call.say('sorry i meant eleven');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-14', time: '11:00' }]);
    expect(r.text).toContain('Got it, 11 am.');
  });

  it('corrects the name at the confirmation without checking the diary again', async () => {
    await call.say('book for friday at ten');
    await call.say('my name is john smith');
    const r = await call.say('no its jane smith');
    expect(r.calls).toEqual([]);
    expect(r.text).toBe("Got it, Jane Smith. So that's Friday March 14th at 10 am for Jane Smith. Shall I book it?");
  });
});

describe('receptionist flow: moving and cancelling', () => {
  it('moves an appointment found by name', async () => {
    desk.add({ name: 'Jane Doe', date: '2025-03-11', time: '09:00' });
    let r = await call.say('i need to reschedule my appointment');
    expect(r.text).toBe('Sure. What name is the booking under?');
    r = await call.say('jane doe');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['find_appointment', { name: 'Jane Doe' }]]);
    expect(r.text).toBe(' I found your appointment on 2025-03-11 at 09:00, booking number 7. What day would you like to move it to?');
    r = await call.say('thursday at four pm');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['move_appointment', { id: 7, date: '2025-03-13', time: '16:00' }]]);
    expect(r.text).toBe(' Done. Your appointment is moved to 2025-03-13 at 16:00. Is there anything else I can help with?');
    expect(desk.appointments[0]).toMatchObject({ date: '2025-03-13', time: '16:00' });
  });

  it('asks for the name again when no booking is found', async () => {
    await call.say('move my booking');
    const r = await call.say('its under smith');
    expect(r.text).toBe(" Sorry, I couldn't find an upcoming appointment under Smith. Could you tell me the name again? First and last name, please.");
    expect(node()).toBe('move_name_again');
    desk.add({ name: 'Jane Smith', date: '2025-03-11', time: '09:00' });
    const again = await call.say('jane smith');
    expect(again.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ name: 'Jane Smith' }]);
    expect(node()).toBe('move_date');
  });

  it('cancels after a confirmation', async () => {
    desk.add({ name: 'Jane Doe', date: '2025-03-11', time: '09:00' });
    let r = await call.say('cancel my appointment please my name is jane doe');
    expect(r.calls.map((c) => c.name)).toEqual(['find_appointment']);
    expect(r.text).toBe(' I found your appointment on 2025-03-11 at 09:00, booking number 7. Shall I cancel it?');
    r = await call.say('yes');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['cancel_appointment', { id: 7 }]]);
    expect(r.text).toBe(' Your appointment on 2025-03-11 is cancelled. Is there anything else I can help with?');
    expect(desk.appointments[0].status).toBe('cancelled');
  });

  it('keeps the appointment on "no"', async () => {
    desk.add({ name: 'Jane Doe', date: '2025-03-11', time: '09:00' });
    await call.say('i cant make my appointment');
    await call.say('jane doe');
    const r = await call.say('no leave it');
    expect(r.text).toBe("No problem, I'll leave it as it is. Is there anything else I can help with?");
    expect(desk.appointments[0].status).toBe('booked');
  });
});

describe('receptionist flow: anywhere', () => {
  it('answers opening hours from the menu and asks the menu question again', async () => {
    const r = await call.say('what are your opening hours');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['opening_hours', {}]]);
    expect(r.text).toBe(' We are open Monday to Friday from 9 am to 5 pm, and Saturday from 10 am to 1 pm. How can I help? I can book, move or cancel an appointment, or tell you our opening hours.');
  });

  it('answers opening hours for a day in the middle of a booking, then resumes it', async () => {
    await call.say('book an appointment');
    await call.say('next tuesday');
    expect(node()).toBe('book_time');
    const r = await call.say('are you open on sunday');
    expect(r.calls.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([['opening_hours', { date: '2025-03-16' }]]);
    expect(r.text).toBe(' On 2025-03-16 we are closed. What time on Tuesday March 18th?');
    expect(node()).toBe('book_time');
    expect(slots().date).toBe('2025-03-18');
    const next = await call.say('ten am');
    expect(next.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-18', time: '10:00' }]);
  });

  it('answers opening hours at the confirmation and asks for the confirmation again', async () => {
    await call.say('book for friday at ten');
    await call.say('my name is john smith');
    const r = await call.say('sorry when do you close on friday');
    expect(r.calls.map((c) => c.name)).toEqual(['opening_hours']);
    expect(r.text).toContain("So that's Friday March 14th at 10 am for John Smith. Shall I book it?");
    expect(desk.calls.filter((c) => c.name === 'book_appointment')).toEqual([]);
  });

  it('reprompts on no-match, then hands off after maxRetries', async () => {
    let r = await call.say('the weather is lovely today isnt it');
    expect(r.text).toBe("Sorry, I didn't catch that. Would you like to book, move or cancel an appointment?");
    r = await call.say('purple monkey dishwasher');
    expect(r.text).toBe("Sorry, I didn't catch that. Would you like to book, move or cancel an appointment?");
    expect(llm.inspect(call.context).retries).toBe(2);
    r = await call.say('banana');
    expect(r.text).toBe('Let me connect you to a colleague. Please hold.');
    expect(llm.inspect(call.context)).toMatchObject({ node: 'handoff', ended: true, handoff: true });
  });

  it('resets the retry count when the caller is understood', async () => {
    await call.say('purple monkey');
    await call.say('book');
    await call.say('blah');
    await call.say('blah blah');
    expect(llm.inspect(call.context)).toMatchObject({ node: 'book_date', retries: 2, ended: false });
  });

  it('hands off on request from any node', async () => {
    await call.say('book an appointment');
    const r = await call.say('can i talk to a real person');
    expect(r.text).toBe('Let me connect you to a colleague. Please hold.');
    expect(llm.inspect(call.context).handoff).toBe(true);
  });

  it('starts over on request, forgetting the slots', async () => {
    await call.say('book for friday at ten');
    const r = await call.say('lets start over');
    expect(r.text).toBe('How can I help? I can book, move or cancel an appointment, or tell you our opening hours.');
    expect(slots()).toEqual({});
  });

  it('says goodbye from the middle of a booking', async () => {
    await call.say('book an appointment');
    const r = await call.say('goodbye');
    expect(r.text).toBe('Thanks for calling. Goodbye!');
    expect(llm.inspect(call.context).ended).toBe(true);
  });

  it('hands off when the appointment book fails', async () => {
    desk.broken = true;
    await call.say('book for friday');
    const r = await call.say('at ten');
    expect(r.text).toBe(" Sorry, I can't reach the appointment book just now. Sorry, I'm having trouble with the appointment book. Let me connect you to a colleague. Please hold.");
    expect(llm.inspect(call.context).handoff).toBe(true);
  });
});
