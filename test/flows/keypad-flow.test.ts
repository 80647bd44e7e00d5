// Flows that wait for keys: a node routes on single keys (`listen.keys`), fills a slot from a
// typed entry (`listen.digits`), and number/phone slots read typed digits; speech still works.
import { describe, expect, it } from 'vitest';
import {
  FlowLlm,
  FlowValidationError,
  IntentMatcher,
  loadFlowSync,
  MatcherUnderstander,
  parseFlow,
  type FlowIssue,
  type FlowUnderstander,
} from '../../src/flows/index.js';
import type { ChatMessage } from '../../src/providers/types.js';
import { keypadText } from '../../src/turn/keypad.js';

const FILE = 'test/flows/support/keypad-menu.yaml';
const flow = loadFlowSync(FILE);
const NOW = Date.UTC(2025, 2, 10, 10, 0);
const MENU = 'For sales press 1, for support press 2, or tell me what you need.';
const SUPPORT = 'Please type your account number, then the pound key. Press star to go back.';
const NO_MATCH = "Sorry, I didn't catch that.";

/** What the flow answers to `messages`, as one text. */
async function reply(llm: FlowLlm, messages: ChatMessage[]): Promise<string> {
  let text = '';
  for await (const chunk of llm.stream({ messages, signal: new AbortController().signal })) if (chunk.type === 'text') text += chunk.text;
  return text;
}

/** The caller's turns one after another, each answered by the flow, as a session builds the context. */
async function talk(turns: string[], llm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC' })) {
  const messages: ChatMessage[] = [{ role: 'assistant', content: llm.greeting }];
  let last = '';
  for (const turn of turns) {
    messages.push({ role: 'user', content: turn });
    last = await reply(llm, messages);
    messages.push({ role: 'assistant', content: last });
  }
  return { last, state: llm.inspect(messages) };
}

describe('a flow waiting for keys', () => {
  it('routes on a key the node lists', async () => {
    expect(new FlowLlm(flow, { now: () => NOW }).greeting).toBe(MENU);
    const support = await talk([keypadText('2')]);
    expect(support.last).toBe(SUPPORT);
    expect(support.state.node).toBe('support');
    expect(support.state.trace).toContainEqual({ type: 'heard', node: 'menu', text: '[keypad] 2', as: 'keys' });
    const operator = await talk([keypadText('0')]);
    expect(operator.state).toMatchObject({ node: 'operator', ended: true, handoff: true });
  });

  it('still understands speech on a node that lists keys', async () => {
    const { last, state } = await talk(['I would like to make a booking']);
    expect(last).toBe('How many people?');
    expect(state.node).toBe('sales');
  });

  it('a key the node does not list is a no-match: the node asks again', async () => {
    const { last, state } = await talk([keypadText('5')]);
    expect(last).toBe(`${NO_MATCH} ${MENU}`);
    expect(state.node).toBe('menu');
    expect(state.trace).toContainEqual({ type: 'no_match', node: 'menu', retries: 1 });
  });

  it('fills the keypad slot from an entry of the right length, and only digits', async () => {
    const { last, state } = await talk([keypadText('2'), keypadText('123456')]);
    expect(last).toBe('What number can we call you back on?');
    expect(state.node).toBe('callback');
    expect(state.slots).toEqual({ account: '123456' });

    for (const entry of ['12', '12345678901', '12*45', '#']) {
      const wrong = await talk([keypadText('2'), keypadText(entry)]);
      expect(wrong.state.node).toBe('support');
      expect(wrong.state.slots).toEqual({});
      expect(wrong.last).toBe(`${NO_MATCH} ${SUPPORT}`);
    }
  });

  it('a key route wins over the keypad slot on the same node', async () => {
    const { last, state } = await talk([keypadText('2'), keypadText('*')]);
    expect(state.node).toBe('menu');
    expect(last).toBe(MENU);
  });

  it('number and phone slots read typed digits like spoken ones', async () => {
    const sales = await talk([keypadText('1'), keypadText('4')]);
    expect(sales.state.slots).toEqual({ people: 4 });
    expect(sales.last).toBe('A table for 4. Anything else?');

    const typed = await talk([keypadText('2'), keypadText('5566'), keypadText('5551234567')]);
    expect(typed.state).toMatchObject({ node: 'done', ended: true, slots: { account: '5566', callback: '5551234567' } });
    const spoken = await talk([keypadText('2'), keypadText('5566'), 'five five five one two three four five six seven']);
    expect(spoken.state.slots).toEqual(typed.state.slots);
  });

  it('a keypad turn on a node that listens only for words is a no-match', async () => {
    const { last, state } = await talk([keypadText('1'), keypadText('4'), keypadText('1')]);
    expect(state.node).toBe('sales_done');
    expect(last).toBe(`${NO_MATCH} A table for 4. Anything else?`);
    expect(state.trace).toContainEqual({ type: 'heard', node: 'sales_done', text: '[keypad] 1', as: 'none' });
  });

  it('never asks an understanding LLM about keys, but still about words', async () => {
    const asked: string[] = [];
    const matcher = new MatcherUnderstander(new IntentMatcher(flow.intents));
    const understander: FlowUnderstander = {
      async understand(request) {
        asked.push(request.text);
        return { heard: matcher.understandNow(request), by: 'llm' };
      },
    };
    const llm = new FlowLlm(flow, { now: () => NOW, understander });
    const { state } = await talk([keypadText('1'), 'three of us'], llm);
    expect(state.slots).toEqual({ people: 3 });
    expect(asked).toEqual(['three of us']);
  });
});

