// Slot values as an LLM gives them in function arguments, brought to the shapes the matcher
// produces ('YYYY-MM-DD', 'HH:MM', digits, "John Smith"), so the rest of the flow cannot tell which
// understood the caller. Each value goes through its type's extractor, which reads both written
// forms ("2025-03-18", "15:00") and spoken ones ("next tuesday", "3 pm"); what it cannot read is
// an error, never a guess.
import { z } from 'zod';
import type { ExtractContext } from './calendar.js';
import { findSlotValues, type SlotType, type SlotValue } from './slots.js';
import { classifyYesNo } from './yes-no.js';

export type SlotReading = { value: SlotValue } | { error: string };

export function normalizeSlotValue(type: SlotType, raw: unknown, ctx: ExtractContext): SlotReading {
  if (type === 'yesno') {
    if (typeof raw === 'boolean') return { value: raw };
    const yn = typeof raw === 'string' ? classifyYesNo(raw) : null;
    return yn ? { value: yn === 'yes' } : { error: `not a yes or no: ${JSON.stringify(raw)}` };
  }
  if (type === 'number' && typeof raw === 'number') return Number.isFinite(raw) ? { value: raw } : { error: 'not a finite number' };
  if (typeof raw !== 'string' && typeof raw !== 'number') return { error: `expected a ${type}, got ${describe(raw)}` };
  const text = String(raw).trim();
  if (text === '') return { error: `empty ${type}` };
  if (type === 'text') return { value: text };
  const value = findSlotValues(type, text, ctx, { expect: true }).at(-1)?.value;
  return value === undefined ? { error: `not a ${type}: ${JSON.stringify(text)}` } : { value };
}

const argumentsObject = z.record(z.string(), z.unknown());

/**
 * A function call's JSON arguments read as slot values. Only `allowed` slots may appear; a null or
 * missing value is simply not given. Any unreadable part makes the whole call an error: half of a
 * garbled answer is not trustworthy either.
 */
export function readSlotArguments(
  json: string,
  allowed: readonly string[],
  types: Readonly<Record<string, SlotType>>,
  ctx: ExtractContext,
): { values: Record<string, SlotValue> } | { error: string } {
  let parsed: unknown;
  try {
    parsed = json.trim() === '' ? {} : JSON.parse(json);
  } catch {
    return { error: `arguments are not JSON: ${clip(json)}` };
  }
  const object = argumentsObject.safeParse(parsed);
  if (!object.success) return { error: `arguments are not an object: ${clip(json)}` };
  const values: Record<string, SlotValue> = {};
  for (const [name, raw] of Object.entries(object.data)) {
    if (!allowed.includes(name)) return { error: `unexpected argument "${name}"` };
    if (raw === null || raw === undefined) continue;
    const reading = normalizeSlotValue(types[name], raw, ctx);
    if ('error' in reading) return { error: `${name}: ${reading.error}` };
    values[name] = reading.value;
  }
  return { values };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
