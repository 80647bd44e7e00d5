// The shape of a flow file (YAML or JSON), checked with zod before the graph checks in
// flow-validate.ts. Field names here are what users write; keep them short and readable.
import { z } from 'zod';

const slotRef = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'slot names are letters, digits and _');
const slotList = z.array(slotRef);
const literal = z.union([z.string(), z.number(), z.boolean()]);

/** Where to go next: a node id (or "back"), optionally clearing or setting slots on the way. */
const transitionObject = z.strictObject({
  goto: z.string().min(1),
  clear: z.union([z.literal('all'), slotList]).optional(),
  set: z.record(slotRef, literal).optional(),
});
export const transitionSchema = z.union([z.string().min(1), transitionObject]);

/** An intent's route: a transition that may also fill slots from the same words, with inline examples. */
const intentRouteObject = z.strictObject({
  goto: z.string().min(1),
  clear: z.union([z.literal('all'), slotList]).optional(),
  set: z.record(slotRef, literal).optional(),
  fill: slotList.optional(),
  examples: z.array(z.string().min(1)).min(1).optional(),
});
export const intentRouteSchema = z.union([z.string().min(1), intentRouteObject]);

export const actionSchema = z.strictObject({
  tool: z.string().min(1),
  /** Argument values; "{slot}" is the slot's value, "{slot?}" leaves the argument out when unfilled. */
  args: z.record(z.string(), z.union([literal, z.null()])).optional(),
  /** slot: path in the result JSON ("appointment.id", "slots[0]"); "a|b" takes the first present. */
  save: z.record(slotRef, z.string().min(1)).optional(),
  /** Speak the result's `say` sentence (default true). */
  speak: z.boolean().optional(),
  onOk: transitionSchema.optional(),
  onFail: transitionSchema.optional(),
  onError: transitionSchema.optional(),
  /** Routes by the result's `error` code ("slot_taken", "system_error"), before onFail/onError. */
  on: z.record(z.string().min(1), transitionSchema).optional(),
});

export const listenSchema = z.strictObject({
  intents: z.record(z.string().min(1), intentRouteSchema).optional(),
  slots: slotList.optional(),
  /** Slots that must be filled before `next`; default: all of `slots`. */
  require: slotList.optional(),
  next: transitionSchema.optional(),
  corrections: z.union([transitionSchema, z.record(slotRef, transitionSchema)]).optional(),
  /** Ask even when the required slots are already filled. */
  always: z.boolean().optional(),
  /** Keypad key (0-9, *, #, A-D) → where a caller who presses it goes. */
  keys: z.record(z.string(), transitionSchema).optional(),
  /** A slot filled from keys the caller types (an account number, a PIN), between min and max keys. */
  digits: z
    .strictObject({
      slot: slotRef,
      min: z.number().int().min(1).max(32).optional(),
      max: z.number().int().min(1).max(32).optional(),
    })
    .optional(),
});

export const nodeSchema = z.strictObject({
  say: z.string().optional(),
  listen: listenSchema.optional(),
  actions: z.array(actionSchema).optional(),
  next: transitionSchema.optional(),
  reprompt: z.string().optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  fallback: transitionSchema.optional(),
  end: z.boolean().optional(),
  handoff: z.boolean().optional(),
});

export const DEFAULT_PROMPTS = {
  noMatch: "Sorry, I didn't catch that.",
  corrected: 'Got it, {changed}.',
};

export const flowFileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().optional(),
  start: z.string().min(1),
  /** BCP-47 locale of the business: how "5/3" is read. */
  locale: z.string().min(2).optional(),
  /** IANA zone "today" is counted in; the FlowLlm option overrides it. */
  timeZone: z.string().min(1).optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  /** The node repeated no-match falls back to (unless a node names its own `fallback`). */
  handoff: z.string().min(1).optional(),
  prompts: z.strictObject({ noMatch: z.string().optional(), corrected: z.string().optional() }).optional(),
  /** slot name → type (date, time, number, name, phone, email, yesno, text). */
  slots: z.record(slotRef, z.string()).optional(),
  /** intent name → example phrases. */
  intents: z.record(z.string().min(1), z.array(z.string().min(1)).min(1)).optional(),
  /** Intents heard at every listening node, and where they go. */
  global: z.record(z.string().min(1), intentRouteSchema).optional(),
  nodes: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'node ids are letters, digits, _ and -'), nodeSchema),
});

export type FlowFile = z.infer<typeof flowFileSchema>;
export type FlowFileNode = z.infer<typeof nodeSchema>;
export type FlowFileTransition = z.infer<typeof transitionSchema>;
export type FlowFileIntentRoute = z.infer<typeof intentRouteSchema>;