describe('keypad fields in a flow file', () => {
  const BASE = `name: t
start: menu
slots: { account: text, day: date, count: number }
nodes:
  menu:
    say: Press 1.
    listen:
      keys:
        "1": ask
  ask:
    say: Your account?
    listen:
      digits: { slot: account, min: 4, max: 8 }
      next: bye
  bye:
    say: Bye.
    end: true
`;
  const issuesOf = (text: string): FlowIssue[] => {
    try {
      parseFlow(text, 'flows/t.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(FlowValidationError);
      return [...(err as FlowValidationError).issues];
    }
    throw new Error('expected the flow to be rejected');
  };
  const variant = (from: string, to: string) => {
    expect(BASE).toContain(from);
    return BASE.replace(from, to);
  };
  const lineOf = (text: string, fragment: string) => text.split('\n').findIndex((l) => l.includes(fragment)) + 1;

  it('compiles keys and digits, with the bounds filled in and the slot required', () => {
    const compiled = parseFlow(BASE, 'flows/t.yaml');
    expect(compiled.nodes.menu.listen).toMatchObject({ keys: { '1': { goto: 'ask' } }, intents: {}, slots: [] });
    expect(compiled.nodes.ask.listen).toMatchObject({ digits: { slot: 'account', min: 4, max: 8 }, require: ['account'], next: { goto: 'bye' } });
    const defaults = parseFlow(variant('{ slot: account, min: 4, max: 8 }', '{ slot: account }'), 'flows/t.yaml');
    expect(defaults.nodes.ask.listen?.digits).toEqual({ slot: 'account', min: 1, max: 16 });
  });

  it('reports a key that is not on a keypad, with file, line, node and field', () => {
    const text = variant('"1": ask', '"11": ask');
    expect(issuesOf(text)).toEqual([
      { file: 'flows/t.yaml', line: lineOf(text, '"11": ask'), node: 'menu', field: 'listen.keys.11', message: '"11" is not a keypad key: one of 0-9, *, #, A-D (quote * and # in YAML)' },
    ]);
  });

  it('reports a key route to an unknown node', () => {
    const [issue] = issuesOf(variant('"1": ask', '"1": aks'));
    expect(issue).toMatchObject({ node: 'menu', field: 'listen.keys.1', message: 'unknown node "aks" (did you mean "ask"?)' });
  });

  it('reports keypad slots that are unknown, of a type keys cannot fill, or with bounds that do not fit', () => {
    const unknown = variant('slot: account,', 'slot: acount,');
    expect(issuesOf(unknown)[0]).toMatchObject({ line: lineOf(unknown, 'slot: acount'), node: 'ask', field: 'listen.digits.slot', message: 'unknown slot "acount" (did you mean "account"?); declare it under "slots"' });
    expect(issuesOf(variant('slot: account,', 'slot: day,'))[0]).toMatchObject({
      node: 'ask',
      field: 'listen.digits.slot',
      message: 'slot "day" is a date: typed keys can fill only text, number, phone slots',
    });
    expect(issuesOf(variant('min: 4, max: 8', 'min: 9, max: 8'))[0]).toMatchObject({ field: 'listen.digits.min', message: 'min (9) is more than max (8)' });
    expect(issuesOf(variant('slot: account, min: 4, max: 8', 'slot: count, max: 20'))[0]).toMatchObject({
      field: 'listen.digits.max',
      message: 'a number slot holds at most 15 digits exactly; use a text slot for longer entries',
    });
    expect(issuesOf(variant('max: 8', 'max: 40'))[0]).toMatchObject({ field: 'listen.digits.max', message: expect.stringContaining('32') });
    expect(issuesOf(variant('max: 8 }', 'max: 8, size: 3 }'))[0]).toMatchObject({ field: 'listen.digits.size', message: 'unknown field' });
  });

  it('requires a next for a keypad slot, and something to listen for', () => {
    expect(issuesOf(variant('      next: bye\n', ''))).toContainEqual(
      expect.objectContaining({ node: 'ask', field: 'listen.next', message: 'required when listen.digits is set (where to go once the slot is filled)' }),
    );
    expect(issuesOf(variant('    listen:\n      keys:\n        "1": ask', '    next: ask\n    listen: {}'))).toContainEqual(
      expect.objectContaining({ node: 'menu', field: 'listen', message: 'listen needs "intents", "slots", "keys" or "digits"' }),
    );
  });
});
