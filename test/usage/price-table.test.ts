import { describe, expect, it } from 'vitest';
import type { UsageItem } from '../../src/usage/index.js';
import { DEFAULT_PRICES, InvalidUsageError, PriceTable, mergePriceTables, priceTableSchema } from '../../src/usage/index.js';

const stt = (provider: string, model: string, seconds: number): UsageItem => ({ kind: 'stt', provider, model, unit: 'audio_seconds', quantity: seconds });
const prompt = (provider: string, model: string, tokens: number): UsageItem => ({ kind: 'llm', provider, model, unit: 'prompt_tokens', quantity: tokens });
const completion = (provider: string, model: string, tokens: number): UsageItem => ({ kind: 'llm', provider, model, unit: 'completion_tokens', quantity: tokens });
const tts = (provider: string, model: string, chars: number): UsageItem => ({ kind: 'tts', provider, model, unit: 'characters', quantity: chars });
const phone = (provider: string, model: string, minutes: number): UsageItem => ({ kind: 'telephony', provider, model, unit: 'minutes', quantity: minutes });

describe('PriceTable with DEFAULT_PRICES', () => {
  const table = new PriceTable();

  it('prices each unit with its rate', () => {
    expect(table.cost(stt('deepgram', 'nova-3', 90)).usd).toBeCloseTo(0.0077 * 1.5, 12);
    expect(table.cost(stt('openai', 'gpt-4o-transcribe', 60)).usd).toBeCloseTo(0.006, 12);
    expect(table.cost(prompt('openai', 'gpt-4o-mini', 2_000_000)).usd).toBeCloseTo(0.3, 12);
    expect(table.cost(completion('openai', 'gpt-4o-mini', 500_000)).usd).toBeCloseTo(0.3, 12);
    expect(table.cost(tts('elevenlabs', 'eleven_flash_v2_5', 1000)).usd).toBeCloseTo(0.05, 12);
    expect(table.cost(phone('twilio', 'inbound-local', 3)).usd).toBeCloseTo(0.0255, 12);
  });

  it('matches model families by prefix: Aura-2 voices and Cartesia Sonic versions', () => {
    expect(table.cost(tts('deepgram', 'aura-2-thalia-en', 1000))).toEqual({ usd: expect.closeTo(0.03, 12), priced: true, key: 'deepgram/aura-2*' });
    expect(table.cost(tts('cartesia', 'sonic-2', 1000))).toEqual({ usd: expect.closeTo(0.05, 12), priced: true, key: 'cartesia/sonic*' });
    expect(table.cost(tts('cartesia', 'sonic', 1000)).priced).toBe(true);
  });

  it('prices the simulated providers at zero, but as priced', () => {
    for (const item of [stt('simulated', 'x', 60), prompt('simulated', 'sim', 1e6), tts('simulated', 'v', 1e6), phone('simulated', 'line', 10)]) {
      expect(table.cost(item)).toEqual({ usd: 0, priced: true, key: 'simulated/*' });
    }
  });

  it('reports usage with no matching price as unpriced, costing 0', () => {
    expect(table.cost(prompt('openai', 'gpt-9-imaginary', 1e6))).toEqual({ usd: 0, priced: false, key: null });
    expect(table.cost(stt('acme', 'nova-3', 60))).toEqual({ usd: 0, priced: false, key: null });
    // A price for the same provider/model under another kind does not leak across kinds.
    expect(table.cost(stt('deepgram', 'aura-2-thalia-en', 60)).priced).toBe(false);
  });

  it('validates the item it prices', () => {
    expect(() => table.cost(stt('deepgram', 'nova-3', -1))).toThrow(InvalidUsageError);
  });
});

