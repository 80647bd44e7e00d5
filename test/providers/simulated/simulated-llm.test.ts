import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src/clock.js';
import { SimulatedLlm, echoingRespond } from '../../../src/providers/simulated/simulated-llm.js';
import { splitIntoTokens } from '../../../src/providers/simulated/text-tokens.js';
import { AbortedError, type ChatMessage, type LlmChunk } from '../../../src/providers/types.js';
import { consume, runClock } from './clock-driver.js';

const TTFT = 300;
const TPS = 50; // one token every 20 ms

function setup(respond?: ConstructorParameters<typeof SimulatedLlm>[0]['respond']) {
  const clock = new VirtualClock(1000);
  const llm = new SimulatedLlm({ clock, ttftMs: TTFT, tokensPerSecond: TPS, respond });
  return { clock, llm };
}

const textOf = (chunks: LlmChunk[]) => chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('splitIntoTokens', () => {
  it('keeps leading spaces on words and splits punctuation, losing nothing', () => {
    expect(splitIntoTokens('You said: "hi there". Ok!  ')).toEqual([
      'You', ' said', ':', ' "', 'hi', ' there', '"', '.', ' Ok', '!', '  ',
    ]);
    const text = ' Straße — naïve  café, 3.14 isn\'t it?\n\nYes.';
    expect(splitIntoTokens(text).join('')).toBe(text);
    expect(splitIntoTokens('')).toEqual([]);
  });
});

describe('echoingRespond', () => {
  it('quotes the last user message in at least two sentences', () => {
    const messages: ChatMessage[] = [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'ok' },
      { role: 'user', content: ' what time is it ' },
    ];
    expect(echoingRespond(messages)).toEqual([
      { text: 'You said: "what time is it". That is interesting. Tell me more.' },
    ]);
  });

  it('answers from a tool result when the conversation ends with one', () => {
    const messages: ChatMessage[] = [
      { role: 'user', content: 'weather in Paris?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'c1', content: 'sunny and 21 degrees' },
    ];
    expect(echoingRespond(messages)).toEqual([
      { text: 'Here is what I found: sunny and 21 degrees. Is there anything else I can help with?' },
    ]);
  });

  it('greets when there is nothing to quote', () => {
    expect(echoingRespond([{ role: 'system', content: 'x' }])).toEqual([{ text: 'Hello! How can I help you today?' }]);
  });
});

