// Turns usage quantities into US dollars. Prices are configuration, never code: vendors change
// them, plans and contracts differ, so the defaults below are examples to check, not truth.
import { z } from 'zod';
import type { UsageItem, UsageKind } from './usage-item.js';
import { validateUsageItem } from './usage-item.js';

/*
 * Configuration shape (every kind optional, every rate in USD, >= 0):
 *
 *   {
 *     stt:       { 'deepgram/nova-3':          { perMinuteUsd: 0.0077 } },          // audio minutes
 *     llm:       { 'openai/gpt-4o-mini':       { inputPerMillionUsd: 0.15,           // prompt tokens
 *                                                outputPerMillionUsd: 0.6 } },       // completion tokens
 *     tts:       { 'elevenlabs/eleven_flash_v2_5': { perMillionCharsUsd: 50 } },     // input characters
 *     telephony: { 'twilio/inbound-local':     { perMinuteUsd: 0.0085 } },           // call minutes
 *   }
 *
 * Keys, most specific first when an item is priced:
 *   'provider/model'    exact model id (a model id may itself contain '/', e.g. Groq's 'meta-llama/…')
 *   'provider/prefix*'  any model starting with prefix; the longest matching prefix wins
 *   'provider/*'        any model of that provider
 *   '*'                 anything else of that kind
 * Matching ignores case. An item with no matching key costs 0 and is reported as unpriced.
 */

const usd = z.number().min(0);