describe('PriceTable key precedence', () => {
  const table = new PriceTable({
    llm: {
      '*': { inputPerMillionUsd: 9, outputPerMillionUsd: 9 },
      'openai/*': { inputPerMillionUsd: 5, outputPerMillionUsd: 5 },
      'openai/gpt-4o*': { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 },
      'openai/gpt-4o-mini*': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 },
      'openai/gpt-4o-mini': { inputPerMillionUsd: 1, outputPerMillionUsd: 1 },
      'groq/meta-llama/llama-4-scout-17b-16e-instruct': { inputPerMillionUsd: 0.11, outputPerMillionUsd: 0.34 },
    },
  });
  const keyOf = (provider: string, model: string) => table.cost(prompt(provider, model, 1e6));

  it('prefers exact, then the longest prefix, then the provider wildcard, then the default', () => {
    expect(keyOf('openai', 'gpt-4o-mini')).toEqual({ usd: 1, priced: true, key: 'openai/gpt-4o-mini' });
    expect(keyOf('openai', 'gpt-4o-mini-2024-07-18')).toEqual({ usd: 0.15, priced: true, key: 'openai/gpt-4o-mini*' });
    expect(keyOf('openai', 'gpt-4o-2024-08-06')).toEqual({ usd: 2.5, priced: true, key: 'openai/gpt-4o*' });
    expect(keyOf('openai', 'o3')).toEqual({ usd: 5, priced: true, key: 'openai/*' });
    expect(keyOf('ollama', 'llama3.2')).toEqual({ usd: 9, priced: true, key: '*' });
  });

  it('matches model ids containing slashes and ignores case', () => {
    expect(keyOf('groq', 'meta-llama/llama-4-scout-17b-16e-instruct').usd).toBeCloseTo(0.11, 12);
    expect(keyOf('OpenAI', 'GPT-4o-Mini').key).toBe('openai/gpt-4o-mini');
  });

  it('exposes the matched rate', () => {
    expect(table.rateFor('llm', 'openai', 'gpt-4o-2024-08-06')).toEqual({ key: 'openai/gpt-4o*', price: { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 } });
    expect(new PriceTable({}).rateFor('stt', 'deepgram', 'nova-3')).toBeUndefined();
  });
});

describe('priceTableSchema', () => {
  it('accepts DEFAULT_PRICES and fills missing kinds', () => {
    expect(priceTableSchema.parse(DEFAULT_PRICES)).toEqual(DEFAULT_PRICES);
    expect(priceTableSchema.parse({ stt: { 'deepgram/nova-3': { perMinuteUsd: 0.0077 } } })).toEqual({
      stt: { 'deepgram/nova-3': { perMinuteUsd: 0.0077 } },
      llm: {},
      tts: {},
      telephony: {},
    });
  });

  it('rejects malformed keys, negative rates, wrong fields and unknown kinds', () => {
    for (const key of ['deepgram', 'deepgram/', '*/nova-3', 'deep gram/nova-3', 'deepgram/no*va', '**']) {
      expect(priceTableSchema.safeParse({ stt: { [key]: { perMinuteUsd: 1 } } }).success, key).toBe(false);
    }
    expect(priceTableSchema.safeParse({ stt: { 'deepgram/nova-3': { perMinuteUsd: -0.01 } } }).success).toBe(false);
    expect(priceTableSchema.safeParse({ stt: { 'deepgram/nova-3': { perMinuteUsd: Number.POSITIVE_INFINITY } } }).success).toBe(false);
    expect(priceTableSchema.safeParse({ tts: { 'elevenlabs/*': { perMinuteUsd: 1 } } }).success).toBe(false);
    expect(priceTableSchema.safeParse({ llm: { 'openai/*': { inputPerMillionUsd: 1 } } }).success).toBe(false);
    expect(priceTableSchema.safeParse({ video: {} }).success).toBe(false);
    expect(() => new PriceTable({ stt: { nova: { perMinuteUsd: 1 } } })).toThrow(/provider\/model/);
  });

  it('merges a user table over the defaults key by key', () => {
    const merged = mergePriceTables(DEFAULT_PRICES, { stt: { 'deepgram/nova-3': { perMinuteUsd: 0.0043 } }, llm: { 'openai/gpt-4o': { inputPerMillionUsd: 2.5, outputPerMillionUsd: 10 } } });
    const table = new PriceTable(merged);
    expect(table.cost(stt('deepgram', 'nova-3', 60)).usd).toBeCloseTo(0.0043, 12);
    expect(table.cost(prompt('openai', 'gpt-4o', 1e6)).usd).toBeCloseTo(2.5, 12);
    expect(table.cost(prompt('openai', 'gpt-4o-mini', 1e6)).usd).toBeCloseTo(0.15, 12);
    expect(DEFAULT_PRICES.stt['deepgram/nova-3']).toEqual({ perMinuteUsd: 0.0077 });
  });
});
