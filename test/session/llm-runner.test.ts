import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { VirtualClock } from '../../src/clock.js';
import { SimulatedLlm } from '../../src/providers/simulated/simulated-llm.js';
import { AbortedError, type ChatMessage, type LlmChunk, type LlmProvider, type LlmRequest, type ToolCall, type ToolSpec } from '../../src/providers/types.js';
import { runLlm, type LlmRun } from '../../src/session/llm-runner.js';
import { ToolRegistry, type ToolOutcome } from '../../src/tools/tool-registry.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function flushMany(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await flush();
}

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

type SeenRequest = { messages: ChatMessage[]; tools: ToolSpec[] | undefined };

/** An LLM whose every call answers with the chunks `reply` gives for that call (0-based), each on its own tick. */
class ScriptedLlm implements LlmProvider {
  readonly name = 'scripted';
  readonly model = 'scripted';
  readonly requests: SeenRequest[] = [];
  constructor(
    private readonly reply: (call: number, request: LlmRequest) => LlmChunk[],
    private readonly maxCalls = 50,
  ) {}

  async *stream(request: LlmRequest): AsyncGenerator<LlmChunk> {
    const call = this.requests.length;
    this.requests.push({ messages: structuredClone(request.messages), tools: request.tools });
    if (call >= this.maxCalls) throw new Error(`called ${call + 1} times: the runner does not stop`);
    for (const chunk of this.reply(call, request)) {
      await flush();
      yield chunk;
    }
  }
}

const toolCall = (id: string, name: string, args: unknown): LlmChunk => ({
  type: 'tool_call',
  call: { id, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) },
});
const text = (t: string): LlmChunk => ({ type: 'text', text: t });

type Recorded = {
  texts: string[];
  toolCalls: ToolCall[];
  results: { call: ToolCall; outcome: ToolOutcome }[];
  usage: [number, number][];
};

function handlersInto(rec: Recorded): LlmRun['handlers'] {
  return {
    onText: (t) => rec.texts.push(t),
    onToolCall: (c) => rec.toolCalls.push(c),
    onToolResult: (call, outcome) => rec.results.push({ call, outcome }),
    onUsage: (p, c) => rec.usage.push([p, c]),
  };
}

function weatherTools(log: string[], gate?: Promise<void>) {
  return new ToolRegistry().register({
    name: 'get_weather',
    description: 'Weather for a city.',
    schema: z.object({ city: z.string().min(1) }),
    async run({ city }, ctx) {
      log.push(`run ${city} ${ctx.callId}/${ctx.turnId}`);
      if (gate) await gate;
      return { city, sky: 'sunny' };
    },
  });
}

function start(llm: LlmProvider, tools: ToolRegistry, opts: { committed?: Promise<void>; maxToolRounds?: number } = {}) {
  const rec: Recorded = { texts: [], toolCalls: [], results: [], usage: [] };
  const abort = new AbortController();
  const state = { done: false, error: undefined as unknown };
  runLlm({
    llm,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
    ],
    tools,
    callId: 'call-1',
    turnId: 'turn-1',
    signal: abort.signal,
    committed: opts.committed ?? Promise.resolve(),
    maxToolRounds: opts.maxToolRounds,
    handlers: handlersInto(rec),
  }).then(
    () => (state.done = true),
    (err: unknown) => {
      state.done = true;
      state.error = err;
    },
  );
  return { rec, abort, state };
}

