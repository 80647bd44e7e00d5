// CartesiaTts against the simulator: the audio and word timings a synthesis yields, and several
// syntheses sharing one socket.
import { afterEach, describe, expect, it } from 'vitest';
import { CartesiaTts } from '../../../src/providers/cartesia/cartesia-tts.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { synthesizeSpeech } from '../../../sim/sim-voice.js';
import { collect, sameSamples, signal, startCartesiaSim, ttsFor, VOICE } from './cartesia-fixture.js';

let sim: SimServer | null = null;
let tts: CartesiaTts | null = null;
afterEach(async () => {
  tts?.close();
  tts = null;
  await sim?.close();
  sim = null;
});

describe('CartesiaTts', () => {
  it('yields the whole audio as PCM16 at the requested rate, with word timings from the start', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim);
    const text = 'Hello there, how are you doing today?';
    const out = await collect(tts.synthesize({ text, sampleRate: 24000, signal: signal() }));
    expect(out.error).toBeNull();
    const expected = synthesizeSpeech(text, 24000, VOICE);
    // Exactly the simulator's audio: nothing lost or duplicated at the unaligned chunk boundaries.
    expect(out.samples.length).toBe(expected.samples.length);
    expect(sameSamples(out.samples, expected.samples)).toBe(true);
    expect(out.chunks.length).toBeGreaterThan(5);
    expect(out.words.map((w) => w.word)).toEqual(expected.words.map((w) => w.word));
    expect(out.words.map((w) => [w.startMs, w.endMs])).toEqual(expected.words.map((w) => [w.startMs, w.endMs]));
    // Each word rides on a chunk that comes no earlier than the audio where it starts.
    let audioBefore = 0;
    for (const chunk of out.chunks) {
      for (const w of chunk.words ?? []) expect(w.startMs).toBeLessThan(((audioBefore + chunk.samples.length) * 1000) / 24000 + 1e-6);
      audioBefore += chunk.samples.length;
    }
  });

  it('request.voice overrides the configured voice; the configured model is what the server sees', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { modelId: 'sonic-turbo', language: 'en' });
    const text = 'Another voice.';
    const out = await collect(tts.synthesize({ text, sampleRate: 8000, voice: 'voice-other', signal: signal() }));
    expect(out.error).toBeNull();
    expect(sameSamples(out.samples, synthesizeSpeech(text, 8000, 'voice-other').samples)).toBe(true);
    expect(sameSamples(out.samples, synthesizeSpeech(text, 8000, VOICE).samples)).toBe(false);
    const wrongModel = ttsFor(sim, { modelId: 'no-such-model' });
    const refused = await collect(wrongModel.synthesize({ text, sampleRate: 8000, signal: signal() }));
    wrongModel.close();
    expect(refused.error).toMatchObject({ kind: 'bad_request', code: 'model_not_found' });
    expect((refused.error as Error).message).toContain('no-such-model');
  });

  it('multiplexes concurrent syntheses on one socket, each with its own context and audio', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 10 } });
    tts = ttsFor(sim);
    const texts = ['The first sentence is this one.', 'And here is a second, rather different sentence.', 'Third.'];
    const results = await Promise.all(texts.map((text) => collect(tts!.synthesize({ text, sampleRate: 16000, signal: signal() }))));
    results.forEach((out, i) => {
      expect(out.error).toBeNull();
      expect(sameSamples(out.samples, synthesizeSpeech(texts[i], 16000, VOICE).samples)).toBe(true);
      expect(out.words.map((w) => w.word)).toEqual(texts[i].split(' '));
    });
    expect(sim.control.connections).toHaveLength(1);
    const contexts = sim.control.connections[0].events.filter((e) => e.type === 'context').map((e) => e.detail);
    expect(new Set(contexts).size).toBe(3);
    // The socket stays for later syntheses.
    const again = await collect(tts.synthesize({ text: 'Once more.', sampleRate: 16000, signal: signal() }));
    expect(again.error).toBeNull();
    expect(sim.control.connections).toHaveLength(1);
  });

  it('an error message fails only its own context', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 10 } });
    tts = ttsFor(sim);
    // An empty voice id is refused by Cartesia for that request only.
    const [bad, good] = await Promise.all([
      collect(tts.synthesize({ text: 'This one is refused.', sampleRate: 16000, voice: '', signal: signal() })),
      collect(tts.synthesize({ text: 'This one goes through.', sampleRate: 16000, signal: signal() })),
    ]);
    expect(bad.error).toBeInstanceOf(ProviderError);
    expect(bad.error).toMatchObject({ kind: 'bad_request', status: 400, code: 'invalid_voice' });
    expect((bad.error as Error).message).toMatch(/voice must be/);
    expect(good.error).toBeNull();
    expect(good.samples.length).toBe(synthesizeSpeech('This one goes through.', 16000).samples.length);
    expect(sim.control.connections).toHaveLength(1);
    expect(sim.control.connections[0].closedAt).toBeNull();
  });

  it('yields nothing for blank text without asking the server, and refuses an unsupported rate', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim);
    const blank = await collect(tts.synthesize({ text: '   ', sampleRate: 16000, signal: signal() }));
    expect(blank.error).toBeNull();
    expect(blank.chunks).toEqual([]);
    const odd = await collect(tts.synthesize({ text: 'Hi.', sampleRate: 11025, signal: signal() }));
    expect(odd.error).toMatchObject({ kind: 'bad_request' });
    expect(sim.control.connections).toHaveLength(0);
  });

  it('declares its capabilities', () => {
    const t = new CartesiaTts({ apiKey: 'k', voiceId: 'v' });
    expect(t.name).toBe('cartesia');
    expect(t.capabilities.sampleRates).toEqual([8000, 16000, 22050, 24000, 44100, 48000]);
    expect(t.capabilities.wordTimestamps).toBe(true);
  });
});
