// What the caller meant at a listening node, in priority order:
//   1. a correction of a slot filled earlier ("no, I said Wednesday"), when the words carry a
//      correction marker or the node is asking for a yes/no confirmation;
//   2. an intent matched with high confidence (the node's own, or a global one like "opening hours");
//   3. values for the slots the node listens for, said explicitly ("tomorrow", "at 3 pm");
//   4. yes / no, when the node routes on them;
//   5. bare answers for the slots the node asked for ("three", "john smith");
//   6. an intent matched with lower confidence.
// Anything else is a no-match.
//
// Keypad input (`[keypad] 1234`, src/turn/keypad.ts) is read apart from words: a key the node
// routes on, else the node's keypad slot, else typed digits for its number and phone slots; any
// words said alongside are ignored, and anything else is a no-match.
import { readKeypad } from '../turn/keypad.js';
import type { Flow, FlowDigits, FlowNode, Transition } from './flow-types.js';
import type { ExtractContext } from './understanding/calendar.js';
import { addDays, compareDates, formatDate, parseDate, todayIn, weekdayIndex } from './understanding/calendar.js';
import { detectCorrection, isNegated } from './understanding/corrections.js';
import { weekdayOf } from './understanding/dates.js';
import type { IntentMatcher } from './understanding/intent-matcher.js';
import { tokenize } from './understanding/normalize.js';
import { findSlotValues, type SlotType, type SlotValue } from './understanding/slots.js';
import { classifyYesNo } from './understanding/yes-no.js';

export type Heard =
  /** `values`: the route's `fill` slots as an LLM gave them; without it they are extracted from the words. */
  | { kind: 'intent'; intent: string; route: Transition; global: boolean; score: number; values?: Record<string, SlotValue> }
  | { kind: 'slots'; values: Record<string, SlotValue> }
  | { kind: 'correction'; changed: Record<string, SlotValue>; values: Record<string, SlotValue> }
  /** The caller pressed a key the node routes on. */
  | { kind: 'keys'; keys: string; route: Transition }
  | { kind: 'none' };

export const STRONG_INTENT = 0.8;
export const WEAK_INTENT = 0.5;
/** A node's own intents win near-ties with global ones. */
const NODE_BONUS = 0.03;
const CORRECTABLE: readonly SlotType[] = ['date', 'time', 'name', 'phone', 'email'];

export type UnderstandInput = {
  flow: Flow;
  matcher: IntentMatcher;
  node: FlowNode;
  slots: Readonly<Record<string, SlotValue>>;
  /** Slot names in the order they were last filled, oldest first. */
  filledOrder: readonly string[];
  text: string;
  ctx: ExtractContext;
};

export function understand(input: UnderstandInput): Heard {
  const { node, text } = input;
  const listen = node.listen;
  if (!listen) return { kind: 'none' };
  const keypad = readKeypad(text);
  if (keypad) return understandKeys(input, keypad.keys);
  const tokens = tokenize(text);
  if (tokens.length === 0) return { kind: 'none' };

  const changed = correctedValues(input, tokens);
  if (Object.keys(changed).length > 0) return { kind: 'correction', changed, values: listenedValues(input, false) };

  const intent = bestIntent(input);
  if (intent && intent.score >= STRONG_INTENT) return intent;

  const explicit = listenedValues(input, false);
  if (Object.keys(explicit).length > 0) return { kind: 'slots', values: explicit };

  const yn = 'yes' in listen.intents || 'no' in listen.intents ? classifyYesNo(text) : null;
  if (yn && listen.intents[yn]) return { kind: 'intent', intent: yn, route: listen.intents[yn], global: false, score: 1 };

  const bare = listenedValues(input, true);
  if (Object.keys(bare).length > 0) return { kind: 'slots', values: bare };

  if (intent && intent.score >= WEAK_INTENT) return intent;
  return { kind: 'none' };
}

function understandKeys(input: UnderstandInput, keys: string): Heard {
  const listen = input.node.listen!;
  const route = listen.keys[keys];
  if (route) return { kind: 'keys', keys, route };
  if (listen.digits) {
    const value = keypadSlotValue(listen.digits, input.flow.slots[listen.digits.slot], keys);
    if (value !== undefined) return { kind: 'slots', values: { [listen.digits.slot]: value } };
  }
  // Typed digits answer a number or phone question as well as spoken ones.
  if (/^[0-9]+$/.test(keys)) {
    const values: Record<string, SlotValue> = {};
    for (const slot of listen.slots) {
      const type = input.flow.slots[slot];
      if (type !== 'number' && type !== 'phone') continue;
      const value = findSlotValues(type, keys, input.ctx, { expect: true }).at(-1)?.value;
      if (value !== undefined) values[slot] = value;
    }
    if (Object.keys(values).length > 0) return { kind: 'slots', values };
  }
  return { kind: 'none' };
}