describe('runLlm', () => {
  it('forwards text and usage, and offers no tools when the registry is empty', async () => {
    const llm = new ScriptedLlm(() => [text('Hi'), text(' there.'), { type: 'usage', promptTokens: 7, completionTokens: 2 }]);
    const { rec, state } = start(llm, new ToolRegistry());
    await flushMany();
    expect(state).toEqual({ done: true, error: undefined });
    expect(rec.texts).toEqual(['Hi', ' there.']);
    expect(rec.usage).toEqual([[7, 2]]);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].tools).toBeUndefined();
    expect(llm.requests[0].messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris?' },
    ]);
  });

  it('runs a tool only once the turn is committed, then calls the LLM again with its result', async () => {
    const llm = new ScriptedLlm((call) =>
      call === 0 ? [text('Let me check.'), toolCall('c1', 'get_weather', { city: 'Paris' })] : [text('It is sunny.')],
    );
    const log: string[] = [];
    const commit = deferred();
    const { rec, state } = start(llm, weatherTools(log), { committed: commit.promise });
    await flushMany(10);
    // The call is known (and reported) but its side effect waits for COMMITTED.
    expect(rec.toolCalls).toEqual([{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }]);
    expect(log).toEqual([]);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0].tools?.map((t) => t.name)).toEqual(['get_weather']);
    expect(state.done).toBe(false);

    commit.resolve();
    await flushMany(10);
    expect(log).toEqual(['run Paris call-1/turn-1']);
    expect(rec.results).toEqual([
      { call: rec.toolCalls[0], outcome: { ok: true, content: '{"city":"Paris","sky":"sunny"}' } },
    ]);
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1].messages.slice(2)).toEqual([
      { role: 'assistant', content: 'Let me check.', toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { role: 'tool', toolCallId: 'c1', content: '{"city":"Paris","sky":"sunny"}' },
    ]);
    expect(rec.texts).toEqual(['Let me check.', 'It is sunny.']);
    expect(state).toEqual({ done: true, error: undefined });
  });

  it('gives the LLM an error result for bad arguments, naming the field, and the turn goes on', async () => {
    const llm = new ScriptedLlm((call) =>
      call === 0 ? [toolCall('c1', 'get_weather', { town: 'Paris' })] : [text('Which city did you mean?')],
    );
    const log: string[] = [];
    const { rec, state } = start(llm, weatherTools(log));
    await flushMany(10);
    expect(log).toEqual([]);
    expect(rec.results).toHaveLength(1);
    const { outcome } = rec.results[0];
    expect(outcome.ok).toBe(false);
    const error = (JSON.parse(outcome.content) as { error: string }).error;
    expect(error).toMatch(/^invalid arguments for get_weather: city: /);
    expect(llm.requests[1].messages[llm.requests[1].messages.length - 1]).toEqual({
      role: 'tool',
      toolCallId: 'c1',
      content: outcome.content,
    });
    expect(rec.texts).toEqual(['Which city did you mean?']);
    expect(state).toEqual({ done: true, error: undefined });
  });

  it('runs several calls of one round in order and answers each', async () => {
    const llm = new ScriptedLlm((call) =>
      call === 0
        ? [toolCall('a', 'get_weather', { city: 'Paris' }), toolCall('b', 'get_weather', { city: 'Oslo' })]
        : [text('Both sunny.')],
    );
    const log: string[] = [];
    const { rec, state } = start(llm, weatherTools(log));
    await flushMany(10);
    expect(log).toEqual(['run Paris call-1/turn-1', 'run Oslo call-1/turn-1']);
    expect(llm.requests[1].messages.slice(2).map((m) => (m.role === 'tool' ? m.toolCallId : m.role))).toEqual([
      'assistant',
      'a',
      'b',
    ]);
    expect(rec.texts).toEqual(['Both sunny.']);
    expect(state.done).toBe(true);
  });

  it('an abort before the commit means the tool never runs, even if the commit comes later', async () => {
    const llm = new ScriptedLlm((call) => (call === 0 ? [toolCall('c1', 'get_weather', { city: 'Paris' })] : [text('x')]));
    const log: string[] = [];
    const commit = deferred();
    const { rec, abort, state } = start(llm, weatherTools(log), { committed: commit.promise });
    await flushMany(10);
    expect(rec.toolCalls).toHaveLength(1);
    abort.abort();
    await flushMany();
    expect(state).toEqual({ done: true, error: undefined });
    commit.resolve();
    await flushMany();
    expect(log).toEqual([]);
    expect(rec.results).toEqual([]);
    expect(llm.requests).toHaveLength(1);
  });

  it('an abort while a tool runs drops its result and stops the conversation', async () => {
    const llm = new ScriptedLlm((call) => (call === 0 ? [toolCall('c1', 'get_weather', { city: 'Paris' })] : [text('x')]));
    const log: string[] = [];
    const toolGate = deferred();
    const { rec, abort, state } = start(llm, weatherTools(log, toolGate.promise));
    await flushMany(10);
    expect(log).toEqual(['run Paris call-1/turn-1']);
    abort.abort();
    toolGate.resolve();
    await flushMany();
    expect(state.done).toBe(true);
    expect(rec.results).toEqual([]);
    expect(llm.requests).toHaveLength(1);
    expect(rec.texts).toEqual([]);
  });

  it('stops offering tools after maxToolRounds, so the LLM has to answer in words', async () => {
    const llm = new ScriptedLlm((call, request) =>
      request.tools ? [toolCall(`c${call}`, 'get_weather', { city: 'Paris' })] : [text('Enough lookups.')],
    );
    const log: string[] = [];
    const { rec, state } = start(llm, weatherTools(log), { maxToolRounds: 2 });
    await flushMany(20);
    expect(state).toEqual({ done: true, error: undefined });
    expect(llm.requests.map((r) => r.tools !== undefined)).toEqual([true, true, false]);
    expect(log).toHaveLength(2);
    expect(rec.texts).toEqual(['Enough lookups.']);
  });

  it('stops after maxToolRounds even if the LLM keeps calling tools it was not offered', async () => {
    const llm = new ScriptedLlm((call) => [toolCall(`c${call}`, 'get_weather', { city: 'Paris' })], 10);
    const log: string[] = [];
    const { state } = start(llm, weatherTools(log), { maxToolRounds: 2 });
    await flushMany(60);
    expect(state.done).toBe(true);
    expect(state.error).toBeUndefined();
    expect(log.length).toBeLessThanOrEqual(2);
    expect(llm.requests.length).toBeLessThanOrEqual(3);
  });
});

