import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import type { UsageItem, UsageRecordEvent } from '../../src/usage/index.js';
import { CallUsage, DisplayCurrency, InvalidUsageError, PriceTable } from '../../src/usage/index.js';

// Round numbers so expected costs are easy to check by hand.
const prices = new PriceTable({
  stt: { 'deepgram/nova-3': { perMinuteUsd: 0.006 } },
  llm: { 'openai/gpt-4o-mini': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 } },
  tts: { 'elevenlabs/*': { perMillionCharsUsd: 50 } },
  telephony: { 'twilio/inbound-local': { perMinuteUsd: 0.01 } },
});

const audio = (seconds: number, turnId?: string): UsageItem => ({ kind: 'stt', provider: 'deepgram', model: 'nova-3', unit: 'audio_seconds', quantity: seconds, turnId });
const tokens = (turnId: string | undefined, promptTokens: number, completionTokens: number): UsageItem[] => [
  { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'prompt_tokens', quantity: promptTokens, turnId },
  { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'completion_tokens', quantity: completionTokens, turnId },
];
const chars = (n: number, turnId?: string): UsageItem => ({ kind: 'tts', provider: 'elevenlabs', model: 'eleven_flash_v2_5', unit: 'characters', quantity: n, turnId });

function recordAll(usage: CallUsage, items: UsageItem[]): void {
  for (const item of items) usage.record(item);
}

describe('CallUsage attribution', () => {
  it('gives STT audio recorded before closeTurn to that turn, and later audio to the next', () => {
    const usage = new CallUsage({ prices });
    // 20 ms frames, as the STT stream reports them: 150 frames = 3 s for turn t1.
    for (let i = 0; i < 150; i++) usage.record(audio(0.02));
    expect(usage.summary().pendingSttSeconds).toBeCloseTo(3, 9);
    const t1 = usage.closeTurn('t1');
    expect(t1.totals.sttSeconds).toBeCloseTo(3, 9);
    expect(t1.costUsd).toBeCloseTo(0.0003, 12); // 3 s at $0.006/min
    expect(usage.summary().pendingSttSeconds).toBe(0);

    recordAll(usage, tokens('t1', 1000, 200));
    usage.record(chars(120, 't1'));
    usage.record(audio(1.5)); // the next user utterance, while t1's reply is spoken
    usage.record(chars(30, 't1')); // more of t1's reply after its audio was closed

    const t1After = usage.turn('t1')!;
    expect(t1After.totals).toEqual({ sttSeconds: expect.closeTo(3, 9), llmPromptTokens: 1000, llmCompletionTokens: 200, ttsCharacters: 150, telephonyMinutes: 0 });
    // 3 s STT $0.0003 + 1000 prompt $0.00015 + 200 completion $0.00012 + 150 chars $0.0075
    expect(t1After.costUsd).toBeCloseTo(0.00807, 12);
    expect(t1After.costByKindUsd).toEqual({ stt: expect.closeTo(0.0003, 12), llm: expect.closeTo(0.00027, 12), tts: expect.closeTo(0.0075, 12), telephony: 0 });

    const t2 = usage.closeTurn('t2');
    expect(t2.totals.sttSeconds).toBeCloseTo(1.5, 9);
    expect(t2.totals.ttsCharacters).toBe(0);
    expect(usage.turnIds()).toEqual(['t1', 't2']);
  });

  it('counts STT audio that carries a turnId for that turn directly, leaving pending audio alone', () => {
    const usage = new CallUsage({ prices });
    usage.record(audio(2));
    usage.record(audio(4, 'batch-turn'));
    expect(usage.turn('batch-turn')!.totals.sttSeconds).toBe(4);
    expect(usage.summary().pendingSttSeconds).toBe(2);
    expect(usage.closeTurn('t1').totals.sttSeconds).toBe(2);
  });

  it('counts usage without a turn (greeting, telephony) for the call only', () => {
    const usage = new CallUsage({ prices });
    usage.record(chars(40)); // greeting
    usage.record({ kind: 'telephony', provider: 'twilio', model: 'inbound-local', unit: 'minutes', quantity: 2 });
    usage.record(audio(1));
    const t1 = usage.closeTurn('t1');
    expect(t1.totals).toEqual({ sttSeconds: 1, llmPromptTokens: 0, llmCompletionTokens: 0, ttsCharacters: 0, telephonyMinutes: 0 });
    const summary = usage.summary();
    expect(summary.totals).toEqual({ sttSeconds: 1, llmPromptTokens: 0, llmCompletionTokens: 0, ttsCharacters: 40, telephonyMinutes: 2 });
    expect(summary.costUsd).toBeCloseTo(0.0001 + 0.002 + 0.02, 12);
    expect(usage.turn('never')).toBeUndefined();
  });
});

