import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { AbortedError, type TtsAudio, type TtsProvider } from '../../src/providers/types.js';
import { ProviderHealth } from '../../src/resilience/provider-health.js';
import { TtsChain, TtsUnavailableError, type TtsChainOptions } from '../../src/resilience/tts-chain.js';
import { audio, CAPS, consume, FakeTts, flush, recorder } from './fakes.js';

function setup(clock: VirtualClock, providers: TtsProvider[], overrides: Partial<TtsChainOptions> = {}) {
  const health = new ProviderHealth({ clock, breaker: { failureThreshold: 100, openMs: 10_000 } });
  const rec = recorder();
  const chain = new TtsChain({
    providers,
    health,
    clock,
    retry: { maxAttempts: 2, baseDelayMs: 200, maxDelayMs: 1000, jitter: 0 },
    report: rec.report,
    random: () => 0,
    ...overrides,
  });
  return { chain, health, events: rec.events };
}

const request = (signal = new AbortController().signal) => ({ text: 'Hello there.', sampleRate: 16000, signal, turnId: 't7' });
const tags = (items: TtsAudio[]): number[] => items.map((a) => a.samples[0]);

describe('TtsChain', () => {
  it('falls back along the chain: retried 500 → 401 (not retried) → third provider speaks', async () => {
    const clock = new VirtualClock();
    const eleven = new FakeTts('elevenlabs', clock, [{ fail: new ProviderError('elevenlabs', 'server', 'HTTP 503', { status: 503 }) }]);
    const cartesia = new FakeTts('cartesia', clock, [{ fail: new ProviderError('cartesia', 'auth', 'invalid key', { status: 401 }) }]);
    const local = new FakeTts('local', clock, [{ chunks: audio(3, 160, 160), firstAfterMs: 30 }]);
    const { chain, events } = setup(clock, [eleven, cartesia, local]);
    expect(chain.capabilities).toBe(CAPS);
    const out = await consume(clock, chain.synthesize(request()));
    expect(out.error).toBeUndefined();
    expect(tags(out.items)).toEqual([3, 3]);
    expect(eleven.calls.map((c) => c.at)).toEqual([0, 200]);
    expect(cartesia.calls.map((c) => c.at)).toEqual([200]);
    expect(local.calls.map((c) => c.at)).toEqual([200]);
    expect(events).toEqual([
      { type: 'retry', kind: 'tts', provider: 'elevenlabs', attempt: 2, delayMs: 200, reason: 'server: elevenlabs: HTTP 503', turnId: 't7' },
      { type: 'fallback', kind: 'tts', from: 'elevenlabs', to: 'cartesia', reason: 'server: elevenlabs: HTTP 503', turnId: 't7' },
      { type: 'fallback', kind: 'tts', from: 'cartesia', to: 'local', reason: 'auth: cartesia: invalid key', turnId: 't7' },
    ]);
  });

  it('throws TtsUnavailableError carrying the last ProviderError, after reporting `exhausted`', async () => {
    const clock = new VirtualClock();
    const last = new ProviderError('b', 'network', 'connection refused');
    const { chain, events } = setup(clock, [new FakeTts('a', clock, [{ fail: new ProviderError('a', 'quota', 'no credit') }]), new FakeTts('b', clock, [{ fail: last }])]);
    const out = await consume(clock, chain.synthesize(request()));
    expect(out.items).toEqual([]);
    expect(out.error).toBeInstanceOf(TtsUnavailableError);
    expect((out.error as TtsUnavailableError).lastError).toBe(last);
    expect(events.map((e) => e.type)).toEqual(['fallback', 'retry', 'exhausted']);
    expect(events.at(-1)).toEqual({ type: 'exhausted', kind: 'tts', reason: 'network: b: connection refused', turnId: 't7' });
  });

  it('a failure after audio was yielded is rethrown as the ProviderError: no retry, no splice', async () => {
    const clock = new VirtualClock();
    const cut = new ProviderError('a', 'network', 'socket closed');
    const a = new FakeTts('a', clock, [{ chunks: audio(1, 160, 160), gapMs: 20, thenFail: cut }]);
    const b = new FakeTts('b', clock, [{ chunks: audio(2, 160) }]);
    const { chain, events } = setup(clock, [a, b]);
    const out = await consume(clock, chain.synthesize(request()));
    expect(tags(out.items)).toEqual([1, 1]);
    expect(out.error).toBe(cut);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it('with a first-audio timeout: one retry on the same provider, then the next', async () => {
    const clock = new VirtualClock();
    const a = new FakeTts('a', clock, [{ hang: true }]);
    const b = new FakeTts('b', clock, [{ chunks: audio(2, 160) }]);
    const { chain } = setup(clock, [a, b], { firstAudioTimeoutMs: 300 });
    const out = await consume(clock, chain.synthesize(request()));
    expect(tags(out.items)).toEqual([2]);
    expect(a.calls.map((c) => c.at)).toEqual([0, 300]);
    expect(b.calls.map((c) => c.at)).toEqual([600]);
  });

  it('abort passes through as AbortedError and aborts the attempt', async () => {
    const clock = new VirtualClock();
    const a = new FakeTts('a', clock, [{ hang: true }]);
    const { chain, events } = setup(clock, [a, new FakeTts('b', clock, [{ chunks: audio(2, 1) }])]);
    const ac = new AbortController();
    const next = chain.synthesize(request(ac.signal))[Symbol.asyncIterator]().next();
    await flush();
    ac.abort();
    await expect(next).rejects.toBeInstanceOf(AbortedError);
    expect(a.calls[0].signal.aborted).toBe(true);
    expect(events).toEqual([]);
  });
});
