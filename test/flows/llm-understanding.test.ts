// LLM understanding in flows, against the OpenAI simulator through Parley's OpenAiLlm adapter: the
// simulated model answers each understanding request with the function call the script gives for
// the caller's words, over real HTTP streaming.
import { afterEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';
import { FlowLlm, loadFlowSync, type FlowTraceEvent } from '../../src/flows/index.js';
import { OpenAiLlm } from '../../src/providers/openai/openai-llm.js';
import { AbortedError, type ChatMessage, type LlmChunk } from '../../src/providers/types.js';
import { Conversation } from './support/conversation.js';
import { DESK_TOOLS, FakeDesk } from './support/fake-desk.js';
import { ScriptedModel, type ScriptedCall } from './support/scripted-model.js';

// Monday 10 March 2025, 10:00.
const NOW = Date.UTC(2025, 2, 10, 10, 0);
const flow = loadFlowSync('flows/receptionist.yaml', { knownTools: DESK_TOOLS });

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function startModel(script: Record<string, ScriptedCall>): Promise<{ sim: SimServer; model: ScriptedModel; llm: OpenAiLlm }> {
  const model = new ScriptedModel(script);
  sim = await startSimServer({ latencies: { llmTtftMs: 5, llmTokensPerSecond: 2000 }, reply: model.reply });
  const llm = new OpenAiLlm({ apiKey: sim.control.keys.openai, baseUrl: `${sim.httpUrl}/v1`, model: 'sim-model' });
  return { sim, model, llm };
}

const chatRequests = (server: SimServer) => server.control.connections.filter((c) => c.vendor === 'openai' && c.path.includes('/chat/completions'));

const heardEvents = (trace: FlowTraceEvent[]) => trace.filter((e): e is Extract<FlowTraceEvent, { type: 'heard' }> => e.type === 'heard');

async function collect(llm: FlowLlm, messages: ChatMessage[], signal = new AbortController().signal): Promise<LlmChunk[]> {
  const out: LlmChunk[] = [];
  for await (const chunk of llm.stream({ messages, signal })) out.push(chunk);
  return out;
}

type Step = { text: string; calls: string[]; node: string; slots: Record<string, unknown> };

async function runDialogue(llm: FlowLlm, utterances: readonly string[]): Promise<{ steps: Step[]; call: Conversation; desk: FakeDesk }> {
  const desk = new FakeDesk();
  const call = new Conversation(llm, desk.registry(), llm.greeting);
  const steps: Step[] = [];
  for (const u of utterances) {
    const r = await call.say(u);
    const state = llm.inspect(call.context);
    steps.push({ text: r.text, calls: r.calls.map((c) => `${c.name} ${c.arguments}`), node: state.node, slots: state.slots });
  }
  return { steps, call, desk };
}

// The booking dialogue of receptionist-dialogues.test.ts, with what a model would call for each
// utterance. Relative dates and spoken times are left for the slot normalisers to resolve.
const BOOKING: Array<[string, ScriptedCall]> = [
  ['hi i would like to book an appointment', { fn: 'book' }],
  ['next tuesday', { fn: 'answer', args: { date: 'next tuesday' } }],
  ['three p m', { fn: 'answer', args: { time: '3 pm' } }],
  ['my name is john smith', { fn: 'answer', args: { name: 'john smith' } }],
  ['no i said wednesday', { fn: 'correct', args: { date: '2025-03-19' } }],
  ['yes please', { fn: 'yes' }],
  ['no thanks', { fn: 'no' }],
];

describe('LLM understanding', () => {
  it('books through the same nodes, slots, tool calls and words as the matcher', async () => {
    const { model, llm } = await startModel(Object.fromEntries(BOOKING));
    const utterances = BOOKING.map(([u]) => u);
    const withLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const withMatcher = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC' });
    const a = await runDialogue(withLlm, utterances);
    const b = await runDialogue(withMatcher, utterances);
    expect(a.steps).toEqual(b.steps);
    expect(a.steps.map((s) => s.node)).toEqual(['book_date', 'book_time', 'book_name', 'book_confirm', 'book_confirm', 'anything_else', 'goodbye']);
    expect(a.steps[4].slots).toEqual({ date: '2025-03-19', time: '15:00', name: 'John Smith', suggested_date: '2025-03-19' });
    expect(a.desk.appointments).toEqual([{ id: 7, name: 'John Smith', date: '2025-03-19', time: '15:00', phone: undefined, status: 'booked' }]);
    // Every utterance was read by the model, none by the matcher.
    const heard = heardEvents(withLlm.inspect(a.call.context).trace);
    expect(heard.map((h) => [h.node, h.as, h.by])).toEqual([
      ['menu', 'intent', 'llm'],
      ['book_date', 'slots', 'llm'],
      ['book_time', 'slots', 'llm'],
      ['book_name', 'slots', 'llm'],
      ['book_confirm', 'correction', 'llm'],
      ['book_confirm', 'intent', 'llm'],
      ['anything_else', 'intent', 'llm'],
    ]);
    // What the model was told at the confirmation: today, the values so far, the question, and
    // the functions of that node (its intents, the global ones, corrections, no match).
    const confirm = model.requests.find((r) => r.said === 'no i said wednesday')!;
    const system = confirm.messages[0].content;
    expect(system).toContain('Today is Monday 2025-03-10 (time zone UTC)');
    expect(system).toContain('date = "2025-03-18" (Tuesday March 18th)');
    expect(system).toContain('name = "John Smith"');
    expect(confirm.messages.slice(1)).toEqual([
      { role: 'assistant', content: "So that's Tuesday March 18th at 3 pm for John Smith. Shall I book it?" },
      { role: 'user', content: 'no i said wednesday' },
    ]);
    expect(confirm.toolNames).toEqual(['yes', 'no', 'hours', 'human', 'goodbye', 'restart', 'correct', 'no_match']);
  });

  it('fills the slots an intent carries from the function arguments and skips their questions', async () => {
    const said = 'i want to book an appointment for tomorrow at half past two my name is jane doe';
    const { llm } = await startModel({ [said]: { fn: 'book', args: { date: 'tomorrow', time: '14:30', name: 'jane doe' } } });
    const withLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const a = await runDialogue(withLlm, [said]);
    const b = await runDialogue(new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC' }), [said]);
    expect(a.steps).toEqual(b.steps);
    expect(a.steps[0]).toMatchObject({ node: 'book_confirm', slots: { date: '2025-03-11', time: '14:30', name: 'Jane Doe' } });
  });

  it('asks the model once per utterance however often the conversation is replayed', async () => {
    const { sim: server, model, llm } = await startModel(Object.fromEntries(BOOKING));
    const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const { call } = await runDialogue(flowLlm, BOOKING.map(([u]) => u));
    // Seven utterances; the tool rounds and the inspect calls replayed them many more times.
    expect(chatRequests(server)).toHaveLength(7);
    expect(model.requests.map((r) => r.said)).toEqual(BOOKING.map(([u]) => u));
    // A further request for the same conversation asks no one.
    await collect(flowLlm, call.context);
    expect(await flowLlm.understood(call.context)).toEqual(flowLlm.inspect(call.context));
    expect(chatRequests(server)).toHaveLength(7);
  });

  it('re-prompts, never crashes, when the model calls with arguments that do not read', async () => {
    const cases: Array<[ScriptedCall, RegExp]> = [
      [{ fn: 'answer', args: '{"date": "next tues' }, /answer: arguments are not JSON/],
      [{ fn: 'answer', args: '["2025-03-18"]' }, /answer: arguments are not an object/],
      [{ fn: 'answer', args: { date: 'banana' } }, /answer: date: not a date: "banana"/],
      [{ fn: 'answer', args: { date: { day: 18 } } }, /answer: date: expected a date, got object/],
      [{ fn: 'answer', args: { colour: 'red' } }, /answer: unexpected argument "colour"/],
      [{ fn: 'answer', args: {} }, /answer: no values/],
      [{ fn: 'launch_rocket', args: {} }, /unknown function "launch_rocket"/],
    ];
    for (const [planned, error] of cases) {
      await sim?.close();
      const { llm } = await startModel({ 'book an appointment': { fn: 'book' }, 'the eighteenth': planned });
      // An unknown function is not offered, so the script would answer no_match: send it anyway.
      if (planned.fn === 'launch_rocket') sim!.control.reply = (m) => (m.at(-1)?.content === 'the eighteenth' ? { toolCalls: [{ name: 'launch_rocket', arguments: {} }] } : { toolCalls: [{ name: 'book', arguments: {} }] });
      const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
      const { steps, call } = await runDialogue(flowLlm, ['book an appointment', 'the eighteenth']);
      expect(steps[1]).toMatchObject({ text: 'Which day would suit you? For example, tomorrow or next Tuesday.', node: 'book_date', slots: {} });
      const trace = flowLlm.inspect(call.context).trace;
      expect(heardEvents(trace)[1]).toMatchObject({ node: 'book_date', as: 'none', by: 'llm', error: expect.stringMatching(error) });
      expect(trace).toContainEqual({ type: 'no_match', node: 'book_date', retries: 1 });
    }
  });

  it('answers in text instead of a function: a no-match with the reason in the trace', async () => {
    const { llm } = await startModel({ 'book an appointment': { fn: 'book' } });
    const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const { steps, call } = await runDialogue(flowLlm, ['book an appointment', 'mumble']);
    expect(steps[1].node).toBe('book_date');
    expect(heardEvents(flowLlm.inspect(call.context).trace)[1]).toMatchObject({ as: 'none', by: 'llm', error: 'the model called no function' });
  });

  it('falls back to the matcher for an utterance when the model fails, and remembers that reading', async () => {
    const { sim: server, model, llm } = await startModel(Object.fromEntries(BOOKING));
    const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const desk = new FakeDesk();
    const call = new Conversation(flowLlm, desk.registry(), flowLlm.greeting);
    await call.say(BOOKING[0][0]);
    server.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 500 }, times: 1 });
    const r = await call.say('next tuesday');
    expect(r.text).toBe('What time on Tuesday March 18th?');
    const heard = heardEvents(flowLlm.inspect(call.context).trace);
    expect(heard[1]).toMatchObject({ node: 'book_date', as: 'slots', by: 'fallback', error: expect.stringMatching(/^openai: /) });
    // The model works again; the failed utterance is not asked again on replay (the refused
    // request never reached the model).
    await call.say('three p m');
    expect(model.requests.map((m) => m.said)).toEqual([BOOKING[0][0], 'three p m']);
    expect(heardEvents(flowLlm.inspect(call.context).trace).map((h) => h.by)).toEqual(['llm', 'fallback', 'llm']);
  });

  it('falls back to the matcher when the model does not answer in time', async () => {
    const { sim: server, llm } = await startModel(Object.fromEntries(BOOKING));
    server.control.latencies.llmTtftMs = 5000;
    const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm, understandTimeoutMs: 100 });
    const chunks = await collect(flowLlm, [{ role: 'user', content: 'i would like to book an appointment' }]);
    expect(chunks[0]).toEqual({ type: 'text', text: 'Sure. What day would you like to come in?' });
    expect(heardEvents(flowLlm.inspect([{ role: 'user', content: 'i would like to book an appointment' }]).trace)[0]).toMatchObject({
      as: 'intent',
      intent: 'book',
      by: 'fallback',
      error: 'openai: no answer within 100 ms',
    });
    const request = await server.control.waitFor(() => {
      const c = chatRequests(server)[0];
      return c?.closedAt != null ? c : undefined;
    });
    expect(request.closedBy).toBe('client');
  });

  it('aborts the understanding request with the reply, and asks again next time', async () => {
    const { sim: server, llm } = await startModel(Object.fromEntries(BOOKING));
    server.control.latencies.llmTtftMs = 5000;
    const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const messages: ChatMessage[] = [{ role: 'user', content: BOOKING[0][0] }];
    const controller = new AbortController();
    const pending = collect(flowLlm, messages, controller.signal);
    await server.control.waitFor(() => chatRequests(server)[0]);
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    const first = await server.control.waitFor(() => {
      const c = chatRequests(server)[0];
      return c?.closedAt != null ? c : undefined;
    });
    expect(first.closedBy).toBe('client');
    expect(first.events.map((e) => e.type)).not.toContain('done');
    // Nothing was remembered from the aborted request: the next one asks the model.
    server.control.latencies.llmTtftMs = 5;
    const chunks = await collect(flowLlm, messages);
    expect(chunks[0]).toEqual({ type: 'text', text: 'Sure. What day would you like to come in?' });
    expect(chatRequests(server)).toHaveLength(2);
    expect(heardEvents(flowLlm.inspect(messages).trace)[0]).toMatchObject({ intent: 'book', by: 'llm' });
  });

  it('shares one model request between concurrent replies, and aborting one of them does not cancel it', async () => {
    const { sim: server, llm } = await startModel(Object.fromEntries(BOOKING));
    server.control.latencies.llmTtftMs = 200;
    const flowLlm = new FlowLlm(flow, { now: () => NOW, timeZone: 'UTC', understand: llm });
    const messages: ChatMessage[] = [{ role: 'user', content: BOOKING[0][0] }];
    const speculative = new AbortController();
    const first = collect(flowLlm, messages, speculative.signal);
    const second = collect(flowLlm, messages);
    await server.control.waitFor(() => chatRequests(server)[0]);
    speculative.abort();
    await expect(first).rejects.toBeInstanceOf(AbortedError);
    expect((await second)[0]).toEqual({ type: 'text', text: 'Sure. What day would you like to come in?' });
    expect(chatRequests(server)).toHaveLength(1);
    expect(chatRequests(server)[0].events.map((e) => e.type)).toContain('done');
  });
});
