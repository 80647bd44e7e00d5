import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { AbortedError, type LlmChunk, type LlmProvider } from '../../src/providers/types.js';
import { LlmChain, type LlmChainOptions } from '../../src/resilience/llm-chain.js';
import { ProviderHealth } from '../../src/resilience/provider-health.js';
import { consume, FakeLlm, flush, recorder, text } from './fakes.js';

const APOLOGY = "Sorry, I'm having trouble answering right now.";
const serverError = (p: string): ProviderError => new ProviderError(p, 'server', 'HTTP 500', { status: 500 });

function setup(clock: VirtualClock, providers: LlmProvider[], overrides: Partial<LlmChainOptions> = {}) {
  const health = new ProviderHealth({ clock, breaker: { failureThreshold: 100, openMs: 10_000 } });
  const rec = recorder();
  const chain = new LlmChain({
    providers,
    health,
    clock,
    retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0 },
    firstTokenTimeoutMs: 500,
    apology: null,
    report: rec.report,
    random: () => 0,
    ...overrides,
  });
  return { chain, health, events: rec.events };
}

const request = (signal = new AbortController().signal) => ({ messages: [{ role: 'user' as const, content: 'hi' }], signal, turnId: 't1' });
const joined = (chunks: LlmChunk[]): string => chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('LlmChain', () => {
  it('streams the primary answer untouched; name "chain", model of the first provider', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ chunks: [...text('Hello', ' there'), { type: 'usage', promptTokens: 3, completionTokens: 2 }], firstAfterMs: 200 }]);
    const { chain, events, health } = setup(clock, [a, new FakeLlm('b', clock, [{ hang: true }])]);
    expect(chain.name).toBe('chain');
    expect(chain.model).toBe('a-model');
    const out = await consume(clock, chain.stream(request()));
    expect(out.error).toBeUndefined();
    expect(out.items).toEqual([...text('Hello', ' there'), { type: 'usage', promptTokens: 3, completionTokens: 2 }]);
    expect(a.calls[0].turnId).toBe('t1');
    expect(events).toEqual([]);
    expect(health.snapshot().providers[0]).toMatchObject({ provider: 'a', requests: 1, failures: 0, lastLatencyMs: 200 });
  });

  it('retries a server error on the same provider after the backoff delay', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ fail: serverError('a') }, { chunks: text('ok') }]);
    const { chain, events } = setup(clock, [a]);
    const out = await consume(clock, chain.stream(request()));
    expect(joined(out.items)).toBe('ok');
    expect(a.calls.map((c) => c.at)).toEqual([0, 100]);
    expect(events).toEqual([{ type: 'retry', kind: 'llm', provider: 'a', attempt: 2, delayMs: 100, reason: 'server: a: HTTP 500', turnId: 't1' }]);
  });

  it('never retries a 401: falls back to the next provider at once', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ fail: new ProviderError('a', 'auth', 'invalid api key', { status: 401 }) }]);
    const b = new FakeLlm('b', clock, [{ chunks: text('from b') }]);
    const { chain, events } = setup(clock, [a, b]);
    const out = await consume(clock, chain.stream(request()));
    expect(joined(out.items)).toBe('from b');
    expect(a.calls).toHaveLength(1);
    expect(b.calls.map((c) => c.at)).toEqual([0]);
    expect(events).toEqual([{ type: 'fallback', kind: 'llm', from: 'a', to: 'b', reason: 'auth: a: invalid api key', turnId: 't1' }]);
  });

  it('waits exactly the retry-after of a 429; a retry-after beyond the cap moves on instead', async () => {
    const clock = new VirtualClock();
    const limited = (ms: number) => new ProviderError('a', 'rate_limited', 'slow down', { status: 429, retryAfterMs: ms });
    const a = new FakeLlm('a', clock, [{ fail: limited(1500) }, { chunks: text('ok') }]);
    const { chain, events } = setup(clock, [a]);
    const out = await consume(clock, chain.stream(request()));
    expect(joined(out.items)).toBe('ok');
    expect(a.calls.map((c) => c.at)).toEqual([0, 1500]);
    expect(events[0]).toMatchObject({ type: 'retry', delayMs: 1500 });

    const clock2 = new VirtualClock();
    const a2 = new FakeLlm('a', clock2, [{ fail: limited(60_000) }]);
    const b2 = new FakeLlm('b', clock2, [{ chunks: text('b') }]);
    const second = setup(clock2, [a2, b2]);
    const out2 = await consume(clock2, second.chain.stream(request()));
    expect(joined(out2.items)).toBe('b');
    expect(a2.calls).toHaveLength(1);
    expect(b2.calls[0].at).toBe(0);
  });

  it('a first-token timeout is retried once on the same provider, then the next provider answers', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ hang: true }]);
    const b = new FakeLlm('b', clock, [{ chunks: text('late but fine'), firstAfterMs: 50 }]);
    const { chain, events, health } = setup(clock, [a, b]);
    const out = await consume(clock, chain.stream(request()));
    expect(joined(out.items)).toBe('late but fine');
    expect(a.calls.map((c) => c.at)).toEqual([0, 500]);
    expect(a.calls.every((c) => c.signal.aborted)).toBe(true);
    expect(b.calls.map((c) => c.at)).toEqual([1000]);
    expect(out.endedAt).toBe(1050);
    expect(events.map((e) => e.type)).toEqual(['retry', 'fallback']);
    expect(events[0]).toMatchObject({ provider: 'a', attempt: 2, delayMs: 0, reason: expect.stringContaining('timeout') });
    expect(health.snapshot().providers.find((p) => p.provider === 'a')).toMatchObject({ failures: 2, retries: 1, fallbacks: 1 });
  });

  it('when every provider fails: retries, fallback, `exhausted` on the turn, and the apology as text chunks', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ hang: true }]);
    const b = new FakeLlm('b', clock, [{ fail: serverError('b') }]);
    const { chain, events } = setup(clock, [a, b], { apology: APOLOGY });
    const out = await consume(clock, chain.stream(request()));
    expect(out.error).toBeUndefined();
    expect(out.items.length).toBeGreaterThan(1);
    expect(out.items.every((c) => c.type === 'text')).toBe(true);
    expect(joined(out.items)).toBe(APOLOGY);
    expect(b.calls.map((c) => c.at)).toEqual([1000, 1100, 1300]);
    expect(events.map((e) => e.type)).toEqual(['retry', 'fallback', 'retry', 'retry', 'exhausted']);
    expect(events.at(-1)).toEqual({ type: 'exhausted', kind: 'llm', reason: 'server: b: HTTP 500', turnId: 't1' });
  });

  it('without an apology, the last ProviderError is thrown', async () => {
    const clock = new VirtualClock();
    const bErr = new ProviderError('b', 'quota', 'insufficient_quota', { status: 402 });
    const { chain, events } = setup(clock, [new FakeLlm('a', clock, [{ fail: serverError('a') }]), new FakeLlm('b', clock, [{ fail: bErr }])]);
    const out = await consume(clock, chain.stream(request()));
    expect(out.error).toBe(bErr);
    expect(out.items).toEqual([]);
    expect(events.at(-1)?.type).toBe('exhausted');
  });

  it('after the first chunk, a failure propagates as is: no retry, no fallback', async () => {
    const clock = new VirtualClock();
    const midway = new ProviderError('a', 'network', 'connection reset');
    const a = new FakeLlm('a', clock, [{ chunks: text('Half a'), thenFail: midway }]);
    const b = new FakeLlm('b', clock, [{ chunks: text('never') }]);
    const { chain, events } = setup(clock, [a, b], { apology: APOLOGY });
    const out = await consume(clock, chain.stream(request()));
    expect(joined(out.items)).toBe('Half a');
    expect(out.error).toBe(midway);
    expect(a.calls).toHaveLength(1);
    expect(b.calls).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it('a programming error is not retried, but still falls back', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ fail: new TypeError('cannot read properties of undefined') }]);
    const b = new FakeLlm('b', clock, [{ chunks: text('b') }]);
    const { chain } = setup(clock, [a, b]);
    const out = await consume(clock, chain.stream(request()));
    expect(joined(out.items)).toBe('b');
    expect(a.calls).toHaveLength(1);
  });

  it('abort ends the stream at once with AbortedError, even if the provider ignores its signal, and aborts the attempt', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ deaf: true }]);
    const b = new FakeLlm('b', clock, [{ chunks: text('b') }]);
    const { chain, events } = setup(clock, [a, b], { apology: APOLOGY });
    const ac = new AbortController();
    const iterator = chain.stream(request(ac.signal))[Symbol.asyncIterator]();
    const next = iterator.next();
    clock.advance(100);
    await flush();
    ac.abort();
    await expect(next).rejects.toBeInstanceOf(AbortedError);
    expect(a.calls[0].signal.aborted).toBe(true);
    clock.advance(10_000);
    await flush();
    expect(b.calls).toHaveLength(0);
    expect(events).toEqual([]);
  });

  it('abort during a retry wait stops: no further attempt', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ fail: new ProviderError('a', 'rate_limited', '429', { retryAfterMs: 2000 }) }]);
    const { chain } = setup(clock, [a]);
    const ac = new AbortController();
    const next = chain.stream(request(ac.signal))[Symbol.asyncIterator]().next();
    next.catch(() => undefined);
    for (let t = 0; t < 1000; t += 10) {
      clock.advance(10);
      await flush();
    }
    expect(a.calls).toHaveLength(1);
    ac.abort();
    await expect(next).rejects.toBeInstanceOf(AbortedError);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(5000);
    await flush();
    expect(a.calls).toHaveLength(1);
  });

  it('the shared breaker skips a provider that keeps failing across calls', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ fail: new ProviderError('a', 'auth', 'invalid api key', { status: 401 }) }]);
    const b = new FakeLlm('b', clock, [{ chunks: text('b') }]);
    const health = new ProviderHealth({ clock, breaker: { failureThreshold: 2, openMs: 60_000 } });
    const rec = recorder();
    const chain = new LlmChain({ providers: [a, b], health, clock, retry: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000, jitter: 0 }, firstTokenTimeoutMs: 500, apology: null, report: rec.report });
    for (let i = 0; i < 3; i++) expect(joined((await consume(clock, chain.stream(request()))).items)).toBe('b');
    expect(a.calls).toHaveLength(2);
    expect(health.snapshot().providers.find((p) => p.provider === 'a')).toMatchObject({ rejected: 1, circuit: { state: 'open' } });
    expect(rec.events.at(-1)).toMatchObject({ type: 'fallback', from: 'a', to: 'b', reason: expect.stringContaining('circuit open') });
  });

  it('a consumer that stops early aborts the provider stream', async () => {
    const clock = new VirtualClock();
    const a = new FakeLlm('a', clock, [{ chunks: text('one', 'two', 'three'), gapMs: 100 }]);
    const { chain, health } = setup(clock, [a]);
    for await (const chunk of chain.stream(request())) {
      expect(chunk).toEqual({ type: 'text', text: 'one' });
      break;
    }
    expect(a.calls[0].signal.aborted).toBe(true);
    expect(health.snapshot().providers[0]).toMatchObject({ failures: 0, circuit: { consecutiveFailures: 0 } });
  });
});
