// OpenAiTranscriber (batch STT) against the simulator with real flite speech: one upload per
// finalize(), finals in order with stream-time offsets, word times from whisper-1, close() flushing
// what is pending, and every failure reported as exactly one `error` event.
import { performance } from 'node:perf_hooks';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SimServer } from '../../../sim/sim-server.js';
import { startSimServer } from '../../../sim/sim-server.js';
import { OpenAiTranscriber, type OpenAiTranscriberOptions } from '../../../src/providers/openai/openai-transcriber.js';
import type { SttEvent, SttStream } from '../../../src/providers/types.js';
import { silence, speak } from '../../helpers/speech.js';
import { concatPcm } from '../../../src/audio/pcm.js';

const RATE = 16000;
const LINES = ['what time is it in London', 'please book a table for two'];
let first: Int16Array;
let second: Int16Array;
beforeAll(() => {
  first = concatPcm([silence(200), speak('What time is it in London'), silence(300)]);
  second = concatPcm([silence(200), speak('Please book a table for two'), silence(300)]);
});

let sim: SimServer | null = null;
afterEach(async () => {
  await sim?.close();
  sim = null;
});


/** Writes in 20 ms frames, as a call would. */
function writeFrames(stream: SttStream, samples: Int16Array): void {
  const frame = (RATE * 20) / 1000;
  for (let at = 0; at < samples.length; at += frame) stream.write(samples.subarray(at, at + frame));
}

async function open(options: Partial<OpenAiTranscriberOptions> = {}, language?: string) {
  sim ??= await startSimServer({ script: LINES, latencies: { sttFinalDelayMs: 10 } });
  const stt = new OpenAiTranscriber({ apiKey: sim.control.keys.openai, baseUrl: `${sim.httpUrl}/v1`, ...options });
  const events: SttEvent[] = [];
  const controller = new AbortController();
  const stream = stt.open({ sampleRate: RATE, language, signal: controller.signal, onEvent: (e) => events.push(e) });
  const server = sim;
  const waitForEvents = (n: number) => until(() => events.length >= n);
  return { stt, stream, events, controller, server, waitForEvents };
}