describe('runLlm with SimulatedLlm on a virtual clock', () => {
  it('stops at once on abort: no text after it and no pending timers', async () => {
    const clock = new VirtualClock(0);
    const llm = new SimulatedLlm({ clock, ttftMs: 100, tokensPerSecond: 50, respond: () => [{ text: 'One two three four five six.' }] });
    const { rec, abort, state } = start(llm, new ToolRegistry());
    const seenAt: number[] = [];
    for (let t = 0; t < 140; t += 20) {
      clock.advance(20);
      await flush();
      while (seenAt.length < rec.texts.length) seenAt.push(clock.now());
    }
    // First token at 100 ms, then one every 20 ms: 100, 120, 140.
    expect(rec.texts).toEqual(['One', ' two', ' three']);
    expect(seenAt).toEqual([100, 120, 140]);
    abort.abort();
    await flush();
    // The provider's AbortedError may surface; the session ignores failures of an aborted run.
    expect(state.done).toBe(true);
    expect(state.error === undefined || state.error instanceof AbortedError).toBe(true);
    clock.advance(1000);
    await flushMany();
    expect(rec.texts).toEqual(['One', ' two', ' three']);
    expect(rec.usage).toEqual([]);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('a tool call from the simulated LLM waits for the commit on the clock', async () => {
    const clock = new VirtualClock(0);
    const llm = new SimulatedLlm({
      clock,
      ttftMs: 100,
      tokensPerSecond: 50,
      respond: (messages) =>
        messages[messages.length - 1].role === 'tool'
          ? [{ text: 'Sunny.' }]
          : [{ toolCall: { name: 'get_weather', arguments: { city: 'Paris' } } }],
    });
    const log: string[] = [];
    const commit = deferred();
    const { rec, state } = start(llm, weatherTools(log), { committed: commit.promise });
    for (let t = 0; t < 500; t += 20) {
      clock.advance(20);
      await flush();
    }
    expect(rec.toolCalls.map((c) => c.name)).toEqual(['get_weather']);
    expect(log).toEqual([]);
    commit.resolve();
    await flushMany();
    expect(log).toEqual(['run Paris call-1/turn-1']);
    for (let t = 0; t < 200; t += 20) {
      clock.advance(20);
      await flush();
    }
    expect(rec.texts).toEqual(['Sunny', '.']);
    expect(state).toEqual({ done: true, error: undefined });
  });
});
