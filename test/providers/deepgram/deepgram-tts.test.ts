// DeepgramTts against the simulator, over both transports: exact audio through unaligned pieces,
// refusals and faults as ProviderErrors, and cancellation timing seen from the server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm } from '../../../src/audio/pcm.js';
import { DeepgramTts, type DeepgramTtsOptions } from '../../../src/providers/deepgram/deepgram-tts.js';
import { splitSpeakText } from '../../../src/providers/deepgram/speak-text.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { AbortedError, type TtsAudio } from '../../../src/providers/types.js';
import type { SimFault } from '../../../sim/sim-control.js';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import { synthesizeSpeech } from '../../../sim/sim-voice.js';

const TEXT = 'Your table for two is booked for seven tonight.';
const TTFB_MS = 20;
const REALTIME_FACTOR = 25;

let sim: SimServer;

beforeAll(async () => {
  sim = await startSimServer({ latencies: { ttsTtfbMs: TTFB_MS, ttsRealtimeFactor: REALTIME_FACTOR } });
});
afterAll(async () => {
  await sim.close();
});

async function collect(audio: AsyncIterable<TtsAudio>): Promise<{ chunks: TtsAudio[]; firstAt: number }> {
  const chunks: TtsAudio[] = [];
  let firstAt = 0;
  for await (const chunk of audio) {
    if (chunks.length === 0) firstAt = performance.now();
    chunks.push(chunk);
  }
  return { chunks, firstAt };
}

async function failure(audio: AsyncIterable<TtsAudio>): Promise<unknown> {
  try {
    await collect(audio);
  } catch (err) {
    return err;
  }
  throw new Error('expected the synthesis to fail');
}

describe.each(['websocket', 'rest'] as const)('DeepgramTts over %s', (transport) => {
  const path = '/v1/speak';
  const tts = (options: Partial<DeepgramTtsOptions> = {}) => new DeepgramTts({ apiKey: sim.control.keys.deepgram, baseUrl: sim.httpUrl, transport, ...options });
  const fault = (f: SimFault) => sim.control.addFault({ vendor: 'deepgram', path, fault: f, times: 1 });
  const lastSpeak = () => sim.control.last('deepgram', path)!;
  const request = (overrides: Partial<{ text: string; sampleRate: number; voice: string; signal: AbortSignal }> = {}) => ({
    text: TEXT,
    sampleRate: 16000,
    signal: new AbortController().signal,
    ...overrides,
  });

  it('returns exactly the voice audio, as PCM16 at the requested rate, without word timings', async () => {
    const provider = tts();
    expect(provider.capabilities.wordTimestamps).toBe(false);
    const { chunks } = await collect(provider.synthesize(request({ sampleRate: 24000 })));
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => c.words === undefined && c.samples.length > 0)).toBe(true);
    const expected = synthesizeSpeech(TEXT, 24000, 'aura-2-thalia-en').samples;
    const got = concatPcm(chunks.map((c) => c.samples));
    expect(got.length).toBe(expected.length);
    expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(Buffer.from(expected.buffer, expected.byteOffset, expected.byteLength))).toBe(true);
    await sim.control.waitFor(() => lastSpeak().closedAt ?? undefined);
  });

  it('uses the request voice as the model', async () => {
    const { chunks } = await collect(tts().synthesize(request({ voice: 'aura-2-orion-en' })));
    const got = concatPcm(chunks.map((c) => c.samples));
    expect(got.length).toBe(synthesizeSpeech(TEXT, 16000, 'aura-2-orion-en').samples.length);
  });

  it('refuses a sample rate Deepgram cannot produce, naming the supported ones', async () => {
    const err = await failure(tts().synthesize(request({ sampleRate: 44100 })));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'bad_request' });
    expect((err as Error).message).toContain('8000, 16000, 24000, 32000, 48000');
  });

  it('wrong key: auth error with status 401 and the vendor message', async () => {
    const err = await failure(tts({ apiKey: 'nope' }).synthesize(request()));
    expect(err).toMatchObject({ kind: 'auth', status: 401, retryable: false });
    expect((err as Error).message).toContain('Invalid credentials');
  });

  it('429 with retry-after: rate_limited with retryAfterMs', async () => {
    fault({ type: 'status', status: 429, retryAfterS: 2 });
    expect(await failure(tts().synthesize(request()))).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000 });
  });

  it('500: server error', async () => {
    fault({ type: 'status', status: 500 });
    expect(await failure(tts().synthesize(request()))).toMatchObject({ kind: 'server', status: 500 });
  });

  it('dropped after N ms mid-audio: network error', async () => {
    sim.control.latencies.ttsRealtimeFactor = 2;
    try {
      fault({ type: 'drop', afterMs: 120 });
      const received: TtsAudio[] = [];
      let err: unknown;
      try {
        for await (const chunk of tts().synthesize(request())) received.push(chunk);
      } catch (e) {
        err = e;
      }
      expect(received.length).toBeGreaterThan(0);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toMatchObject({ kind: 'network' });
    } finally {
      sim.control.latencies.ttsRealtimeFactor = REALTIME_FACTOR;
    }
  });

  it('slow: the audio still arrives, after the slowed time to first byte', async () => {
    fault({ type: 'slow', factor: 8 });
    const started = performance.now();
    const { chunks, firstAt } = await collect(tts().synthesize(request()));
    expect(chunks.length).toBeGreaterThan(0);
    expect(firstAt - started).toBeGreaterThanOrEqual(TTFB_MS * 8 - 5);
  });

  it('malformed response: a clear protocol error', async () => {
    fault({ type: 'malformed' });
    const err = await failure(tts().synthesize(request()));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ kind: 'protocol' });
    expect((err as Error).message).toMatch(transport === 'rest' ? /expected audio/ : /not a JSON message/);
  });

  it('wrong audio format (a WAV header where raw audio was asked): protocol error wrong_audio_format', async () => {
    fault({ type: 'wrong_audio_format' });
    const err = await failure(tts().synthesize(request()));
    expect(err).toMatchObject({ kind: 'protocol', code: 'wrong_audio_format' });
    expect((err as Error).message).toContain('WAV');
  });

  it('abort mid-stream: AbortedError, and the simulator sees the client close within 50 ms', async () => {
    sim.control.latencies.ttsRealtimeFactor = 1;
    try {
      const controller = new AbortController();
      const received: TtsAudio[] = [];
      let abortedAt = 0;
      let err: unknown;
      try {
        for await (const chunk of tts().synthesize(request({ signal: controller.signal }))) {
          received.push(chunk);
          if (received.length === 2) {
            abortedAt = performance.now();
            controller.abort();
          }
        }
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AbortedError);
      expect(received).toHaveLength(2);
      const connection = lastSpeak();
      await sim.control.waitFor(() => connection.closedAt ?? undefined);
      expect(connection.closedBy).toBe('client');
      expect(connection.closedAt! - abortedAt).toBeLessThanOrEqual(50);
      if (transport === 'websocket') expect(connection.events.map((e) => e.type)).toContain('clear');
    } finally {
      sim.control.latencies.ttsRealtimeFactor = REALTIME_FACTOR;
    }
  });

  it('abort while the consumer waits for audio rejects the pending read at once', async () => {
    fault({ type: 'slow', factor: 50 });
    const controller = new AbortController();
    const iterator = tts().synthesize(request({ signal: controller.signal }))[Symbol.asyncIterator]();
    const pending = iterator.next();
    await sim.control.waitFor(() => (lastSpeak()?.closedAt === null ? lastSpeak() : undefined));
    const abortedAt = performance.now();
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
    expect(performance.now() - abortedAt).toBeLessThan(50);
  });

  it('a consumer that stops early closes the connection', async () => {
    sim.control.latencies.ttsRealtimeFactor = 1;
    try {
      for await (const chunk of tts().synthesize(request())) {
        expect(chunk.samples.length).toBeGreaterThan(0);
        break;
      }
      const connection = lastSpeak();
      await sim.control.waitFor(() => connection.closedAt ?? undefined, 1000);
      expect(connection.closedBy).toBe('client');
    } finally {
      sim.control.latencies.ttsRealtimeFactor = REALTIME_FACTOR;
    }
  });

  it('empty text produces no audio and no request', async () => {
    const before = sim.control.connections.length;
    const { chunks } = await collect(tts().synthesize(request({ text: '   ' })));
    expect(chunks).toHaveLength(0);
    expect(sim.control.connections.length).toBe(before);
  });
});

