// CartesiaTts when the vendor misbehaves: refused connections, a dropped socket, garbage, audio in
// the wrong format, slowness, and the server closing an idle socket. Every failure must surface as a
// typed ProviderError on the affected syntheses (never a hang), and the next synthesis reconnects.
import { afterEach, describe, expect, it } from 'vitest';
import type { CartesiaTts } from '../../../src/providers/cartesia/cartesia-tts.js';
import { ProviderError } from '../../../src/providers/provider-error.js';
import type { SimServer } from '../../../sim/sim-server.js';
import { synthesizeSpeech } from '../../../sim/sim-voice.js';
import { collect, signal, startCartesiaSim, ttsFor } from './cartesia-fixture.js';

let sim: SimServer | null = null;
let tts: CartesiaTts | null = null;
afterEach(async () => {
  tts?.close();
  tts = null;
  await sim?.close();
  sim = null;
});

const LONG = 'This sentence is long enough to still be streaming when the fault strikes the socket.';
const say = (text: string, rate = 16000) => collect(tts!.synthesize({ text, sampleRate: rate, signal: signal() }));

describe('CartesiaTts: refused connections', () => {
  it('a wrong key is an auth error with the status and the vendor message, without the key', async () => {
    sim = await startCartesiaSim();
    tts = ttsFor(sim, { apiKey: 'sk_car_wrong-secret-value' });
    const out = await say('Hello.');
    expect(out.error).toBeInstanceOf(ProviderError);
    expect(out.error).toMatchObject({ kind: 'auth', status: 401, provider: 'cartesia' });
    expect((out.error as Error).message).toContain('The API key is invalid');
    expect((out.error as Error).message).not.toContain('wrong-secret');
    expect(out.chunks).toEqual([]);
  });

  it('429 is rate_limited with retry-after; the next synthesis connects again', async () => {
    sim = await startCartesiaSim();
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'status', status: 429, retryAfterS: 2 }, times: 1 });
    tts = ttsFor(sim);
    const out = await say('Hello.');
    expect(out.error).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 2000 });
    const retry = await say('Hello.');
    expect(retry.error).toBeNull();
    expect(retry.samples.length).toBe(synthesizeSpeech('Hello.', 16000).samples.length);
  });

  it('500 at connect is a server error', async () => {
    sim = await startCartesiaSim();
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'status', status: 500 }, times: 1 });
    tts = ttsFor(sim);
    const out = await say('Hello.');
    expect(out.error).toMatchObject({ kind: 'server', status: 500 });
    expect((out.error as ProviderError).retryable).toBe(true);
  });

  it('concurrent syntheses waiting on one refused connect all get the error', async () => {
    sim = await startCartesiaSim();
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'status', status: 500 }, times: 1 });
    tts = ttsFor(sim);
    const [a, b] = await Promise.all([say('One.'), say('Two.')]);
    expect(a.error).toMatchObject({ kind: 'server' });
    expect(b.error).toMatchObject({ kind: 'server' });
  });
});

