// The pure parts of LLM understanding: the functions a node offers, how argument values are
// normalised to the matcher's shapes, and the bound on the understanding cache.
import { describe, expect, it } from 'vitest';
import { loadFlowSync, normalizeSlotValue, parseFlow, understandingFunctions, UnderstandingCache, type Understood } from '../../../src/flows/index.js';
import { DESK_TOOLS } from '../support/fake-desk.js';

const flow = loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS });
const ctx = { now: Date.UTC(2025, 2, 10, 10, 0), timeZone: 'UTC' };

describe('understandingFunctions', () => {
  it('offers the menu its intents with the slots they fill, the global intents and no_match', () => {
    const { specs, meanings } = understandingFunctions(flow, flow.nodes.menu, {}, []);
    expect(specs.map((s) => s.name)).toEqual(['book', 'move', 'cancel', 'hours', 'human', 'goodbye', 'restart', 'no_match']);
    const book = specs[0];
    expect(book.description).toContain('"book an appointment"');
    expect(book.parameters).toEqual({
      type: 'object',
      properties: {
        date: { type: 'string', description: 'the date as YYYY-MM-DD' },
        time: { type: 'string', description: 'the time as HH:MM, 24-hour clock' },
        name: { type: 'string', description: "the person's name, e.g. Jane Doe" },
        phone: { type: 'string', description: 'the phone number, digits only' },
      },
      additionalProperties: false,
    });
    expect(specs[3].description).toContain('Can be asked at any point');
    expect(meanings.get('hours')).toMatchObject({ kind: 'intent', intent: 'hours', global: true, slots: ['hours_date'] });
  });

  it('offers answer for the node slots and correct for the values the caller gave before', () => {
    const slots = { date: '2025-03-18', time: '15:00', suggested_time: '15:00' };
    const { specs, meanings } = understandingFunctions(flow, flow.nodes.book_name, slots, ['date', 'time']);
    expect(specs.map((s) => s.name)).toEqual(['hours', 'human', 'goodbye', 'restart', 'answer', 'correct', 'no_match']);
    expect(meanings.get('correct')).toEqual({ kind: 'correct', earlier: ['date', 'time'], own: ['name'] });
    expect(Object.keys((specs[5].parameters as { properties: object }).properties)).toEqual(['date', 'time', 'name']);
  });

  it('turns intent names into valid, unique function names', () => {
    const odd = parseFlow(
      `
name: odd
start: ask
intents: { "say hello": [hello], answer: [the answer], no_match: [whatever] }
nodes:
  ask:
    listen: { intents: { "say hello": done, answer: done, no_match: done } }
  done: { say: Bye., end: true }
`,
      'odd.yaml',
    );
    const { specs } = understandingFunctions(odd, odd.nodes.ask, {}, []);
    expect(specs.map((s) => s.name)).toEqual(['say_hello', 'intent_answer', 'intent_no_match', 'no_match']);
    for (const s of specs) expect(s.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });
});

describe('normalizeSlotValue', () => {
  it.each([
    ['date', 'next tuesday', '2025-03-18'],
    ['date', '2025-03-18', '2025-03-18'],
    ['time', '3 pm', '15:00'],
    ['time', '9:05', '09:05'],
    ['number', '7', 7],
    ['number', 7, 7],
    ['name', 'john smith', 'John Smith'],
    ['phone', '+44 20 7946 0958', '+442079460958'],
    ['email', 'Jane.Doe@Example.com', 'jane.doe@example.com'],
    ['yesno', true, true],
    ['yesno', 'yes', true],
    ['text', '  a window seat ', 'a window seat'],
  ] as const)('%s %j -> %j', (type, raw, value) => {
    expect(normalizeSlotValue(type, raw, ctx)).toEqual({ value });
  });

  it.each([
    ['date', 'banana'],
    ['time', 'whenever'],
    ['number', Number.NaN],
    ['yesno', 'perhaps'],
    ['text', '   '],
    ['name', ['john']],
  ] as const)('%s %j is an error', (type, raw) => {
    expect(normalizeSlotValue(type, raw, ctx)).toHaveProperty('error');
  });
});

describe('UnderstandingCache', () => {
  const result = (n: number): Understood => ({ heard: { kind: 'slots', values: { n } }, by: 'llm' });
  const signal = new AbortController().signal;

  it('keeps at most its limit, dropping the least recently used', async () => {
    const cache = new UnderstandingCache(2);
    let asked = 0;
    const compute = (n: number) => () => {
      asked++;
      return Promise.resolve(result(n));
    };
    await cache.get('a', signal, compute(1));
    await cache.get('b', signal, compute(2));
    await cache.get('a', signal, compute(1));
    await cache.get('c', signal, compute(3));
    expect(cache.size).toBe(2);
    expect(cache.peek('a')).toEqual(result(1));
    expect(cache.peek('b')).toBeUndefined();
    expect(asked).toBe(3);
  });
});
