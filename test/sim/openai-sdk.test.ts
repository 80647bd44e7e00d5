// The OpenAI simulator spoken to with the official `openai` SDK: if the SDK (and its stream helpers)
// accept what the simulator sends, the simulator speaks OpenAI's wire format. Streaming text and tool
// calls, the usage chunk, pacing, refusals mapped to the SDK's error classes, and transcription of
// real (flite) speech.
import OpenAI, { AuthenticationError, BadRequestError, InternalServerError, RateLimitError, toFile } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { writeWav } from '../../src/audio/wav.js';
import { startSimServer, type SimServer, type SimServerOptions } from '../../sim/sim-server.js';
import { silence, speak } from '../helpers/speech.js';

const KEY = 'sim-openai-key';
const TIME_TOOL = {
  type: 'function' as const,
  function: { name: 'get_current_time', description: 'Current time', parameters: { type: 'object', properties: { timezone: { type: 'string' } } } },
};

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});

async function start(options: SimServerOptions = {}): Promise<{ sim: SimServer; client: OpenAI }> {
  sim = await startSimServer({ latencies: { llmTtftMs: 20, llmTokensPerSecond: 500, sttFinalDelayMs: 10 }, ...options });
  return { sim, client: sdk(sim, KEY) };
}

function sdk(server: SimServer, apiKey: string): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${server.httpUrl}/v1`, maxRetries: 0, logLevel: 'off' });
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

describe('chat completions', () => {
  it('streams a text reply: role chunk, token chunks, finish chunk, usage chunk, [DONE]', async () => {
    const { sim, client } = await start();
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hello there' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = await collect(stream);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('You said: "hello there". That is interesting. Tell me more.');
    // Several token chunks, all with the same id.
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(5);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    const finish = chunks.findIndex((c) => c.choices[0]?.finish_reason);
    expect(chunks[finish].choices[0].finish_reason).toBe('stop');
    const last = chunks[chunks.length - 1];
    expect(finish).toBe(chunks.length - 2);
    expect(last.choices).toEqual([]);
    expect(last.usage?.completion_tokens).toBe(chunks.filter((c) => c.choices[0]?.delta.content).length);
    expect(last.usage?.total_tokens).toBe((last.usage?.prompt_tokens ?? 0) + (last.usage?.completion_tokens ?? 0));
    const connection = sim.control.last('openai', '/v1/chat/completions')!;
    expect(connection.events.map((e) => e.type)).toContain('done');
    // The SDK announces its attempt number; the simulator records it.
    expect(connection.events.find((e) => e.type === 'retry_count')?.detail).toBe('0');
  });

  it('sends no usage chunk when include_usage is not asked for', async () => {
    const { client } = await start();
    const chunks = await collect(await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }));
    expect(chunks.every((c) => c.usage === undefined || c.usage === null)).toBe(true);
    expect(chunks[chunks.length - 1].choices[0].finish_reason).toBe('stop');
  });

  it('streams tool calls in fragments that the SDK stream helper assembles', async () => {
    const { client } = await start();
    const stream = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'What time is it?' }],
      tools: [TIME_TOOL],
      stream_options: { include_usage: true },
    });
    const toolDeltas: number[] = [];
    stream.on('chunk', (chunk) => {
      if (chunk.choices[0]?.delta.tool_calls) toolDeltas.push(chunk.choices[0].delta.tool_calls.length);
    });
    const completion = await stream.finalChatCompletion();
    const choice = completion.choices[0];
    expect(choice.finish_reason).toBe('tool_calls');
    const call = choice.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.id).toMatch(/^call_/);
    expect(call.function.name).toBe('get_current_time');
    expect(JSON.parse(call.function.arguments)).toEqual({ timezone: 'UTC' });
    // The id+name fragment and then more than one argument fragment.
    expect(toolDeltas.length).toBeGreaterThan(2);
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('answers the tool result it is given', async () => {
    const { client } = await start();
    const completion = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'What time is it?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_current_time', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '12:00 UTC' },
      ],
      tools: [TIME_TOOL],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0].message.content).toBe('Here is what I found: 12:00 UTC. Anything else?');
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);
  });

  it('paces the stream: first token after llmTtftMs, stretched by a slow fault', async () => {
    const { sim, client } = await start({ latencies: { llmTtftMs: 80, llmTokensPerSecond: 400 } });
    const firstTokenAfter = async (): Promise<number> => {
      const t0 = performance.now();
      const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true });
      let first = -1;
      for await (const chunk of stream) if (first < 0 && chunk.choices[0]?.delta.content) first = performance.now() - t0;
      return first;
    };
    expect(await firstTokenAfter()).toBeGreaterThanOrEqual(75);
    sim.control.addFault({ vendor: 'openai', fault: { type: 'slow', factor: 3 }, times: 1 });
    expect(await firstTokenAfter()).toBeGreaterThanOrEqual(235);
  });

  it('refuses a wrong key with 401 invalid_api_key (AuthenticationError)', async () => {
    const { sim } = await start();
    const err = await sdk(sim, 'sk-wrong-key-1234')
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('invalid_api_key');
    // Only the last characters of the key are echoed.
    expect((err as Error).message).not.toContain('sk-wrong-key');
  });

  it('refuses a missing key with 401', async () => {
    const { sim } = await start();
    const res = await fetch(`${sim.httpUrl}/v1/chat/completions`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string; type: string } };
    expect(body.error).toMatchObject({ code: 'invalid_api_key', type: 'invalid_request_error' });
  });

  it('maps a 429 fault to RateLimitError with retry headers, and is not retried with maxRetries 0', async () => {
    const { sim, client } = await start();
    sim.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 429, retryAfterS: 2 }, times: 1 });
    const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    const limited = err as RateLimitError;
    expect(limited.code).toBe('rate_limit_exceeded');
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(limited.headers.get('retry-after-ms')).toBe('2000');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    // The fault was used up by that one request and the SDK did not come back.
    const next = await collect(await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }], stream: true }));
    expect(next.length).toBeGreaterThan(0);
    expect(sim.control.connections.filter((c) => c.vendor === 'openai')).toHaveLength(1);
  });

  it('maps 500 and 503 faults to InternalServerError', async () => {
    const { sim, client } = await start();
    for (const status of [500, 503] as const) {
      sim.control.addFault({ vendor: 'openai', fault: { type: 'status', status }, times: 1 });
      const err = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InternalServerError);
      expect((err as InternalServerError).status).toBe(status);
      expect((err as InternalServerError).type).toBe('server_error');
    }
  });

  it('validates the body: missing model or messages is a 400 invalid_request_error', async () => {
    const { client } = await start();
    const noMessages = await client.chat.completions.create({ model: 'm' } as never).catch((e: unknown) => e);
    expect(noMessages).toBeInstanceOf(BadRequestError);
    expect((noMessages as BadRequestError).param).toBe('messages');
    expect((noMessages as BadRequestError).type).toBe('invalid_request_error');
    const noModel = await client.chat.completions.create({ messages: [{ role: 'user', content: 'hi' }] } as never).catch((e: unknown) => e);
    expect(noModel).toBeInstanceOf(BadRequestError);
    expect((noModel as BadRequestError).param).toBe('model');
  });

  it('a malformed fault makes the SDK stream throw instead of ending quietly', async () => {
    const { sim, client } = await start();
    sim.control.addFault({ vendor: 'openai', fault: { type: 'malformed' }, times: 1 });
    const stream = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hello there' }], stream: true });
    await expect(collect(stream)).rejects.toBeInstanceOf(SyntaxError);
  });
});

describe('audio transcriptions', () => {
  const LINE = 'what time is it in London';
  const wavOf = (samples: Int16Array) => writeWav({ sampleRate: 16000, channels: 1, samples });

  it('transcribes a flite WAV as the script line (json, text and verbose_json with words)', async () => {
    const { client } = await start({ script: [LINE] });
    const audio = new Int16Array([...silence(300), ...speak('What time is it in London'), ...silence(400)]);
    const json = await client.audio.transcriptions.create({ file: await toFile(wavOf(audio), 'a.wav'), model: 'gpt-4o-transcribe' });
    expect(json.text).toBe(LINE);
    const text = await client.audio.transcriptions.create({ file: await toFile(wavOf(audio), 'a.wav'), model: 'whisper-1', response_format: 'text' });
    expect(text.trim()).toBe(LINE);
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(wavOf(audio), 'a.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word'],
      language: 'en',
    });
    expect(verbose.text).toBe(LINE);
    expect(verbose.duration).toBeCloseTo(audio.length / 16000, 2);
    expect(verbose.words?.map((w) => w.word)).toEqual(LINE.split(' '));
    // Words sit inside the speech, after the leading silence.
    expect(verbose.words?.[0].start).toBeGreaterThanOrEqual(0.25);
    expect(verbose.words?.at(-1)?.end).toBeLessThanOrEqual(audio.length / 16000);
  });

  it('hears nothing in silence', async () => {
    const { client } = await start({ script: [LINE] });
    const json = await client.audio.transcriptions.create({ file: await toFile(wavOf(silence(800)), 'a.wav'), model: 'gpt-4o-transcribe' });
    expect(json.text).toBe('');
  });

  it('refuses audio that is not a WAV, and verbose_json for gpt-4o models, with 400', async () => {
    const { client } = await start({ script: [LINE] });
    const bad = await client.audio.transcriptions
      .create({ file: await toFile(Buffer.from('ID3\u0003 this is not audio at all'), 'a.wav'), model: 'whisper-1' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(BadRequestError);
    expect((bad as Error).message).toContain('Invalid file format');
    const incompatible = await client.audio.transcriptions
      .create({ file: await toFile(wavOf(silence(500)), 'a.wav'), model: 'gpt-4o-transcribe', response_format: 'verbose_json' })
      .catch((e: unknown) => e);
    expect(incompatible).toBeInstanceOf(BadRequestError);
    expect((incompatible as BadRequestError).param).toBe('response_format');
  });

  it('refuses a wrong key', async () => {
    const { sim } = await start({ script: [LINE] });
    const err = await sdk(sim, 'nope-nope')
      .audio.transcriptions.create({ file: await toFile(wavOf(silence(500)), 'a.wav'), model: 'whisper-1' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthenticationError);
  });
});