/** Polls: client-side events do not wake the simulator's waitFor. */
async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`condition not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const durationMs = (samples: Int16Array) => (samples.length / RATE) * 1000;

describe('transcription', () => {
  it('finalize() uploads the audio since the last final; finals come in order with stream times', async () => {
    const { stt, stream, events, waitForEvents, server } = await open();
    expect(stt.capabilities).toMatchObject({ streaming: false, wordTimestamps: false });
    writeFrames(stream, first);
    stream.finalize();
    writeFrames(stream, second);
    stream.finalize();
    await waitForEvents(2);
    expect(events).toEqual([
      { type: 'final', text: LINES[0], confidence: 1, startMs: 0, endMs: durationMs(first) },
      { type: 'final', text: LINES[1], confidence: 1, startMs: durationMs(first), endMs: durationMs(first) + durationMs(second) },
    ]);
    const requests = server.control.connections.map((c) => JSON.parse(c.events.find((e) => e.type === 'request')?.detail ?? '{}') as Record<string, unknown>);
    expect(requests).toHaveLength(2);
    expect(requests[0]).toMatchObject({ model: 'gpt-4o-transcribe', format: 'json' });
  });

  it('whisper-1 gives word timestamps offset to stream time; language is sent as ISO-639-1', async () => {
    const { stt, stream, events, waitForEvents, server } = await open({ model: 'whisper-1' }, 'en-US');
    expect(stt.capabilities.wordTimestamps).toBe(true);
    writeFrames(stream, first);
    stream.finalize();
    writeFrames(stream, second);
    stream.finalize();
    await waitForEvents(2);
    const final = events[1];
    if (final.type !== 'final') throw new Error(`expected a final, got ${final.type}`);
    expect(final.words?.map((w) => w.word)).toEqual(LINES[1].split(' '));
    // The words lie inside the second utterance's speech, in stream time.
    expect(final.words?.[0].startMs).toBeGreaterThanOrEqual(durationMs(first) + 150);
    expect(final.words?.at(-1)?.endMs).toBeLessThanOrEqual(durationMs(first) + durationMs(second));
    const request = JSON.parse(server.control.last('openai')?.events.find((e) => e.type === 'request')?.detail ?? '{}') as Record<string, unknown>;
    expect(request).toMatchObject({ model: 'whisper-1', format: 'verbose_json', language: 'en', granularities: ['word'] });
  });

  it('close() transcribes what is pending, then nothing more is taken or emitted', async () => {
    const { stream, events, waitForEvents, server } = await open();
    writeFrames(stream, first);
    stream.close();
    stream.write(second);
    stream.finalize();
    await waitForEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(events).toEqual([{ type: 'final', text: LINES[0], confidence: 1, startMs: 0, endMs: durationMs(first) }]);
    expect(server.control.connections).toHaveLength(1);
  });

  it('silence gives no final; audio shorter than 100 ms is not uploaded', async () => {
    const { stream, events, server } = await open();
    stream.write(silence(60));
    stream.finalize();
    stream.write(silence(500));
    stream.finalize();
    await server.control.waitFor(() => (server.control.connections.at(-1)?.closedAt != null ? true : undefined));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.control.connections).toHaveLength(1);
    expect(events).toEqual([]);
  });

  it('an abort cancels the upload in flight and silences the stream', async () => {
    sim = await startSimServer({ script: LINES, latencies: { sttFinalDelayMs: 2000 } });
    const { stream, events, controller, server } = await open();
    writeFrames(stream, first);
    stream.finalize();
    await server.control.waitFor(() => server.control.last('openai')?.events.find((e) => e.type === 'request'));
    controller.abort();
    const connection = await server.control.waitFor(() => (server.control.last('openai')?.closedAt != null ? server.control.last('openai') : undefined));
    // The server would only have closed it after its 2 s delay.
    expect(connection.closedBy).toBe('client');
    stream.write(second);
    stream.finalize();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events).toEqual([]);
    expect(server.control.connections).toHaveLength(1);
  });
});

describe('failures', () => {
  async function failWith(configure: (server: SimServer) => void, options: Partial<OpenAiTranscriberOptions> = {}) {
    sim = await startSimServer({ script: LINES, latencies: { sttFinalDelayMs: 10 } });
    configure(sim);
    const t = await open(options);
    writeFrames(t.stream, first);
    t.stream.finalize();
    // A second segment queued behind the failing one must not produce anything.
    writeFrames(t.stream, second);
    t.stream.finalize();
    await t.waitForEvents(1);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(t.events).toHaveLength(1);
    const event = t.events[0];
    if (event.type !== 'error') throw new Error(`expected an error, got ${event.type}`);
    // The stream is finished: more audio is ignored.
    t.stream.write(first);
    t.stream.finalize();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(t.events).toHaveLength(1);
    return { event, server: t.server };
  }

  it('wrong key: auth, not recoverable, key not in the message', async () => {
    const { event } = await failWith(() => {}, { apiKey: 'sk-wrong-transcriber-key' });
    expect(event.recoverable).toBe(false);
    expect(event.error).toMatchObject({ kind: 'auth', status: 401, code: 'invalid_api_key' });
    expect(event.message).not.toContain('sk-wrong-transcriber-key');
  });

  it('429: rate_limited and recoverable, with retryAfterMs', async () => {
    const { event } = await failWith((s) => s.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 429, retryAfterS: 3 }, times: 1 }));
    expect(event.recoverable).toBe(true);
    expect(event.error).toMatchObject({ kind: 'rate_limited', retryAfterMs: 3000 });
  });

  it('500: server error, recoverable', async () => {
    const { event } = await failWith((s) => s.control.addFault({ vendor: 'openai', fault: { type: 'status', status: 500 }, times: 1 }));
    expect(event.recoverable).toBe(true);
    expect(event.error?.kind).toBe('server');
  });

  it('malformed answer: protocol error', async () => {
    const { event } = await failWith((s) => s.control.addFault({ vendor: 'openai', fault: { type: 'malformed' }, times: 1 }));
    expect(event.recoverable).toBe(true);
    expect(event.error?.kind).toBe('protocol');
  });

  it('dropped connection: network error', async () => {
    const { event, server } = await failWith((s) => {
      s.control.latencies.sttFinalDelayMs = 300;
      s.control.addFault({ vendor: 'openai', fault: { type: 'drop', afterMs: 30 }, times: 1 });
    });
    expect(event.recoverable).toBe(true);
    expect(event.error?.kind).toBe('network');
    expect(server.control.connections[0].closedBy).toBe('server');
  });

  it('a model that refuses the request: bad_request, not recoverable', async () => {
    const { event } = await failWith(() => {}, { model: '' });
    expect(event.recoverable).toBe(false);
    expect(event.error?.kind).toBe('bad_request');
  });

  it('slow answers past timeoutMs: timeout, recoverable', async () => {
    const { event } = await failWith((s) => s.control.addFault({ vendor: 'openai', fault: { type: 'slow', factor: 50 } }), { timeoutMs: 150 });
    expect(event.recoverable).toBe(true);
    expect(event.error?.kind).toBe('timeout');
  });
});
