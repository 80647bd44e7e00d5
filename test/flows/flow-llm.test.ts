// FlowLlm as an LlmProvider: a pure function of the messages it is given.
import { describe, expect, it } from 'vitest';
import { FlowLlm, loadFlowSync, parseFlow, type FlowTraceEvent } from '../../src/flows/index.js';
import { AbortedError, type ChatMessage, type LlmChunk } from '../../src/providers/types.js';
import { Conversation } from './support/conversation.js';
import { DESK_TOOLS, FakeDesk } from './support/fake-desk.js';

const NOW = Date.UTC(2025, 2, 10, 10, 0);
const receptionist = loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS });

async function collect(llm: FlowLlm, messages: ChatMessage[], signal = new AbortController().signal): Promise<LlmChunk[]> {
  const out: LlmChunk[] = [];
  for await (const chunk of llm.stream({ messages, signal })) out.push(chunk);
  return out;
}

describe('FlowLlm', () => {
  it('is named "flow" with the flow name as model, and ends every reply with a usage chunk', async () => {
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    expect([llm.name, llm.model]).toEqual(['flow', 'receptionist']);
    const chunks = await collect(llm, [{ role: 'user', content: 'book an appointment' }]);
    expect(chunks.at(-1)).toEqual({ type: 'usage', promptTokens: 0, completionTokens: 0 });
    expect(chunks.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('')).toBe('Sure. What day would you like to come in?');
  });

  it('says the greeting when asked before the caller spoke', async () => {
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    const chunks = await collect(llm, [{ role: 'system', content: 'x' }]);
    expect(chunks[0]).toEqual({ type: 'text', text: 'Hello, thanks for calling.' });
    expect(chunks[1]).toEqual({ type: 'text', text: ' How can I help? I can book, move or cancel an appointment, or tell you our opening hours.' });
  });

  it('gives the same output for the same messages (replay determinism), tool call ids included', async () => {
    const desk = new FakeDesk();
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    const call = new Conversation(llm, desk.registry(), llm.greeting);
    await call.say('book an appointment for friday');
    await call.say('at three');
    await call.say('john smith');
    const messages = [...call.context, { role: 'user' as const, content: 'no i said thursday' }];
    const first = await collect(llm, messages);
    const second = await collect(new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' }), messages);
    expect(second).toEqual(first);
    expect(first.find((c) => c.type === 'tool_call')).toEqual({
      type: 'tool_call',
      call: { id: 'flow_4_1', name: 'check_availability', arguments: JSON.stringify({ date: '2025-03-13', time: '15:00' }) },
    });
    expect(llm.inspect(messages)).toEqual(llm.inspect(messages));
  });

  it('leaves nothing behind from a speculative reply that was cancelled', async () => {
    const desk = new FakeDesk();
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    const call = new Conversation(llm, desk.registry(), llm.greeting);
    await call.say('book an appointment');
    // A speculative reply to "tuesday" that the caller talked over: never added to the context.
    const speculative = await call.reply('tuesday');
    expect(speculative.text).toBe('What time on Tuesday March 11th?');
    const r = await call.say('tuesday at ten');
    expect(r.calls.map((c) => JSON.parse(c.arguments))).toEqual([{ date: '2025-03-11', time: '10:00' }]);
    const fresh = new Conversation(new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' }), new FakeDesk().registry(), llm.greeting);
    await fresh.say('book an appointment');
    expect(await fresh.say('tuesday at ten')).toEqual(r);
  });

  it('resumes at the node that heard the caller when a tool call never got its result (cut off by barge-in)', async () => {
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    const messages: ChatMessage[] = [
      { role: 'assistant', content: llm.greeting },
      { role: 'user', content: 'book an appointment for friday' },
      { role: 'assistant', content: 'What time on Friday March 14th?' },
      { role: 'user', content: 'at three' },
      // The check was called, then the caller barged in before its result came back.
      { role: 'assistant', content: '', toolCalls: [{ id: 'flow_2_1', name: 'check_availability', arguments: '{}' }] },
      { role: 'user', content: 'no wait four pm' },
    ];
    const chunks = await collect(llm, messages);
    expect(chunks.find((c) => c.type === 'tool_call')).toMatchObject({ call: { name: 'check_availability', arguments: JSON.stringify({ date: '2025-03-14', time: '16:00' }) } });
    const trace: FlowTraceEvent[] = llm.inspect(messages).trace;
    expect(trace).toContainEqual({ type: 'abandoned', node: 'book_check', tool: 'check_availability' });
  });

  it('ignores tool results that are not for its pending call', async () => {
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    const messages: ChatMessage[] = [
      { role: 'user', content: 'book for friday at ten' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'other', name: 'check_availability', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'other', content: JSON.stringify({ ok: true, say: 'from another model' }) },
    ];
    expect(llm.inspect(messages).pendingCall).toMatchObject({ id: 'flow_1_1', name: 'check_availability' });
  });

  it('throws AbortedError when the request is aborted', async () => {
    const llm = new FlowLlm(receptionist, { now: () => NOW, timeZone: 'UTC' });
    const controller = new AbortController();
    controller.abort();
    await expect(collect(llm, [{ role: 'user', content: 'hello' }], controller.signal)).rejects.toBeInstanceOf(AbortedError);
  });

  it('rejects an unknown time zone at construction', () => {
    expect(() => new FlowLlm(receptionist, { timeZone: 'Mars/Olympus' })).toThrow(RangeError);
  });

  it('resolves "tomorrow" against the injected clock and zone', async () => {
    const lateEvening = Date.UTC(2025, 2, 10, 23, 30);
    const tokyo = new FlowLlm(receptionist, { now: () => lateEvening, timeZone: 'Asia/Tokyo' });
    const chunks = await collect(tokyo, [{ role: 'user', content: 'book for tomorrow at ten' }]);
    expect(chunks.find((c) => c.type === 'tool_call')).toMatchObject({ call: { arguments: JSON.stringify({ date: '2025-03-12', time: '10:00' }) } });
  });
});

describe('flow engine features', () => {
  const yaml = `
name: features
start: ask
handoff: human
slots: { count: number, code: text, note: text }
intents:
  again: [again, repeat that]
  detour: [tell me a fact]
global:
  detour: fact
nodes:
  ask:
    say: How many?
    maxRetries: 1
    fallback: gave_up
    listen: { slots: [count], next: work }
  work:
    actions:
      - tool: first
        args: { n: "{count}" }
        speak: false
      - tool: second
        args: { n: "{count}", note: "{note?}", label: "n={count}" }
        save: { code: "result.code" }
        onOk: done
        onFail: { goto: ask, clear: [count] }
        on: { special: special }
  done:
    say: Done with code {code}.
    listen:
      intents: { again: { goto: ask, clear: [count], fill: [note] } }
  special:
    say: Special case.
    end: true
  fact:
    say: Honey never spoils.
    next: back
  gave_up:
    say: Never mind.
    end: true
  human:
    say: Hold on.
    end: true
    handoff: true
`;
  const flow = parseFlow(yaml, 'features.yaml', { knownTools: ['first', 'second'] });
  const llm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC' });

  async function run(messages: ChatMessage[]) {
    const chunks = await collect(llm, messages);
    return {
      text: chunks.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join(''),
      calls: chunks.flatMap((c) => (c.type === 'tool_call' ? [c.call] : [])),
    };
  }

  it('runs actions in order, passes typed args, omits optional ones, and does not speak when speak is false', async () => {
    const m: ChatMessage[] = [{ role: 'user', content: 'twenty one' }];
    let r = await run(m);
    expect(r.calls).toEqual([{ id: 'flow_1_1', name: 'first', arguments: '{"n":21}' }]);
    m.push({ role: 'assistant', content: '', toolCalls: r.calls }, { role: 'tool', toolCallId: 'flow_1_1', content: '{"ok":true,"say":"not spoken"}' });
    r = await run(m);
    expect(r.text).toBe('');
    expect(r.calls).toEqual([{ id: 'flow_1_2', name: 'second', arguments: '{"n":21,"label":"n=21"}' }]);
    m.push({ role: 'assistant', content: '', toolCalls: r.calls }, { role: 'tool', toolCallId: 'flow_1_2', content: '{"ok":true,"result":{"code":"XK"},"say":"Saved."}' });
    r = await run(m);
    expect(r.text).toBe(' Saved. Done with code XK.');
    expect(llm.inspect(m).node).toBe('done');
  });

  it('routes by the error code before onFail, and treats a registry error as a failure', async () => {
    const base: ChatMessage[] = [
      { role: 'user', content: '3' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'flow_1_1', name: 'first', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'flow_1_1', content: '{"ok":true}' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'flow_1_2', name: 'second', arguments: '{}' }] },
    ];
    const special = await run([...base, { role: 'tool', toolCallId: 'flow_1_2', content: '{"ok":false,"error":"special","say":"Hmm."}' }]);
    expect(special.text).toBe(' Hmm. Special case.');
    const failed = await run([...base, { role: 'tool', toolCallId: 'flow_1_2', content: '{"error":"invalid arguments for second"}' }]);
    expect(failed.text).toBe(' How many?');
  });

  it('returns "back" to the node that heard the caller after a global detour', async () => {
    const r = await run([{ role: 'user', content: 'tell me a fact' }]);
    expect(r.text).toBe('Honey never spoils. How many?');
  });

  it('uses the node fallback after its own maxRetries', async () => {
    const m: ChatMessage[] = [{ role: 'user', content: 'hmm' }];
    expect((await run(m)).text).toBe("Sorry, I didn't catch that. How many?");
    m.push({ role: 'user', content: 'no idea' });
    expect((await run(m)).text).toBe('Never mind.');
    expect(llm.inspect(m)).toMatchObject({ ended: true, handoff: false });
  });

  it('picks up at the first listening node when the caller speaks after the end', async () => {
    const m: ChatMessage[] = [{ role: 'user', content: 'hmm' }, { role: 'user', content: 'hmm' }, { role: 'user', content: 'four' }];
    const r = await run(m);
    expect(r.calls.map((c) => c.arguments)).toEqual(['{"n":4}']);
  });
});