describe('CallUsage summary', () => {
  it('aggregates items by kind/provider/model/unit and lists unpriced usage at zero cost', () => {
    const usage = new CallUsage({ prices, callId: 'call-1', agent: 'support' });
    usage.record(audio(30));
    usage.record(audio(30));
    recordAll(usage, tokens('t1', 500, 100));
    recordAll(usage, tokens('t2', 700, 50));
    usage.record({ kind: 'llm', provider: 'acme', model: 'mystery-1', unit: 'prompt_tokens', quantity: 999, turnId: 't2' });
    usage.record({ kind: 'tts', provider: 'cartesia', model: 'sonic-2', unit: 'characters', quantity: 80, turnId: 't2' });
    const summary = usage.summary();
    expect(summary.callId).toBe('call-1');
    expect(summary.agent).toBe('support');
    expect(summary.items).toEqual([
      { kind: 'stt', provider: 'deepgram', model: 'nova-3', unit: 'audio_seconds', quantity: 60, usd: expect.closeTo(0.006, 12), priced: true },
      { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'prompt_tokens', quantity: 1200, usd: expect.closeTo(0.00018, 12), priced: true },
      { kind: 'llm', provider: 'openai', model: 'gpt-4o-mini', unit: 'completion_tokens', quantity: 150, usd: expect.closeTo(0.00009, 12), priced: true },
      { kind: 'llm', provider: 'acme', model: 'mystery-1', unit: 'prompt_tokens', quantity: 999, usd: 0, priced: false },
      { kind: 'tts', provider: 'cartesia', model: 'sonic-2', unit: 'characters', quantity: 80, usd: 0, priced: false },
    ]);
    expect(summary.unpriced).toEqual([
      { kind: 'llm', provider: 'acme', model: 'mystery-1', unit: 'prompt_tokens', quantity: 999 },
      { kind: 'tts', provider: 'cartesia', model: 'sonic-2', unit: 'characters', quantity: 80 },
    ]);
    expect(summary.costUsd).toBeCloseTo(0.00627, 12);
    expect(summary.cost).toEqual({ amount: summary.costUsd, currency: 'USD', formatted: '$0.0063' });
    expect(usage.turn('t2')!.unpriced).toHaveLength(2);
    expect(usage.turn('t1')!.unpriced).toEqual([]);
  });

  it('shows cost in the display currency and stamps times from the injected clock', () => {
    const clock = new VirtualClock(1000);
    const usage = new CallUsage({ prices, clock, currency: new DisplayCurrency({ code: 'INR', perUsd: 80, locale: 'en-IN' }) });
    usage.record(chars(10_000));
    clock.advance(2500);
    usage.record(audio(60));
    const t1 = usage.closeTurn('t1');
    expect(t1.closedAt).toBe(3500);
    const summary = usage.summary();
    expect(summary.startedAt).toBe(1000);
    expect(summary.elapsedMs).toBe(2500);
    expect(summary.costUsd).toBeCloseTo(0.506, 12);
    expect(summary.cost).toEqual({ amount: expect.closeTo(40.48, 9), currency: 'INR', formatted: '₹40.48' });
    expect(t1.cost.formatted).toBe('₹0.48');
  });

  it('rejects a malformed item without counting it', () => {
    const usage = new CallUsage({ prices });
    usage.record(audio(1));
    expect(() => usage.record(audio(-1))).toThrow(InvalidUsageError);
    expect(() => usage.record({ ...audio(1), unit: 'characters' })).toThrow(InvalidUsageError);
    expect(usage.summary().totals.sttSeconds).toBe(1);
    expect(() => usage.closeTurn('')).toThrow(TypeError);
  });
});

describe('CallUsage.onRecord', () => {
  it('reports each item with its cost, its turn and the running call cost, until unsubscribed', () => {
    const usage = new CallUsage({ prices });
    const events: UsageRecordEvent[] = [];
    const seenTotals: number[] = [];
    const off = usage.onRecord((event) => {
      events.push(event);
      seenTotals.push(usage.summary().costUsd);
    });
    usage.record(audio(60));
    usage.record(chars(1000, 't1'));
    usage.record({ kind: 'llm', provider: 'nobody', model: 'x', unit: 'prompt_tokens', quantity: 5, turnId: 't1' });
    off();
    usage.record(chars(1000, 't1'));

    expect(events.map((e) => [e.item.kind, e.turnId, e.priced])).toEqual([
      ['stt', null, true],
      ['tts', 't1', true],
      ['llm', 't1', false],
    ]);
    expect(events[0].usd).toBeCloseTo(0.006, 12);
    expect(events[1].usd).toBeCloseTo(0.05, 12);
    expect(events[2].usd).toBe(0);
    expect(events.map((e) => e.callCostUsd)).toEqual([expect.closeTo(0.006, 12), expect.closeTo(0.056, 12), expect.closeTo(0.056, 12)]);
    // The listener runs after the item is counted.
    expect(seenTotals).toEqual(events.map((e) => e.callCostUsd));
    expect(usage.costUsd).toBeCloseTo(0.106, 12);
  });

  it('uses DEFAULT_PRICES when no table is given', () => {
    const usage = new CallUsage();
    usage.record({ kind: 'stt', provider: 'deepgram', model: 'nova-3', unit: 'audio_seconds', quantity: 60 });
    expect(usage.costUsd).toBeCloseTo(0.0077, 12);
  });
});
