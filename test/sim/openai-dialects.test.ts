// The chat simulator's raw SSE, read without the SDK: framing, the differences between the OpenAI,
// Ollama, Groq and vLLM dialects, and the stream faults (malformed line, mid-stream error event,
// drop, client abort).
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { openAiSimExtras } from '../../sim/openai/openai-sim-extras.js';
import type { OpenAiDialect } from '../../sim/sim-control.js';
import { startSimServer, type SimServer } from '../../sim/sim-server.js';

type Chunk = Record<string, unknown> & {
  choices?: Array<{ delta: Record<string, unknown> & { tool_calls?: Array<Record<string, unknown>> }; finish_reason: string | null }> | null;
  usage?: Record<string, number> | null;
  x_groq?: { id?: string; usage?: Record<string, number> };
};

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function start(dialect: OpenAiDialect = 'openai'): Promise<SimServer> {
  sim = await startSimServer({ openAiDialect: dialect, latencies: { llmTtftMs: 10, llmTokensPerSecond: 1000 } });
  return sim;
}

function post(server: SimServer, body: unknown, init: { key?: string; signal?: AbortSignal } = {}): Promise<Response> {
  return fetch(`${server.httpUrl}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${init.key ?? 'sim-openai-key'}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: init.signal,
  });
}

const ask = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'test-model',
  messages: [{ role: 'user', content }],
  stream: true,
  stream_options: { include_usage: true },
  ...extra,
});
const TOOLS = { tools: [{ type: 'function', function: { name: 'get_current_time', parameters: { type: 'object' } } }] };

/** Splits an SSE body into its `data:` payloads, checking the framing on the way. */
function events(body: string): string[] {
  expect(body.endsWith('\n\n')).toBe(true);
  return body
    .slice(0, -2)
    .split('\n\n')
    .map((event) => {
      expect(event.startsWith('data: ')).toBe(true);
      return event.slice('data: '.length);
    });
}

function chunksOf(body: string): Chunk[] {
  const data = events(body);
  expect(data.at(-1)).toBe('[DONE]');
  return data.slice(0, -1).map((d) => JSON.parse(d) as Chunk);
}

describe('dialects', () => {
  it('openai: role chunk, usage:null on every chunk, fragmented tool arguments, usage chunk with choices []', async () => {
    const server = await start('openai');
    const res = await post(server, ask('What time is it?', TOOLS));
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const chunks = chunksOf(await res.text());
    expect(chunks[0].choices?.[0].delta).toMatchObject({ role: 'assistant', content: '' });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const deltas = chunks.flatMap((c) => c.choices?.[0]?.delta.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_current_time', arguments: '' } });
    expect(deltas.slice(1).every((d) => d.id === undefined && d.index === 0)).toBe(true);
    const args = deltas.map((d) => (d.function as { arguments: string }).arguments).join('');
    expect(JSON.parse(args)).toEqual({ timezone: 'UTC' });
    expect(chunks.at(-2)?.choices?.[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage?.completion_tokens).toBe(deltas.length - 1);
  });

  it('ollama: role on every chunk, whole tool calls, fp_ollama, any bearer accepted', async () => {
    const server = await start('ollama');
    const text = chunksOf(await (await post(server, ask('hello'), { key: 'ollama' })).text());
    expect(text.filter((c) => c.choices?.length).every((c) => c.choices?.[0].delta.role === 'assistant')).toBe(true);
    expect(text.every((c) => c.system_fingerprint === 'fp_ollama')).toBe(true);
    expect(text.at(-1)?.usage?.total_tokens).toBeGreaterThan(0);
    const tools = chunksOf(await (await post(server, ask('What time is it?', TOOLS), { key: 'anything' })).text());
    const deltas = tools.flatMap((c) => c.choices?.[0]?.delta.tool_calls ?? []);
    expect(deltas).toHaveLength(1);
    expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_current_time', arguments: '{"timezone":"UTC"}' } });
    expect(tools.find((c) => c.choices?.[0]?.finish_reason)?.choices?.[0].finish_reason).toBe('tool_calls');
  });

  it('groq: x_groq id first, usage only as x_groq.usage on the finish chunk', async () => {
    const server = await start('groq');
    const chunks = chunksOf(await (await post(server, ask('hello'))).text());
    expect(chunks[0].x_groq?.id).toMatch(/^req_/);
    expect(chunks.every((c) => !c.usage)).toBe(true);
    const last = chunks.at(-1)!;
    expect(last.choices?.[0].finish_reason).toBe('stop');
    expect(last.x_groq?.usage).toMatchObject({ prompt_tokens: expect.any(Number), completion_tokens: expect.any(Number), total_time: expect.any(Number) });
  });

  it('vllm: the usage chunk has choices null', async () => {
    const server = await start('vllm');
    const chunks = chunksOf(await (await post(server, ask('hello'))).text());
    expect(chunks.at(-1)?.choices).toBeNull();
    expect(chunks.at(-1)?.usage?.completion_tokens).toBeGreaterThan(0);
  });
});

describe('stream faults', () => {
  it('malformed: a `data: {not json` line in the middle, the rest still follows', async () => {
    const server = await start();
    server.control.addFault({ vendor: 'openai', fault: { type: 'malformed' }, times: 1 });
    const data = events(await (await post(server, ask('hello there'))).text());
    const bad = data.indexOf('{not json');
    expect(bad).toBeGreaterThan(0);
    expect(bad).toBeLessThan(data.length - 2);
    expect(data.at(-1)).toBe('[DONE]');
  });

  it('mid-stream error: an error event, then the stream ends without [DONE]', async () => {
    const server = await start();
    openAiSimExtras(server.control).midStreamErrors = 1;
    const data = events(await (await post(server, ask('hello there'))).text());
    const last = JSON.parse(data.at(-1)!) as { error: { type: string } };
    expect(last.error.type).toBe('server_error');
    expect(data).not.toContain('[DONE]');
    // Only the next stream failed.
    expect(chunksOf(await (await post(server, ask('hello there'))).text()).length).toBeGreaterThan(3);
  });

  it('drop: the body is cut without [DONE] and the log says the server closed it', async () => {
    sim = await startSimServer({ latencies: { llmTtftMs: 10, llmTokensPerSecond: 50 } });
    sim.control.addFault({ vendor: 'openai', fault: { type: 'drop', afterMs: 100 }, times: 1 });
    const res = await post(sim, ask('hello there, how are you doing today'));
    let received = '';
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          received += decoder.decode(value);
        }
      })(),
    ).rejects.toThrow();
    expect(received).toContain('data: {');
    expect(received).not.toContain('[DONE]');
    expect(sim.control.last('openai')?.closedBy).toBe('server');
  });

  it('client abort: logged as closed by the client right away, and the stream is not finished', async () => {
    sim = await startSimServer({ latencies: { llmTtftMs: 10, llmTokensPerSecond: 20 } });
    const server = sim;
    const abortOnce = async () => {
      const controller = new AbortController();
      const res = await post(server, ask('hello there, how are you doing today'), { signal: controller.signal });
      const reader = res.body!.getReader();
      await reader.read();
      const abortedAt = performance.now();
      controller.abort();
      await reader.read().catch(() => undefined);
      const connection = await server.control.waitFor(() => (server.control.last('openai')?.closedAt != null ? server.control.last('openai') : undefined));
      return { connection, abortedAt };
    };
    // The first abort in a process pays for source-map parsing of the error stack (test tooling).
    await abortOnce();
    const { connection, abortedAt } = await abortOnce();
    expect(server.control.connections).toHaveLength(2);
    expect(connection.closedBy).toBe('client');
    expect(connection.closedAt! - abortedAt).toBeLessThanOrEqual(50);
    expect(connection.events.map((e) => e.type)).not.toContain('done');
  });

  it('wrong key: 401 in OpenAI shape', async () => {
    const server = await start();
    const res = await post(server, ask('hi'), { key: 'sk-not-the-right-one' });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key', param: null });
    expect(JSON.stringify(body)).not.toContain('sk-not-the-right');
  });
});