/** The keypad slot's value for `keys`: only digits, within the node's bounds. */
function keypadSlotValue(digits: FlowDigits, type: SlotType, keys: string): SlotValue | undefined {
  if (!/^[0-9]+$/.test(keys) || keys.length < digits.min || keys.length > digits.max) return undefined;
  return type === 'number' ? Number(keys) : keys;
}

function bestIntent({ flow, matcher, node, text, ctx }: UnderstandInput): Extract<Heard, { kind: 'intent' }> | null {
  const own = node.listen?.intents ?? {};
  const candidates = new Set([...Object.keys(own), ...Object.keys(flow.global)]);
  const ranked = matcher
    .rank(withoutValues(text, ctx), candidates)
    .map((r) => ({ ...r, own: r.intent in own, adjusted: r.score + (r.intent in own ? NODE_BONUS : 0) }))
    .sort((a, b) => b.adjusted - a.adjusted);
  const [first, second] = ranked;
  if (!first || first.score <= 0) return null;
  if (second && first.adjusted - second.adjusted < 0.05 && first.score < 0.9) return null;
  const route = first.own ? own[first.intent] : flow.global[first.intent];
  return { kind: 'intent', intent: first.intent, route, global: !first.own, score: first.score };
}

/** Values for the slots this node listens for; `expect` accepts bare answers. */
function listenedValues({ flow, node, text, ctx }: UnderstandInput, expect: boolean): Record<string, SlotValue> {
  const out: Record<string, SlotValue> = {};
  const tokens = tokenize(text);
  for (const slot of node.listen?.slots ?? []) {
    const matches = findSlotValues(flow.slots[slot], text, ctx, { expect }).filter((m) => !isNegated(tokens, m.start));
    const value = matches.at(-1)?.value;
    if (value !== undefined) out[slot] = value;
  }
  return out;
}

/**
 * Slots filled earlier (and not asked for by this node) whose value the caller now changes. One
 * slot per type: the one filled most recently, which is the one the caller is talking about.
 */
function correctedValues({ flow, node, slots, filledOrder, text, ctx }: UnderstandInput, tokens: readonly string[]): Record<string, SlotValue> {
  const listen = node.listen!;
  const marker = detectCorrection(tokens);
  const confirming = 'yes' in listen.intents || 'no' in listen.intents;
  if (!marker && !confirming) return {};
  const byType = new Map<SlotType, string>();
  for (const slot of filledOrder) {
    const type = flow.slots[slot];
    if (slots[slot] === undefined || listen.slots.includes(slot) || !CORRECTABLE.includes(type)) continue;
    byType.set(type, slot);
  }
  const rest = marker ? tokens.slice(marker.after).join(' ') : '';
  const out: Record<string, SlotValue> = {};
  for (const [type, slot] of byType) {
    let value: SlotValue | undefined;
    if (type === 'name') {
      // "no, Jane": a bare name is only readable after a marker.
      value = findSlotValues(type, marker ? rest : text, ctx, { expect: marker !== null }).at(-1)?.value;
    } else {
      // After a marker a bare number is a time: "no, I said four".
      const expect = marker !== null && type === 'time';
      const match = findSlotValues(type, text, ctx, { expect }).filter((m) => !isNegated(tokens, m.start)).at(-1);
      value = match?.value;
      // "Tuesday the 18th? No, I said Wednesday": the Wednesday of that week, not the next one.
      if (match && type === 'date' && typeof slots[slot] === 'string') {
        const day = plainWeekday(tokens.slice(match.start, match.end));
        if (day !== null) value = weekdayNear(slots[slot] as string, day, ctx) ?? value;
      }
    }
    if (value !== undefined && value !== slots[slot]) out[slot] = value;
  }
  return out;
}

/**
 * The words with dates and times taken out: "are you open on saturday" is the hours intent
 * whatever the day, and "book for tomorrow at three" should not be penalised for the words that
 * are slot values rather than intent.
 */
function withoutValues(text: string, ctx: ExtractContext): string {
  const tokens = tokenize(text);
  const spans = [...findSlotValues('date', text, ctx), ...findSlotValues('time', text, ctx)];
  return tokens.filter((_, i) => !spans.some((m) => i >= m.start && i < m.end)).join(' ');
}

/** The weekday of a match that is just a day name ("wednesday", "on wednesday"), else null. */
function plainWeekday(words: readonly string[]): number | null {
  const rest = words[0] === 'on' ? words.slice(1) : words;
  return rest.length === 1 ? weekdayOf(rest[0]) : null;
}

/** The date with that weekday closest to `near` (within three days), if it is not in the past. */
function weekdayNear(near: string, weekday: number, ctx: ExtractContext): string | null {
  const base = parseDate(near);
  if (!base) return null;
  const shift = ((weekday - weekdayIndex(base) + 10) % 7) - 3;
  const date = addDays(base, shift);
  return compareDates(date, todayIn(ctx.now, ctx.timeZone)) >= 0 ? formatDate(date) : null;
}
