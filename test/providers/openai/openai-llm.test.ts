// OpenAiLlm against the simulator in each dialect it imitates (OpenAI, Ollama, Groq, vLLM): the
// same text, whole tool calls and usage must come out whatever the chunking, and the conversation
// (tool calls, tool results) must reach the server intact.
import { afterEach, describe, expect, it } from 'vitest';
import type { OpenAiDialect } from '../../../sim/sim-control.js';
import { defaultReply } from '../../../sim/sim-replies.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { OpenAiLlm } from '../../../src/providers/openai/openai-llm.js';
import type { ChatMessage } from '../../../src/providers/types.js';
import { llmFor, run, startSim, textOf, TIME_TOOL, user } from './llm-harness.js';

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

const DIALECTS: OpenAiDialect[] = ['openai', 'ollama', 'groq', 'vllm'];

describe.each(DIALECTS)('dialect %s', (dialect) => {
  it('streams the text in several chunks and ends with usage', async () => {
    sim = await startSim({ openAiDialect: dialect });
    const { chunks, error } = await run(llmFor(sim, { name: dialect }), user('hello there'));
    expect(error).toBeNull();
    expect(textOf(chunks)).toBe('You said: "hello there". That is interesting. Tell me more.');
    const texts = chunks.filter((c) => c.type === 'text');
    expect(texts.length).toBeGreaterThan(5);
    const last = chunks.at(-1);
    expect(last?.type).toBe('usage');
    if (last?.type !== 'usage') return;
    expect(last.completionTokens).toBe(texts.length);
    expect(last.promptTokens).toBeGreaterThan(0);
    expect(chunks.filter((c) => c.type === 'usage')).toHaveLength(1);
  });

  it('yields a tool call whole, with its arguments as sent', async () => {
    sim = await startSim({ openAiDialect: dialect });
    const { chunks, error } = await run(llmFor(sim), user('What time is it?'), [TIME_TOOL]);
    expect(error).toBeNull();
    const calls = chunks.filter((c) => c.type === 'tool_call');
    expect(calls).toHaveLength(1);
    if (calls[0].type !== 'tool_call') return;
    expect(calls[0].call.name).toBe('get_current_time');
    expect(calls[0].call.id).toMatch(/^call_/);
    expect(JSON.parse(calls[0].call.arguments)).toEqual({ timezone: 'UTC' });
    expect(textOf(chunks)).toBe('');
    expect(chunks.at(-1)?.type).toBe('usage');
  });

  it('assembles parallel tool calls in order', async () => {
    sim = await startSim({
      openAiDialect: dialect,
      reply: () => ({ toolCalls: [{ name: 'get_current_time', arguments: { timezone: 'Europe/Paris' } }, { name: 'lookup', arguments: { q: 'a "quoted" \\ value' } }] }),
    });
    const { chunks, error } = await run(llmFor(sim), user('two things'), [TIME_TOOL]);
    expect(error).toBeNull();
    const calls = chunks.flatMap((c) => (c.type === 'tool_call' ? [c.call] : []));
    expect(calls.map((c) => c.name)).toEqual(['get_current_time', 'lookup']);
    expect(JSON.parse(calls[0].arguments)).toEqual({ timezone: 'Europe/Paris' });
    expect(JSON.parse(calls[1].arguments)).toEqual({ q: 'a "quoted" \\ value' });
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
  });
});

describe('request mapping', () => {
  it('sends tools, assistant tool calls and tool results the server can read back', async () => {
    const seen: Array<{ messages: ChatMessage[]; tools: string[] }> = [];
    sim = await startSim({
      reply: (messages, tools) => {
        seen.push({ messages, tools });
        return defaultReply(messages, tools);
      },
    });
    const conversation: ChatMessage[] = [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'What time is it?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'call_abc', name: 'get_current_time', arguments: '{"timezone":"UTC"}' }] },
      { role: 'tool', toolCallId: 'call_abc', content: '12:00 UTC' },
    ];
    const { chunks, error } = await run(llmFor(sim), conversation, [TIME_TOOL]);
    expect(error).toBeNull();
    expect(textOf(chunks)).toBe('Here is what I found: 12:00 UTC. Anything else?');
    expect(seen[0].tools).toEqual(['get_current_time']);
    expect(seen[0].messages).toEqual(conversation);
    const request = sim.control.last('openai')?.events.find((e) => e.type === 'request');
    expect(JSON.parse(request?.detail ?? '{}')).toMatchObject({ model: 'sim-model', stream: true });
  });

  it('names itself as configured and refuses bad options', async () => {
    sim = await startSim();
    expect(llmFor(sim).name).toBe('openai');
    expect(llmFor(sim, { name: 'groq' }).name).toBe('groq');
    expect(llmFor(sim).model).toBe('sim-model');
    expect(() => new OpenAiLlm({ apiKey: '', model: 'm' })).toThrow(RangeError);
    expect(() => new OpenAiLlm({ apiKey: 'k', model: '' })).toThrow(RangeError);
    expect(() => new OpenAiLlm({ apiKey: 'k', model: 'm', maxTokens: 0 })).toThrow(RangeError);
  });

  it('asks for usage, passes temperature, and sends max_tokens to a compatible server', async () => {
    sim = await startSim();
    const { error } = await run(llmFor(sim, { temperature: 0.2, maxTokens: 64 }), user('hi'));
    expect(error).toBeNull();
    const request = JSON.parse(sim.control.last('openai')?.events.find((e) => e.type === 'request')?.detail ?? '{}') as Record<string, unknown>;
    expect(request).toMatchObject({ includeUsage: true, temperature: 0.2, max_tokens: 64 });
    expect(request.max_completion_tokens).toBeUndefined();
    // Without tools, no tools field at all.
    expect(request.tools).toEqual([]);
  });
});