describe('SimulatedLlm', () => {
  it('streams the first token after ttftMs, then one token per 1/tokensPerSecond, then usage', async () => {
    const { clock, llm } = setup();
    const messages: ChatMessage[] = [{ role: 'user', content: 'tell me a story' }];
    const expected = 'You said: "tell me a story". That is interesting. Tell me more.';
    const c = consume(llm.stream({ messages, signal: new AbortController().signal }), clock);
    await runClock(clock, 2000, () => c.state.done);
    expect(c.state.error).toBeUndefined();
    const chunks = c.items.map((i) => i.value);
    const tokens = splitIntoTokens(expected);
    expect(chunks.slice(0, -1)).toEqual(tokens.map((text) => ({ type: 'text', text })));
    expect(c.items.slice(0, -1).map((i) => i.at)).toEqual(tokens.map((_, k) => 1000 + TTFT + 20 * k));
    expect(c.items[c.items.length - 1]).toEqual({
      at: 1000 + TTFT + 20 * (tokens.length - 1),
      value: { type: 'usage', promptTokens: Math.ceil(15 / 4), completionTokens: Math.ceil(expected.length / 4) },
    });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('times from the request, not from when the consumer starts reading', async () => {
    const { clock, llm } = setup(() => [{ text: 'One two three.' }]);
    const iterable = llm.stream({ messages: [], signal: new AbortController().signal });
    clock.advance(TTFT + 30);
    const c = consume(iterable, clock);
    await runClock(clock, 500, () => c.state.done);
    // Tokens due at +300 and +320 arrive at once on the first read; the rest keep the schedule.
    expect(c.items.map((i) => [i.at, i.value.type === 'text' ? i.value.text : i.value.type])).toEqual([
      [1330, 'One'],
      [1330, ' two'],
      [1340, ' three'],
      [1360, '.'],
      [1360, 'usage'],
    ]);
  });

  it('emits tool calls as whole chunks with generated ids, in script order', async () => {
    const { clock, llm } = setup(() => [
      { text: 'Let me check.' },
      { toolCall: { name: 'get_weather', arguments: { city: 'Paris', unit: 'celsius' } } },
      { toolCall: { name: 'get_time', arguments: {} } },
    ]);
    const c = consume(llm.stream({ messages: [{ role: 'user', content: 'hi' }], signal: new AbortController().signal }), clock);
    await runClock(clock, 2000, () => c.state.done);
    expect(c.items.map((i) => i.value)).toEqual([
      { type: 'text', text: 'Let' },
      { type: 'text', text: ' me' },
      { type: 'text', text: ' check' },
      { type: 'text', text: '.' },
      { type: 'tool_call', call: { id: 'call_sim_1', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
      { type: 'tool_call', call: { id: 'call_sim_2', name: 'get_time', arguments: '{}' } },
      { type: 'usage', promptTokens: 1, completionTokens: Math.ceil((13 + 11 + 33 + 8 + 2) / 4) },
    ]);
    expect(c.items.slice(0, 6).map((i) => i.at)).toEqual([1300, 1320, 1340, 1360, 1380, 1400]);
  });

  it('keeps generating fresh tool call ids across requests', async () => {
    const { clock, llm } = setup(() => [{ toolCall: { name: 't', arguments: { n: 1 } } }]);
    const ids: string[] = [];
    for (let r = 0; r < 2; r++) {
      const c = consume(llm.stream({ messages: [], signal: new AbortController().signal }), clock);
      await runClock(clock, 1000, () => c.state.done);
      for (const { value } of c.items) if (value.type === 'tool_call') ids.push(value.call.id);
    }
    expect(ids).toEqual(['call_sim_1', 'call_sim_2']);
  });

  it('stops at once on abort mid-stream and throws AbortedError', async () => {
    const { clock, llm } = setup();
    const controller = new AbortController();
    const c = consume(llm.stream({ messages: [{ role: 'user', content: 'hello' }], signal: controller.signal }), clock);
    await runClock(clock, 2000, () => c.items.length === 3);
    expect(clock.now()).toBe(1000 + TTFT + 40);
    controller.abort();
    await runClock(clock, 2000);
    expect(c.state.done).toBe(true);
    expect(c.state.error).toBeInstanceOf(AbortedError);
    expect(textOf(c.items.map((i) => i.value))).toBe('You said:');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('an abort right after a token fell due still wins over that token', async () => {
    const { clock, llm } = setup();
    const controller = new AbortController();
    const c = consume(llm.stream({ messages: [{ role: 'user', content: 'hello' }], signal: controller.signal }), clock);
    await runClock(clock, TTFT);
    expect(c.items.length).toBe(1);
    clock.advance(20); // the second token's timer fires here
    controller.abort(); // before the generator gets to run
    await runClock(clock, 100);
    expect(c.items.length).toBe(1);
    expect(c.state.error).toBeInstanceOf(AbortedError);
  });

  it('aborting before the first token yields no chunk at all', async () => {
    const { clock, llm } = setup();
    const controller = new AbortController();
    const c = consume(llm.stream({ messages: [{ role: 'user', content: 'hello' }], signal: controller.signal }), clock);
    await runClock(clock, TTFT - 1);
    controller.abort();
    await runClock(clock, 2000);
    expect(c.items).toEqual([]);
    expect(c.state.error).toBeInstanceOf(AbortedError);
  });

  it('an already aborted signal throws on the first read', async () => {
    const { llm } = setup();
    const iterator = llm.stream({ messages: [], signal: AbortSignal.abort() })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
  });

  it('an empty script still answers with usage after ttftMs', async () => {
    const { clock, llm } = setup(() => []);
    const c = consume(llm.stream({ messages: [], signal: new AbortController().signal }), clock);
    await runClock(clock, 1000, () => c.state.done);
    expect(c.items).toEqual([{ at: 1000 + TTFT, value: { type: 'usage', promptTokens: 0, completionTokens: 0 } }]);
  });

  it('rejects impossible options', () => {
    const clock = new VirtualClock();
    expect(() => new SimulatedLlm({ clock, ttftMs: -1, tokensPerSecond: 10 })).toThrow(RangeError);
    expect(() => new SimulatedLlm({ clock, ttftMs: 0, tokensPerSecond: 0 })).toThrow(RangeError);
  });
});
