// OpenAiLlm when the server misbehaves: every failure must end the iteration with a typed
// ProviderError (never a silent short answer, never a crash), with the retry hints resilience needs.
// Refusals and stream faults come from the simulator; the shapes it never sends (a clean end with
// no finish_reason, assorted garbage) from a few-line SSE server in this file.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { openAiSimExtras } from '../../../sim/openai/openai-sim-extras.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { OpenAiLlm } from '../../../src/providers/openai/openai-llm.js';
import { llmFor, run, startSim, textOf, user } from './llm-harness.js';

let sim: SimServer | null = null;
let raw: Server | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
  raw?.closeAllConnections();
  await new Promise<void>((resolve) => (raw ? raw.close(() => resolve()) : resolve()));
  raw = null;
});

function providerError(error: unknown): ProviderError {
  expect(error).toBeInstanceOf(ProviderError);
  return error as ProviderError;
}

/** An SSE server that writes the given events and then ends the response normally. */
async function rawSse(write: (res: ServerResponse) => void): Promise<string> {
  raw = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      write(res);
    });
  });
  await new Promise<void>((resolve) => raw!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(raw.address() as AddressInfo).port}/v1`;
}

const rawLlm = (baseUrl: string) => new OpenAiLlm({ apiKey: 'k', baseUrl, model: 'm', name: 'vllm' });
const event = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

describe('refusals', () => {
  it('a wrong key is an auth error with status 401 and code invalid_api_key; the key is not in the message', async () => {
    sim = await startSim();
    const { chunks, error } = await run(llmFor(sim, { apiKey: 'sk-definitely-wrong' }), user('hi'));
    expect(chunks).toEqual([]);
    const e = providerError(error);
    expect(e).toMatchObject({ provider: 'openai', kind: 'auth', status: 401, code: 'invalid_api_key' });
    expect(e.retryable).toBe(false);
    expect(e.message).not.toContain('sk-definitely-wrong');
  });

  it('429 is rate_limited with retryAfterMs from retry-after-ms, and the SDK does not retry on its own', async () => {
    sim = await startSim();
    sim.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 429, retryAfterS: 1.5 }, times: 1 });
    const e = providerError((await run(llmFor(sim, { name: 'groq' }), user('hi'))).error);
    expect(e).toMatchObject({ provider: 'groq', kind: 'rate_limited', status: 429, retryAfterMs: 1500, code: 'rate_limit_exceeded' });
    expect(sim.control.connections).toHaveLength(0);
    // The next call goes through: the fault was used once, by one request.
    expect((await run(llmFor(sim), user('hi'))).error).toBeNull();
    expect(sim.control.connections).toHaveLength(1);
  });

  it('429 without a hint has no retryAfterMs', async () => {
    sim = await startSim();
    sim.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 429 }, times: 1 });
    const e = providerError((await run(llmFor(sim), user('hi'))).error);
    expect(e.kind).toBe('rate_limited');
    expect(e.retryAfterMs).toBeUndefined();
  });

  it('500 and 503 are server errors', async () => {
    sim = await startSim();
    for (const status of [500, 503] as const) {
      sim.control.addFault({ vendor: 'openai', fault: { type: 'status', status }, times: 1 });
      const e = providerError((await run(llmFor(sim), user('hi'))).error);
      expect(e).toMatchObject({ kind: 'server', status });
      expect(e.retryable).toBe(true);
    }
  });

  it('a refused connection is a network error', async () => {
    sim = await startSim();
    const url = `${sim.httpUrl}/v1`;
    await sim.close();
    sim = null;
    const e = providerError((await run(new OpenAiLlm({ apiKey: 'k', baseUrl: url, model: 'm' }), user('hi'))).error);
    expect(e.kind).toBe('network');
  });
});

describe('broken streams', () => {
  it('drop: a stream cut mid-way is a network error, not a short success', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 10, llmTokensPerSecond: 100 } });
    sim.control.addFault({ vendor: 'openai', fault: { type: 'drop', afterMs: 80 }, times: 1 });
    const { chunks, error } = await run(llmFor(sim), user('hello there, how are you doing today'));
    expect(chunks.some((c) => c.type === 'text')).toBe(true);
    expect(chunks.some((c) => c.type === 'usage')).toBe(false);
    expect(providerError(error).kind).toBe('network');
    expect(sim.control.last('openai')?.closedBy).toBe('server');
  });

  it('malformed: a chunk that is not JSON is a protocol error', async () => {
    sim = await startSim();
    sim.control.addFault({ vendor: 'openai', fault: { type: 'malformed' }, times: 1 });
    const { chunks, error } = await run(llmFor(sim), user('hello there, how are you doing today'));
    expect(textOf(chunks).length).toBeGreaterThan(0);
    expect(providerError(error)).toMatchObject({ kind: 'protocol', code: 'malformed_chunk' });
  });

  it('a mid-stream error event is a server error with the vendor type', async () => {
    sim = await startSim();
    openAiSimExtras(sim.control).midStreamErrors = 1;
    const e = providerError((await run(llmFor(sim), user('hello there, how are you doing today'))).error);
    expect(e.kind).toBe('server');
    expect(e.status).toBeUndefined();
    expect(e.message).toContain('error event in stream');
  });

  it('a stream that ends cleanly before any finish_reason is a protocol error', async () => {
    const url = await rawSse((res) => {
      res.write(event({ id: 'x', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }));
      res.write(event({ id: 'x', choices: [{ index: 0, delta: { content: 'Half an ans' }, finish_reason: null }] }));
      res.end();
    });
    const { chunks, error } = await run(rawLlm(url), user('hi'));
    expect(textOf(chunks)).toBe('Half an ans');
    expect(providerError(error)).toMatchObject({ provider: 'vllm', kind: 'protocol', code: 'truncated_stream' });
  });

  it('a half-sent tool call is not yielded when the stream is cut', async () => {
    const url = await rawSse((res) => {
      res.write(event({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] } }] }));
      res.end();
    });
    const { chunks, error } = await run(rawLlm(url), user('hi'));
    expect(chunks).toEqual([]);
    expect(providerError(error).kind).toBe('protocol');
  });

  it('garbage chunks are skipped, bad tool arguments passed through, usage read from wherever it is', async () => {
    const url = await rawSse((res) => {
      res.write(': keep-alive comment\n\n');
      res.write(event(42));
      res.write(event('"a string"'));
      res.write(event('null'));
      res.write(event({ choices: null }));
      res.write(event({ choices: [{ index: 0 }] }));
      res.write(event({ choices: [{ index: 0, delta: null }] }));
      res.write(event({ choices: [{ index: 0, delta: { content: 7, tool_calls: 'nope' } }] }));
      res.write(event({ choices: [{ index: 0, delta: { content: 'Sure.' } }] }));
      res.write(event({ choices: [{ index: 0, delta: { tool_calls: [null, { index: 0, id: 'call_9', function: { name: 'f', arguments: '{"unterminated' } }] } }] }));
      res.write(event({ choices: [{ index: 0, delta: { tool_calls: [{ index: 'zero', function: { arguments: ': tru' } }] } }] }));
      res.write(event({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 'many' } }));
      res.write(event({ choices: [], x_groq: { usage: { prompt_tokens: 11, completion_tokens: 4 } } }));
      res.end(event('[DONE]'));
    });
    const { chunks, error } = await run(rawLlm(url), user('hi'));
    expect(error).toBeNull();
    expect(chunks).toEqual([
      { type: 'text', text: 'Sure.' },
      { type: 'tool_call', call: { id: 'call_9', name: 'f', arguments: '{"unterminated: tru' } },
      { type: 'usage', promptTokens: 11, completionTokens: 4 },
    ]);
  });

  it('a tool call without a name is a protocol error', async () => {
    const url = await rawSse((res) => {
      res.write(event({ choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_1', function: { arguments: '{}' } }] } }] }));
      res.end(event({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] }) + event('[DONE]'));
    });
    expect(providerError((await run(rawLlm(url), user('hi'))).error)).toMatchObject({ kind: 'protocol', code: 'tool_call_without_name' });
  });
});

describe('slow server', () => {
  it('slow: the same answer, later', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 40, llmTokensPerSecond: 1000 } });
    sim.control.addFault({ vendor: 'openai', fault: { type: 'slow', factor: 4 }, times: 1 });
    const t0 = performance.now();
    let firstTextAt = -1;
    const chunks = [];
    for await (const chunk of llmFor(sim).stream({ messages: user('hello'), signal: new AbortController().signal })) {
      if (firstTextAt < 0 && chunk.type === 'text') firstTextAt = performance.now() - t0;
      chunks.push(chunk);
    }
    expect(firstTextAt).toBeGreaterThanOrEqual(155);
    expect(textOf(chunks)).toBe('You said: "hello". That is interesting. Tell me more.');
  });

  it('timeoutMs: a server slower than the timeout fails as timeout and the request is closed', async () => {
    sim = await startSim({ latencies: { llmTtftMs: 50, llmTokensPerSecond: 1000 } });
    sim.control.addFault({ vendor: 'openai', fault: { type: 'slow', factor: 10 }, times: 1 });
    const { error } = await run(llmFor(sim, { timeoutMs: 150 }), user('hello'));
    expect(providerError(error)).toMatchObject({ kind: 'timeout' });
    const connection = await sim.control.waitFor(() => (sim?.control.last('openai')?.closedBy ? sim.control.last('openai') : undefined));
    expect(connection.closedBy).toBe('client');
    // Without the fault the same timeout is plenty.
    expect((await run(llmFor(sim, { timeoutMs: 150 }), user('hello'))).error).toBeNull();
  });

  it('timeoutMs also bounds a stall between chunks', async () => {
    const url = await rawSse((res) => {
      res.write(event({ choices: [{ index: 0, delta: { content: 'Hel' } }] }));
      // …and nothing more.
    });
    const llm = new OpenAiLlm({ apiKey: 'k', baseUrl: url, model: 'm', timeoutMs: 100 });
    const { chunks, error } = await run(llm, user('hi'));
    expect(textOf(chunks)).toBe('Hel');
    expect(providerError(error).kind).toBe('timeout');
  });
});
