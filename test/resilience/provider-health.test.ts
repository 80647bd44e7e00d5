import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import { ProviderError } from '../../src/providers/provider-error.js';
import { ProviderHealth, type ProviderHealthChange } from '../../src/resilience/provider-health.js';

describe('ProviderHealth', () => {
  it('counts requests, failures, latency, retries and fallbacks per provider and serves JSON', () => {
    const clock = new VirtualClock();
    const health = new ProviderHealth({ clock, breaker: { failureThreshold: 2, openMs: 1000 } });
    const a = health.begin('llm', 'openai');
    clock.advance(120);
    a?.firstChunk();
    clock.advance(500);
    a?.firstChunk();
    a?.succeed();
    health.begin('llm', 'openai')?.fail(new ProviderError('openai', 'server', 'HTTP 500'));
    health.recordRetry('llm', 'openai');
    health.recordFallback('llm', 'openai');
    const snap = health.snapshot();
    expect(JSON.parse(JSON.stringify(snap))).toEqual(snap);
    expect(snap.providers).toEqual([
      {
        kind: 'llm',
        provider: 'openai',
        circuit: { state: 'closed', consecutiveFailures: 1, openedAt: null, lastError: 'openai: HTTP 500' },
        requests: 2,
        failures: 1,
        rejected: 0,
        retries: 1,
        fallbacks: 1,
        lastError: 'openai: HTTP 500',
        lastErrorAt: 620,
        lastLatencyMs: 120,
      },
    ]);
  });

  it('shares one breaker per provider across calls; an open circuit rejects and counts it', () => {
    const clock = new VirtualClock();
    const health = new ProviderHealth({ clock, breaker: { failureThreshold: 2, openMs: 1000 } });
    health.begin('tts', 'elevenlabs')?.fail(new Error('x'));
    health.begin('tts', 'elevenlabs')?.fail(new Error('y'));
    expect(health.begin('tts', 'elevenlabs')).toBeNull();
    expect(health.breaker('tts', 'elevenlabs').state).toBe('open');
    expect(health.snapshot().providers[0]).toMatchObject({ requests: 2, rejected: 1, failures: 2 });
  });

  it('keeps the same name of different kinds apart (deepgram STT vs deepgram TTS)', () => {
    const health = new ProviderHealth({ clock: new VirtualClock(), breaker: { failureThreshold: 1, openMs: 1000 } });
    health.begin('stt', 'deepgram')?.fail(new Error('down'));
    expect(health.begin('stt', 'deepgram')).toBeNull();
    expect(health.begin('tts', 'deepgram')).not.toBeNull();
  });

  it('per-provider breaker settings override the defaults', () => {
    const health = new ProviderHealth({
      clock: new VirtualClock(),
      breaker: { failureThreshold: 1, openMs: 1000 },
      breakerFor: (kind, name) => (name === 'tough' ? { failureThreshold: 3 } : undefined),
    });
    health.recordFailure('llm', 'tough', new Error('1'));
    health.recordFailure('llm', 'tough', new Error('2'));
    expect(health.breaker('llm', 'tough').state).toBe('closed');
    health.recordFailure('llm', 'weak', new Error('1'));
    expect(health.breaker('llm', 'weak').state).toBe('open');
  });

  it('tells observers every change, including circuit state changes; a throwing observer breaks nothing', () => {
    const clock = new VirtualClock();
    const health = new ProviderHealth({ clock, breaker: { failureThreshold: 1, openMs: 1000 } });
    const seen: string[] = [];
    health.onChange(() => {
      throw new Error('observer bug');
    });
    const off = health.onChange((c: ProviderHealthChange) => seen.push(c.state ? `${c.what}:${c.state}` : c.what));
    health.begin('llm', 'a')?.fail(new Error('boom'));
    health.begin('llm', 'a');
    clock.advance(1000);
    health.begin('llm', 'a')?.succeed();
    health.recordRetry('llm', 'a');
    off();
    health.recordFallback('llm', 'a');
    expect(seen).toEqual(['request', 'state:open', 'failure', 'rejected', 'state:half_open', 'request', 'state:closed', 'success', 'retry']);
  });
});
