// A loaded, validated flow: the file's shorthand expanded (every transition an object, every
// default filled in), so the engine never re-checks anything.
import type { SlotType, SlotValue } from './understanding/slots.js';

/** The transition target that returns to the node that heard the caller last. */
export const BACK = 'back';
/** Intents understood without examples (the yes/no classifier); examples may add to them. */
export const BUILTIN_INTENTS = ['yes', 'no'] as const;

export type Transition = {
  goto: string;
  clear?: 'all' | string[];
  /** Values to set; strings may use "{slot}" placeholders (raw values). */
  set?: Record<string, SlotValue>;
  /** Slots to fill from the same words that chose this route (intents only). */
  fill?: string[];
};

export type FlowAction = {
  tool: string;
  args: Record<string, string | number | boolean | null>;
  save: Record<string, string>;
  speak: boolean;
  onOk?: Transition;
  onFail?: Transition;
  onError?: Transition;
  /** Routes by the result's `error` code. */
  on: Record<string, Transition>;
};

/** A slot the caller fills by typing keys: only 0-9, between `min` and `max` of them. */
export type FlowDigits = { slot: string; min: number; max: number };

export type FlowListen = {
  intents: Record<string, Transition>;
  /** Keypad key → route, for a caller who presses just that key. */
  keys: Record<string, Transition>;
  digits?: FlowDigits;
  slots: string[];
  require: string[];
  next?: Transition;
  corrections?: Transition | Record<string, Transition>;
  always: boolean;
};

export type FlowNode = {
  id: string;
  say?: string;
  listen?: FlowListen;
  actions: FlowAction[];
  next?: Transition;
  reprompt?: string;
  maxRetries?: number;
  fallback?: Transition;
  end: boolean;
  handoff: boolean;
};

export type Flow = {
  /** The file it was loaded from (for messages). */
  file: string;
  name: string;
  description?: string;
  start: string;
  locale: string;
  timeZone?: string;
  maxRetries: number;
  handoff?: string;
  prompts: { noMatch: string; corrected: string };
  slots: Record<string, SlotType>;
  /** intent → example phrases, including examples written inline in nodes. */
  intents: Record<string, string[]>;
  global: Record<string, Transition>;
  nodes: Record<string, FlowNode>;
  /** Tool names the flow's actions call. */
  tools: string[];
};
