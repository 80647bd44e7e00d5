// ElevenLabsTts against the simulator: audio and word timings for PCM and μ-law, what goes on the wire,
// every fault turned into a ProviderError, and cancellation measured on the simulator's side.
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimServer, type SimServer } from '../../../sim/sim-server.js';
import { synthesizeSpeech } from '../../../sim/sim-voice.js';
import { ElevenLabsTts, type ElevenLabsTtsOptions } from '../../../src/providers/elevenlabs/elevenlabs-tts.js';
import { AbortedError, type TtsAudio, type WordTiming } from '../../../src/providers/types.js';
import { startStallProxy } from './stall-proxy.js';
import { providerFailure } from '../../helpers/provider-failure.js';

const KEY = 'sim-elevenlabs-key';
const TTFB = 25;
const RTF = 20;

let sim: SimServer;
beforeAll(async () => {
  sim = await startSimServer({ latencies: { ttsTtfbMs: TTFB, ttsRealtimeFactor: RTF }, timeouts: { elevenLabsInactivityMs: 300 } });
});
afterAll(() => sim.close());
beforeEach(() => sim.control.clearFaults());

const tts = (options: Partial<ElevenLabsTtsOptions> = {}) => new ElevenLabsTts({ apiKey: KEY, baseUrl: sim.wsUrl, voiceId: 'voice-main', ...options });

async function collect(provider: ElevenLabsTts, text: string, sampleRate = 16000, voice?: string): Promise<{ chunks: TtsAudio[]; samples: number; words: WordTiming[] }> {
  const chunks: TtsAudio[] = [];
  for await (const chunk of provider.synthesize({ text, sampleRate, voice, signal: new AbortController().signal })) chunks.push(chunk);
  return { chunks, samples: chunks.reduce((n, c) => n + c.samples.length, 0), words: chunks.flatMap((c) => c.words ?? []) };
}


function expectMonotonic(words: WordTiming[]): void {
  for (let i = 0; i < words.length; i++) {
    expect(words[i].endMs).toBeGreaterThan(words[i].startMs);
    if (i > 0) expect(words[i].startMs).toBeGreaterThanOrEqual(words[i - 1].endMs);
  }
}

