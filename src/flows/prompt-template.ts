// Placeholders in prompts and action arguments: "{date}" is a slot's value, "{phone?}" an
// optional one. Prompts get the value as it is spoken ("Tuesday March 11th", "3 pm"); tool
// arguments get the normalised value ('2025-03-11', '15:00').
import type { SlotType, SlotValue } from './understanding/slots.js';
import { spokenValue } from './spoken-values.js';

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}/g;

export type Placeholder = { slot: string; optional: boolean };

export function placeholdersOf(text: string): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => ({ slot: m[1], optional: m[2] === '?' }));
}

/** A prompt with slot values spoken; unfilled slots say nothing. */
export function renderPrompt(text: string, slots: Readonly<Record<string, SlotValue>>, types: Readonly<Record<string, SlotType>>, extra: Readonly<Record<string, string>> = {}): string {
  const out = text.replace(PLACEHOLDER, (_, slot: string) => {
    if (slot in extra) return extra[slot];
    const value = slots[slot];
    return value === undefined ? '' : spokenValue(types[slot] ?? 'text', value);
  });
  return out.replace(/\s+([,.!?])/g, '$1').replace(/\s{2,}/g, ' ').trim();
}

export type ArgValue = { value: string | number | boolean | null } | { omit: true } | { missing: string };

/**
 * An action argument. A template that is exactly one placeholder passes the slot's value with its
 * type ("{count}" stays a number); "{slot?}" is left out when the slot is empty; a missing
 * required slot is reported so the action can fail cleanly instead of calling the tool with junk.
 */
export function renderArg(template: string | number | boolean | null, slots: Readonly<Record<string, SlotValue>>): ArgValue {
  if (typeof template !== 'string') return { value: template };
  const whole = /^\{([A-Za-z_][A-Za-z0-9_]*)(\?)?\}$/.exec(template);
  if (whole) {
    const value = slots[whole[1]];
    if (value !== undefined) return { value };
    return whole[2] === '?' ? { omit: true } : { missing: whole[1] };
  }
  let missing: string | null = null;
  const value = template.replace(PLACEHOLDER, (_, slot: string, optional?: string) => {
    const v = slots[slot];
    if (v === undefined && !optional) missing ??= slot;
    return v === undefined ? '' : String(v);
  });
  return missing ? { missing } : { value };
}