describe('CartesiaTts: failures on an open socket', () => {
  it('drop: every active synthesis fails with a network error and the next one reconnects', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 4 } });
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'drop', afterMs: 150 }, times: 1 });
    tts = ttsFor(sim);
    const [a, b] = await Promise.all([say(LONG), say(`${LONG} Again.`)]);
    for (const out of [a, b]) {
      expect(out.error).toBeInstanceOf(ProviderError);
      expect(out.error).toMatchObject({ kind: 'network' });
      expect(out.chunks.length).toBeGreaterThan(0);
    }
    const next = await say('After the drop.');
    expect(next.error).toBeNull();
    expect(next.samples.length).toBe(synthesizeSpeech('After the drop.', 16000).samples.length);
    expect(sim.control.connections).toHaveLength(2);
  });

  it('malformed frames fail the synthesis as a protocol error; the socket is abandoned', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 10 } });
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'malformed' }, times: 1 });
    tts = ttsFor(sim);
    const out = await say(LONG);
    expect(out.error).toBeInstanceOf(ProviderError);
    expect(out.error).toMatchObject({ kind: 'protocol' });
    const first = sim.control.connections[0];
    await sim.control.waitFor(() => first.closedAt ?? undefined);
    expect(first.closedBy).toBe('client');
    const next = await say('Fine now.');
    expect(next.error).toBeNull();
    expect(sim.control.connections).toHaveLength(2);
  });

  it('a malformed frame fails every active synthesis, not just the one it came with', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 10 } });
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'malformed' }, times: 1 });
    tts = ttsFor(sim);
    const [a, b] = await Promise.all([say(LONG), say(`${LONG} Twice.`)]);
    expect(a.error).toMatchObject({ kind: 'protocol' });
    expect(b.error).toMatchObject({ kind: 'protocol' });
  });

  it('wrong_audio_format: a RIFF header where raw PCM was asked is a protocol error, and the context is cancelled', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 10 } });
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'wrong_audio_format' }, times: 1 });
    tts = ttsFor(sim);
    const out = await say(LONG);
    expect(out.error).toMatchObject({ kind: 'protocol', code: 'wrong_audio_format' });
    expect(out.chunks).toEqual([]);
    const conn = sim.control.connections[0];
    const context = conn.events.find((e) => e.type === 'context')!.detail;
    await sim.control.waitFor(() => conn.events.find((e) => e.type === 'cancel' && e.detail === context));
  });

  it('slow: the synthesis still completes, later by the factor', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 40, ttsRealtimeFactor: 40 } });
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'slow', factor: 5 }, times: 1 });
    tts = ttsFor(sim);
    const started = performance.now();
    let firstAt = 0;
    const out = await collect(tts.synthesize({ text: 'Slowly but surely.', sampleRate: 16000, signal: signal() }), (_c, i) => {
      if (i === 0) firstAt = performance.now();
    });
    expect(out.error).toBeNull();
    expect(out.samples.length).toBe(synthesizeSpeech('Slowly but surely.', 16000).samples.length);
    expect(firstAt - started).toBeGreaterThanOrEqual(190);
  });

  it('a gap longer than the chunk watchdog fails with timeout and cancels the context', async () => {
    sim = await startCartesiaSim({ latencies: { ttsTtfbMs: 40, ttsRealtimeFactor: 40 } });
    sim.control.addFault({ vendor: 'cartesia', fault: { type: 'slow', factor: 10 }, times: 1 });
    tts = ttsFor(sim, { chunkTimeoutMs: 120 });
    const started = performance.now();
    const out = await say('Too slow.');
    const elapsed = performance.now() - started;
    expect(out.error).toMatchObject({ kind: 'timeout' });
    // The watchdog fired, well before the (slowed) first audio at 400 ms would have reset it.
    expect(elapsed).toBeGreaterThanOrEqual(110);
    const conn = sim.control.connections[0];
    const context = conn.events.find((e) => e.type === 'context')!.detail;
    await sim.control.waitFor(() => conn.events.find((e) => e.type === 'cancel' && e.detail === context));
  });

  it('after the server closes an idle socket, the next synthesis reconnects', async () => {
    sim = await startCartesiaSim({ timeouts: { cartesiaIdleMs: 150 } });
    tts = ttsFor(sim);
    expect((await say('First.')).error).toBeNull();
    const first = sim.control.connections[0];
    await sim.control.waitFor(() => first.closedAt ?? undefined, 2000);
    expect(first.closedBy).toBe('server');
    expect(first.events.some((e) => e.type === 'idle_timeout')).toBe(true);
    const again = await say('Second.');
    expect(again.error).toBeNull();
    expect(again.samples.length).toBe(synthesizeSpeech('Second.', 16000).samples.length);
    expect(sim.control.connections).toHaveLength(2);
  });
});
