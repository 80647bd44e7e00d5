// Tool-call assembly from deltas in the shapes servers send: fragments by index (OpenAI, vLLM,
// Groq), whole calls (Ollama), missing indexes, a reused index, and calls without arguments.
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { readChunk } from '../../../src/providers/openai/chat-chunk.js';
import { ToolCallAssembler } from '../../../src/providers/openai/tool-call-assembler.js';

describe('ToolCallAssembler', () => {
  it('joins argument fragments by index, interleaved across parallel calls', () => {
    const a = new ToolCallAssembler('t');
    a.add({ index: 0, id: 'call_a', name: 'one', arguments: '' });
    a.add({ index: 1, id: 'call_b', name: 'two', arguments: '{"x"' });
    a.add({ index: 0, arguments: '{"q":' });
    a.add({ index: 1, arguments: ':1}' });
    a.add({ index: 0, arguments: '"é\\"}"}' });
    expect(a.complete()).toEqual([
      { id: 'call_a', name: 'one', arguments: '{"q":"é\\"}"}' },
      { id: 'call_b', name: 'two', arguments: '{"x":1}' },
    ]);
  });

  it('takes whole calls, including several that all claim index 0', () => {
    const a = new ToolCallAssembler('t');
    a.add({ index: 0, id: 'c1', name: 'one', arguments: '{"a":1}' });
    a.add({ index: 0, id: 'c2', name: 'two', arguments: '{"b":2}' });
    expect(a.complete().map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['c1', 'one', '{"a":1}'],
      ['c2', 'two', '{"b":2}'],
    ]);
  });

  it('without indexes: a new id starts a call, fragments continue the last one', () => {
    const a = new ToolCallAssembler('t');
    a.add({ id: 'c1', name: 'one', arguments: '{"a"' });
    a.add({ arguments: ':1}' });
    a.add({ id: 'c2', name: 'two' });
    expect(a.complete()).toEqual([
      { id: 'c1', name: 'one', arguments: '{"a":1}' },
      { id: 'c2', name: 'two', arguments: '{}' },
    ]);
  });

  it('invents ids when the server sends none, and refuses a call without a name', () => {
    const a = new ToolCallAssembler('t');
    a.add({ index: 0, name: 'one', arguments: '{}' });
    expect(a.complete()[0].id).toBe('call_1');
    const b = new ToolCallAssembler('t');
    b.add({ index: 0, id: 'x', arguments: '{}' });
    expect(() => b.complete()).toThrow(ProviderError);
  });
});

describe('readChunk', () => {
  it('reads text, tool deltas, finish reason and usage from either place', () => {
    expect(readChunk({ choices: [{ index: 0, delta: { content: 'Hi' }, finish_reason: null }], usage: null })).toEqual({
      text: 'Hi',
      toolCalls: [],
      finishReason: null,
      usage: null,
    });
    expect(readChunk({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }).usage).toEqual({ promptTokens: 3, completionTokens: 2 });
    expect(readChunk({ choices: null, usage: { prompt_tokens: 1, completion_tokens: 1 } }).usage).toEqual({ promptTokens: 1, completionTokens: 1 });
    expect(readChunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], x_groq: { usage: { prompt_tokens: 5, completion_tokens: 6 } } })).toMatchObject({
      finishReason: 'stop',
      usage: { promptTokens: 5, completionTokens: 6 },
    });
    expect(readChunk({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { name: 'f', arguments: { a: 1 } } }] } }] }).toolCalls).toEqual([
      { index: 0, name: 'f', arguments: '{"a":1}' },
    ]);
  });

  it('reads anything else as nothing', () => {
    const empty = { text: '', toolCalls: [], finishReason: null, usage: null };
    for (const raw of [null, 42, 'x', [], {}, { choices: 'x' }, { choices: [null] }, { choices: [{ delta: 5 }] }, { usage: { prompt_tokens: '1' } }]) {
      expect(readChunk(raw)).toEqual(empty);
    }
  });
});