describe('ElevenLabsTts happy path', () => {
  it('streams PCM at the requested rate with word timings matching the text', async () => {
    const text = 'Hello there, this is Parley speaking.';
    const result = await collect(tts(), text);
    const reference = synthesizeSpeech(text, 16000);
    expect(result.samples).toBe(reference.samples.length);
    expect(result.chunks.length).toBeGreaterThan(3);
    expect(result.words.map((w) => w.word)).toEqual(text.split(' '));
    expectMonotonic(result.words);
    result.words.forEach((w, i) => {
      expect(Math.abs(w.startMs - reference.words[i].startMs)).toBeLessThanOrEqual(1);
      expect(Math.abs(w.endMs - reference.words[i].endMs)).toBeLessThanOrEqual(1);
    });
    // On the wire: the key in the header (so no key in messages), the model, the format and the voice.
    const connection = sim.control.last('elevenlabs', '/stream-input')!;
    expect(connection.path).toBe('/v1/text-to-speech/voice-main/stream-input');
    const query = new URLSearchParams(connection.events.find((e) => e.type === 'open')!.detail!.split(' ')[1]);
    expect(query.get('model_id')).toBe('eleven_flash_v2_5');
    expect(query.get('output_format')).toBe('pcm_16000');
    expect(query.get('sync_alignment')).toBe('true');
    expect(connection.events.map((e) => e.type)).toContain('eos');
    // With alignment per chunk, words come with (or just after) the audio they describe, not all up front.
    const withWords = result.chunks.map((c, i) => ((c.words?.length ?? 0) > 0 ? i : -1)).filter((i) => i >= 0);
    expect(withWords.length).toBeGreaterThan(2);
  });

  it('long text: word times stay relative to the synthesis across many chunks', async () => {
    const text =
      'This first sentence is long enough to fill the opening chunk of the schedule on its own, nearly. ' +
      'Then a second sentence follows, so the alignment arrives in dozens of separate audio messages.';
    const result = await collect(tts(), text, 24000);
    const reference = synthesizeSpeech(text, 24000);
    expect(result.samples).toBe(reference.samples.length);
    expect(result.words.map((w) => w.word)).toEqual(text.split(' '));
    expectMonotonic(result.words);
    result.words.forEach((w, i) => {
      expect(Math.abs(w.startMs - reference.words[i].startMs)).toBeLessThanOrEqual(1);
      expect(Math.abs(w.endMs - reference.words[i].endMs)).toBeLessThanOrEqual(1);
    });
  });

  it('without sync_alignment: the same words from the alignment on each generation\'s first chunk', async () => {
    const text = 'Alignment only once, up front.';
    const result = await collect(tts({ syncAlignment: false }), text);
    const reference = synthesizeSpeech(text, 16000);
    expect(result.words.map((w) => w.word)).toEqual(text.split(' '));
    result.words.forEach((w, i) => expect(Math.abs(w.startMs - reference.words[i].startMs)).toBeLessThanOrEqual(1));
    const query = new URLSearchParams(sim.control.last('elevenlabs', '/stream-input')!.events.find((e) => e.type === 'open')!.detail!.split(' ')[1]);
    expect(query.has('sync_alignment')).toBe(false);
  });

  it('request.voice overrides voiceId; voice settings and inactivity timeout are sent', async () => {
    await collect(tts({ voiceSettings: { stability: 0.4, speed: 1.1 }, inactivityTimeoutS: 30, modelId: 'eleven_turbo_v2_5' }), 'Other voice.', 22050, 'voice-alt');
    const connection = sim.control.last('elevenlabs', '/stream-input')!;
    expect(connection.path).toBe('/v1/text-to-speech/voice-alt/stream-input');
    const query = new URLSearchParams(connection.events.find((e) => e.type === 'open')!.detail!.split(' ')[1]);
    expect(query.get('inactivity_timeout')).toBe('30');
    expect(query.get('model_id')).toBe('eleven_turbo_v2_5');
    expect(query.get('output_format')).toBe('pcm_22050');
  });

  it('ulaw_8000: decodes μ-law to PCM16 at 8000 Hz', async () => {
    const text = 'Telephone quality audio.';
    const result = await collect(tts({ outputFormat: 'ulaw_8000' }), text, 8000);
    expect(result.samples).toBe(synthesizeSpeech(text, 8000).samples.length);
    expect(result.words.map((w) => w.word)).toEqual(text.split(' '));
    const peak = Math.max(...result.chunks.flatMap((c) => Array.from(c.samples, Math.abs)));
    expect(peak).toBeGreaterThan(1000); // decoded speech, not silence or raw bytes
    const query = new URLSearchParams(sim.control.last('elevenlabs', '/stream-input')!.events.find((e) => e.type === 'open')!.detail!.split(' ')[1]);
    expect(query.get('output_format')).toBe('ulaw_8000');
  });

  it('ulaw_8000 at another request rate is resampled to that rate', async () => {
    const text = 'Resampled to sixteen.';
    const result = await collect(tts({ outputFormat: 'ulaw_8000' }), text, 16000);
    const expected = synthesizeSpeech(text, 8000).samples.length * 2;
    // Within the resampler's filter delay (a few ms).
    expect(Math.abs(result.samples - expected)).toBeLessThanOrEqual(64);
    expect(result.words.map((w) => w.word)).toEqual(text.split(' '));
  });

  it('refuses a sample rate ElevenLabs does not offer as PCM with bad_request', async () => {
    const err = await providerFailure(() => collect(tts(), 'Odd rate.', 11025));
    expect(err.kind).toBe('bad_request');
  });

  it('yields nothing for blank text without opening a socket', async () => {
    const before = sim.control.connections.length;
    expect((await collect(tts(), '   ')).chunks).toHaveLength(0);
    expect(sim.control.connections.length).toBe(before);
  });
});