describe('DeepgramTts details', () => {
  it('the WebSocket transport ends a finished synthesis with Close; the server never saw a Clear', async () => {
    const tts = new DeepgramTts({ apiKey: sim.control.keys.deepgram, baseUrl: sim.httpUrl });
    await collect(tts.synthesize({ text: 'Short.', sampleRate: 8000, signal: new AbortController().signal }));
    const connection = sim.control.last('deepgram', '/v1/speak')!;
    await sim.control.waitFor(() => connection.closedAt ?? undefined);
    const types = connection.events.map((e) => e.type);
    expect(types).toEqual(['flush', 'close']);
  });

  it('splits text over 2000 characters at spaces', () => {
    const words = Array.from({ length: 700 }, (_, i) => `word${i}`);
    const pieces = splitSpeakText(words.join(' '));
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.every((p) => p.length <= 2000)).toBe(true);
    expect(pieces.join(' ')).toBe(words.join(' '));
    expect(splitSpeakText('x'.repeat(2500)).map((p) => p.length)).toEqual([2000, 500]);
  });

  it('text over the 2000-character limit is sent in pieces (one piece would be refused) and comes back whole', async () => {
    const long = Array.from({ length: 260 }, () => 'go').join(' ') + '. ' + 'Done now, thanks for waiting on me here today. '.repeat(30);
    expect(long.length).toBeGreaterThan(2000);
    sim.control.latencies.ttsRealtimeFactor = 400;
    try {
      const tts = new DeepgramTts({ apiKey: sim.control.keys.deepgram, baseUrl: sim.httpUrl });
      const { chunks } = await collect(tts.synthesize({ text: long, sampleRate: 8000, signal: new AbortController().signal }));
      const got = concatPcm(chunks.map((c) => c.samples));
      expect(got.length).toBe(synthesizeSpeech(long, 8000, 'aura-2-thalia-en').samples.length);
    } finally {
      sim.control.latencies.ttsRealtimeFactor = REALTIME_FACTOR;
    }
  });
});
