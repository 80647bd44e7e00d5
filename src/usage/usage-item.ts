// One measured quantity of provider usage: the unit every cost and budget is computed from.
// Providers and transports report what they consumed; pricing happens elsewhere, so a
// wrong price never loses the underlying measurement.

export type UsageKind = 'stt' | 'llm' | 'tts' | 'telephony';

export type UsageUnit = 'audio_seconds' | 'prompt_tokens' | 'completion_tokens' | 'characters' | 'minutes';

export type UsageItem = {
  kind: UsageKind;
  /** Provider name as the adapter reports it, e.g. `deepgram`, `openai`, `simulated`. */
  provider: string;
  /** Model id as sent to the provider, e.g. `nova-3`, `gpt-4o-mini`. */
  model: string;
  unit: UsageUnit;
  quantity: number;
  /** The turn this usage served; STT audio usually has none (see CallUsage.closeTurn). */
  turnId?: string | null;
};

export interface UsageSink {
  record(item: UsageItem): void;
}

export const USAGE_KINDS: readonly UsageKind[] = ['stt', 'llm', 'tts', 'telephony'];

/**
 * The units each kind is measured in. A mismatch (say, TTS in `minutes`) would be priced with
 * the wrong rate and silently misstate the cost, so it is rejected instead.
 */
export const UNITS_BY_KIND: Readonly<Record<UsageKind, readonly UsageUnit[]>> = {
  stt: ['audio_seconds'],
  llm: ['prompt_tokens', 'completion_tokens'],
  tts: ['characters'],
  telephony: ['minutes'],
};

export class InvalidUsageError extends Error {
  override readonly name = 'InvalidUsageError';
}

/** Throws InvalidUsageError unless `item` is a well-formed usage record; returns it unchanged. */
export function validateUsageItem(item: UsageItem): UsageItem {
  const where = `usage item ${describe(item)}`;
  if (!item || typeof item !== 'object') throw new InvalidUsageError('usage item must be an object');
  if (!(USAGE_KINDS as readonly string[]).includes(item.kind)) {
    throw new InvalidUsageError(`${where}: kind must be one of ${USAGE_KINDS.join(', ')}`);
  }
  if (typeof item.provider !== 'string' || item.provider.length === 0) {
    throw new InvalidUsageError(`${where}: provider must be a non-empty string`);
  }
  if (typeof item.model !== 'string' || item.model.length === 0) {
    throw new InvalidUsageError(`${where}: model must be a non-empty string`);
  }
  const units = UNITS_BY_KIND[item.kind];
  if (!units.includes(item.unit)) {
    throw new InvalidUsageError(`${where}: unit for ${item.kind} must be ${units.join(' or ')}, got ${String(item.unit)}`);
  }
  if (typeof item.quantity !== 'number' || !Number.isFinite(item.quantity) || item.quantity < 0) {
    throw new InvalidUsageError(`${where}: quantity must be a finite number >= 0, got ${String(item.quantity)}`);
  }
  if (item.turnId !== undefined && item.turnId !== null && (typeof item.turnId !== 'string' || item.turnId.length === 0)) {
    throw new InvalidUsageError(`${where}: turnId must be a non-empty string, null or absent`);
  }
  return item;
}

function describe(item: UsageItem): string {
  if (!item || typeof item !== 'object') return '';
  return `${String(item.kind)}:${String(item.provider)}/${String(item.model)}`;
}