/** '*', 'provider/*', 'provider/prefix*' or 'provider/model'. */
const PRICE_KEY = /^(\*|[^/*\s]+\/([^*\s]+|[^*\s]*\*))$/;
const priceKey = z.string().regex(PRICE_KEY, "must be '*', 'provider/*', 'provider/prefix*' or 'provider/model'");

export const sttPriceSchema = z.object({ perMinuteUsd: usd }).strict();
export const llmPriceSchema = z.object({ inputPerMillionUsd: usd, outputPerMillionUsd: usd }).strict();
export const ttsPriceSchema = z.object({ perMillionCharsUsd: usd }).strict();
export const telephonyPriceSchema = z.object({ perMinuteUsd: usd }).strict();

export const priceTableSchema = z
  .object({
    stt: z.record(priceKey, sttPriceSchema).default({}),
    llm: z.record(priceKey, llmPriceSchema).default({}),
    tts: z.record(priceKey, ttsPriceSchema).default({}),
    telephony: z.record(priceKey, telephonyPriceSchema).default({}),
  })
  .strict();

export type SttPrice = z.infer<typeof sttPriceSchema>;
export type LlmPrice = z.infer<typeof llmPriceSchema>;
export type TtsPrice = z.infer<typeof ttsPriceSchema>;
export type TelephonyPrice = z.infer<typeof telephonyPriceSchema>;
/** A parsed price table (every kind present). */
export type PriceTableConfig = z.infer<typeof priceTableSchema>;
/** What a user writes in configuration (kinds may be left out). */
export type PriceTableInput = z.input<typeof priceTableSchema>;

type PriceByKind = { stt: SttPrice; llm: LlmPrice; tts: TtsPrice; telephony: TelephonyPrice };

export type ItemCost = {
  usd: number;
  priced: boolean;
  /** The price key that matched (lower-cased), or null when unpriced. */
  key: string | null;
};

/**
 * List prices as published by each vendor for pay-as-you-go use, gathered for Parley's defaults.
 * EXAMPLES TO CHECK against the vendor's pricing page and your own plan before relying on them.
 */
export const DEFAULT_PRICES: PriceTableConfig = {
  stt: {
    // Deepgram Nova-3 (monolingual) streaming, pay-as-you-go; pre-recorded is cheaper ($0.0043/min).
    'deepgram/nova-3': { perMinuteUsd: 0.0077 },
    // OpenAI gpt-4o-transcribe: listed at an estimated $0.006 per audio minute.
    'openai/gpt-4o-transcribe': { perMinuteUsd: 0.006 },
    'simulated/*': { perMinuteUsd: 0 },
    // Engines on this machine cost nothing per use.
    'pocketsphinx/*': { perMinuteUsd: 0 },
    'whisper/*': { perMinuteUsd: 0 },
  },
  llm: {
    // OpenAI gpt-4o-mini standard tier: $0.15 / 1M input, $0.60 / 1M output tokens.
    'openai/gpt-4o-mini': { inputPerMillionUsd: 0.15, outputPerMillionUsd: 0.6 },
    'simulated/*': { inputPerMillionUsd: 0, outputPerMillionUsd: 0 },
    'flow/*': { inputPerMillionUsd: 0, outputPerMillionUsd: 0 },
    'llama/*': { inputPerMillionUsd: 0, outputPerMillionUsd: 0 },
  },
  tts: {
    // ElevenLabs Flash v2.5 API: $0.05 per 1K characters (Flash/Turbo bill half the credits of v2/v3).
    'elevenlabs/eleven_flash_v2_5': { perMillionCharsUsd: 50 },
    // Cartesia Sonic: ~1 credit per character; the Pro plan's $5 per 100K credits is $50 per 1M.
    // Larger plans bring the effective rate down, so set your own.
    'cartesia/sonic*': { perMillionCharsUsd: 50 },
    // Deepgram Aura-2, pay-as-you-go: $0.030 per 1K characters. Model ids name the voice
    // (aura-2-thalia-en), hence the prefix key.
    'deepgram/aura-2*': { perMillionCharsUsd: 30 },
    'simulated/*': { perMillionCharsUsd: 0 },
    'espeak/*': { perMillionCharsUsd: 0 },
  },
  telephony: {
    // Twilio Programmable Voice, US local number, receiving a call: $0.0085 per minute.
    // Twilio bills started minutes; record billed minutes (rounded up) to match an invoice.
    'twilio/inbound-local': { perMinuteUsd: 0.0085 },
    'simulated/*': { perMinuteUsd: 0 },
  },
};

/** Merges tables key by key; later tables win (e.g. defaults, then the user's configuration). */
export function mergePriceTables(...tables: PriceTableInput[]): PriceTableConfig {
  const merged: PriceTableConfig = { stt: {}, llm: {}, tts: {}, telephony: {} };
  for (const table of tables) {
    const parsed = priceTableSchema.parse(table);
    Object.assign(merged.stt, parsed.stt);
    Object.assign(merged.llm, parsed.llm);
    Object.assign(merged.tts, parsed.tts);
    Object.assign(merged.telephony, parsed.telephony);
  }
  return merged;
}

type Matcher<P> = {
  exact: Map<string, P>;
  /** [prefix (including 'provider/'), price], longest prefix first. */
  prefixes: Array<[string, P]>;
  fallback: P | undefined;
};

export class PriceTable {
  private readonly matchers: { [K in UsageKind]: Matcher<PriceByKind[K]> };

  /** Validates `config` (throws a ZodError naming the bad key) and indexes it for lookups. */
  constructor(config: PriceTableInput = DEFAULT_PRICES) {
    const parsed = priceTableSchema.parse(config);
    this.matchers = {
      stt: buildMatcher(parsed.stt),
      llm: buildMatcher(parsed.llm),
      tts: buildMatcher(parsed.tts),
      telephony: buildMatcher(parsed.telephony),
    };
  }

  /** The rate and the key it came from, or undefined when nothing matches. */
  rateFor<K extends UsageKind>(kind: K, provider: string, model: string): { key: string; price: PriceByKind[K] } | undefined {
    const matcher = this.matchers[kind] as Matcher<PriceByKind[K]>;
    const id = `${provider}/${model}`.toLowerCase();
    const exact = matcher.exact.get(id);
    if (exact) return { key: id, price: exact };
    for (const [prefix, price] of matcher.prefixes) {
      if (id.startsWith(prefix)) return { key: `${prefix}*`, price };
    }
    if (matcher.fallback) return { key: '*', price: matcher.fallback };
    return undefined;
  }

  cost(item: UsageItem): ItemCost {
    validateUsageItem(item);
    const rate = this.rateFor(item.kind, item.provider, item.model);
    if (!rate) return { usd: 0, priced: false, key: null };
    return { usd: costOf(item, rate.price), priced: true, key: rate.key };
  }
}

function costOf(item: UsageItem, price: PriceByKind[UsageKind]): number {
  const q = item.quantity;
  switch (item.unit) {
    case 'audio_seconds':
      return (q / 60) * (price as SttPrice).perMinuteUsd;
    case 'prompt_tokens':
      return (q / 1e6) * (price as LlmPrice).inputPerMillionUsd;
    case 'completion_tokens':
      return (q / 1e6) * (price as LlmPrice).outputPerMillionUsd;
    case 'characters':
      return (q / 1e6) * (price as TtsPrice).perMillionCharsUsd;
    case 'minutes':
      return q * (price as TelephonyPrice).perMinuteUsd;
  }
}

function buildMatcher<P>(entries: Record<string, P>): Matcher<P> {
  const matcher: Matcher<P> = { exact: new Map(), prefixes: [], fallback: undefined };
  for (const [rawKey, price] of Object.entries(entries)) {
    const key = rawKey.toLowerCase();
    if (key === '*') matcher.fallback = price;
    else if (key.endsWith('*')) matcher.prefixes.push([key.slice(0, -1), price]);
    else matcher.exact.set(key, price);
  }
  matcher.prefixes.sort((a, b) => b[0].length - a[0].length);
  return matcher;
}
