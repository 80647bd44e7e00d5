// One entry point per slot type, so the flow engine can ask "what date/time/name is in these
// words?" without knowing each extractor. Matches carry token positions where the extractor knows
// them, so a correction can skip the value the caller rejects ("not Tuesday").
import type { ExtractContext } from './calendar.js';
import { findDates } from './dates.js';
import { extractEmail } from './emails.js';
import { extractName } from './names.js';
import { tokenize } from './normalize.js';
import { findNumbers } from './numbers.js';
import { extractPhone } from './phones.js';
import { findTimes } from './times.js';
import { classifyYesNo } from './yes-no.js';

export const SLOT_TYPES = ['date', 'time', 'number', 'name', 'phone', 'email', 'yesno', 'text'] as const;
export type SlotType = (typeof SLOT_TYPES)[number];
export type SlotValue = string | number | boolean;

export function isSlotType(type: string): type is SlotType {
  return (SLOT_TYPES as readonly string[]).includes(type);
}

export type SlotMatch = { value: SlotValue; start: number; end: number };

export type SlotExtractOptions = {
  /** The caller was just asked for this slot: accept bare answers ("three", "john smith"). */
  expect?: boolean;
};

/** Every value of `type` in the utterance, in order (positions are token indexes). */
export function findSlotValues(type: SlotType, text: string, ctx: ExtractContext, options: SlotExtractOptions = {}): SlotMatch[] {
  const tokens = tokenize(text);
  const whole = (value: SlotValue | null): SlotMatch[] => (value === null ? [] : [{ value, start: 0, end: tokens.length }]);
  switch (type) {
    case 'date':
      return findDates(tokens, ctx);
    case 'time': {
      // A number inside a date ("march twenty", "the 5th") is not a time.
      const dates = findDates(tokens, ctx);
      return findTimes(tokens, { expect: options.expect }).filter((t) => !dates.some((d) => t.start < d.end && d.start < t.end));
    }
    case 'number':
      return findNumbers(tokens);
    case 'name':
      return whole(extractName(text, { expect: options.expect }));
    case 'phone':
      return whole(extractPhone(text, { expect: options.expect }));
    case 'email':
      return whole(extractEmail(text));
    case 'yesno':
      return whole(classifyYesNo(text));
    case 'text':
      return options.expect && tokens.length > 0 ? whole(text.trim()) : [];
  }
}

/** The value of `type` the caller meant (the last one said), or null. */
export function extractSlot(type: SlotType, text: string, ctx: ExtractContext, options: SlotExtractOptions = {}): SlotValue | null {
  return findSlotValues(type, text, ctx, options).at(-1)?.value ?? null;
}