describe('ElevenLabsTts faults', () => {
  it('wrong key: auth error with status 401 and the vendor message', async () => {
    const err = await providerFailure(() => collect(tts({ apiKey: 'wrong-key' }), 'Hello.'));
    expect(err.kind).toBe('auth');
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/Invalid API key/);
    expect(err.message).not.toMatch(/wrong-key/);
  });

  it('429: rate_limited with retryAfterMs from retry-after', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'status', status: 429, retryAfterS: 3 }, times: 1 });
    const err = await providerFailure(() => collect(tts(), 'Hello.'));
    expect(err.kind).toBe('rate_limited');
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(3000);
  });

  it('500: server error', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'status', status: 500 }, times: 1 });
    const err = await providerFailure(() => collect(tts(), 'Hello.'));
    expect(err.kind).toBe('server');
    expect(err.status).toBe(500);
  });

  it('drop mid-stream: network error after some audio', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'drop', afterMs: TTFB + 40 }, times: 1 });
    let audioChunks = 0;
    const err = await providerFailure(async () => {
      for await (const _chunk of tts().synthesize({ text: 'A long enough sentence to still be streaming when the connection drops.', sampleRate: 16000, signal: new AbortController().signal })) {
        audioChunks++;
      }
    });
    expect(audioChunks).toBeGreaterThan(0);
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(/dropped/);
  });

  it('slow: same audio, later', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'slow', factor: 4 }, times: 1 });
    const text = 'Slow but complete.';
    const started = performance.now();
    const result = await collect(tts(), text);
    const elapsed = performance.now() - started;
    expect(result.samples).toBe(synthesizeSpeech(text, 16000).samples.length);
    // ttfb × 4 plus the audio at a quarter of the usual speed.
    expect(elapsed).toBeGreaterThanOrEqual(TTFB * 4 + (text.length * 60) / (RTF / 4) - 60);
  });

  it('malformed: a non-JSON frame becomes a protocol error', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'malformed' }, times: 1 });
    const err = await providerFailure(() => collect(tts(), 'Garbage is coming.'));
    expect(err.kind).toBe('protocol');
    expect(err.code).toBe('malformed_message');
    // The adapter hangs up rather than waiting for the rest of the stream.
    const connection = sim.control.last('elevenlabs', '/stream-input')!;
    expect(await sim.control.waitFor(() => connection.closedBy ?? undefined)).toBe('client');
  });

  it('wrong_audio_format: MP3 bytes where PCM was asked become a protocol error', async () => {
    sim.control.addFault({ vendor: 'elevenlabs', fault: { type: 'wrong_audio_format' }, times: 1 });
    const err = await providerFailure(() => collect(tts(), 'Not PCM.'));
    expect(err.kind).toBe('protocol');
    expect(err.code).toBe('wrong_audio_format');
  });

  it('inactivity timeout: the input_timeout_exceeded message and close 1008 become a timeout error', async () => {
    // The proxy passes the upgrade, then swallows our messages: the simulator sees an idle client.
    const proxy = await startStallProxy(sim.port);
    try {
      const provider = new ElevenLabsTts({ apiKey: KEY, baseUrl: `ws://127.0.0.1:${proxy.port}`, voiceId: 'voice-main' });
      const err = await providerFailure(() => collect(provider, 'These words never reach the server.'));
      expect(err.kind).toBe('timeout');
      expect(err.code).toBe('input_timeout_exceeded');
      expect(err.message).toMatch(/Have not received a new text input/);
      expect(sim.control.last('elevenlabs')!.events.some((e) => e.type === 'error' && e.detail === 'input_timeout_exceeded')).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('a server that cannot be reached: network error', async () => {
    const err = await providerFailure(() => collect(new ElevenLabsTts({ apiKey: KEY, baseUrl: 'ws://127.0.0.1:1', voiceId: 'v' }), 'Hello.'));
    expect(err.kind).toBe('network');
  });
});

describe('ElevenLabsTts cancellation', () => {
  it('abort mid-stream closes the socket at once (simulator: closedBy client within 50 ms) and throws AbortedError', async () => {
    const controller = new AbortController();
    const text = 'This sentence is long enough that the stream is still running when we abort it.';
    let abortedAt = 0;
    let chunks = 0;
    let thrown: unknown = null;
    try {
      for await (const _chunk of tts().synthesize({ text, sampleRate: 16000, signal: controller.signal })) {
        chunks++;
        if (chunks === 2) {
          abortedAt = performance.now();
          controller.abort();
        }
      }
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AbortedError);
    const connection = sim.control.last('elevenlabs', '/stream-input')!;
    const closedAt = await sim.control.waitFor(() => connection.closedAt ?? undefined);
    expect(connection.closedBy).toBe('client');
    expect(closedAt - abortedAt).toBeLessThanOrEqual(50);
    expect(closedAt).toBeGreaterThanOrEqual(abortedAt);
  });

  it('abort while the consumer is not pulling still closes the socket at once', async () => {
    const controller = new AbortController();
    const stream = tts().synthesize({ text: 'Another long sentence that keeps the simulator busy for a while longer.', sampleRate: 16000, signal: controller.signal });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const abortedAt = performance.now();
    controller.abort();
    const connection = sim.control.last('elevenlabs', '/stream-input')!;
    const closedAt = await sim.control.waitFor(() => connection.closedAt ?? undefined);
    expect(connection.closedBy).toBe('client');
    expect(closedAt - abortedAt).toBeLessThanOrEqual(50);
    await expect(iterator.next()).rejects.toBeInstanceOf(AbortedError);
  });

  it('an already aborted signal throws AbortedError without connecting', async () => {
    const before = sim.control.connections.length;
    const controller = new AbortController();
    controller.abort();
    await expect(collect2(controller.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(sim.control.connections.length).toBe(before);
  });
});

async function collect2(signal: AbortSignal): Promise<void> {
  for await (const _chunk of tts().synthesize({ text: 'Never.', sampleRate: 16000, signal })) {
    // nothing
  }
}
