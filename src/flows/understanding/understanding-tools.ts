// The functions an LLM may call to say what the caller meant at one listening node: one per
// intent the node (or the flow, globally) listens for, `answer` for the node's slots, `correct`
// for values given earlier, and `no_match`. Each function knows what its call means to the engine.
import type { ToolSpec } from '../../providers/types.js';
import type { Flow, FlowNode, Transition } from '../flow-types.js';
import type { SlotType, SlotValue } from './slots.js';

export type FunctionMeaning =
  | { kind: 'intent'; intent: string; route: Transition; global: boolean; slots: string[] }
  | { kind: 'answer'; slots: string[] }
  /** `earlier`: slots filled before this node that the caller may change; `own`: this node's slots. */
  | { kind: 'correct'; earlier: string[]; own: string[] }
  | { kind: 'none' };

export type UnderstandingFunctions = { specs: ToolSpec[]; meanings: Map<string, FunctionMeaning> };

const ANSWER = 'answer';
const CORRECT = 'correct';
const NO_MATCH = 'no_match';
const RESERVED = new Set([ANSWER, CORRECT, NO_MATCH]);
/** Enough examples to show what an intent is about without bloating every request. */
const MAX_EXAMPLES = 6;

const SLOT_SCHEMAS: Record<SlotType, Record<string, unknown>> = {
  date: { type: 'string', description: 'the date as YYYY-MM-DD' },
  time: { type: 'string', description: 'the time as HH:MM, 24-hour clock' },
  number: { type: 'number' },
  name: { type: 'string', description: "the person's name, e.g. Jane Doe" },
  phone: { type: 'string', description: 'the phone number, digits only' },
  email: { type: 'string', description: 'the email address, e.g. jane.doe@example.com' },
  yesno: { type: 'boolean' },
  text: { type: 'string', description: "the caller's answer in their words" },
};

export function understandingFunctions(
  flow: Flow,
  node: FlowNode,
  slots: Readonly<Record<string, SlotValue>>,
  filledOrder: readonly string[],
): UnderstandingFunctions {
  const listen = node.listen;
  const specs: ToolSpec[] = [];
  const meanings = new Map<string, FunctionMeaning>();
  const add = (name: string, description: string, slotNames: readonly string[], meaning: FunctionMeaning) => {
    specs.push({ name, description, parameters: parametersFor(flow, slotNames) });
    meanings.set(name, meaning);
  };
  if (!listen) return { specs, meanings };

  const own = listen.intents;
  const intents: Array<[string, Transition, boolean]> = [
    ...Object.entries(own).map(([intent, route]): [string, Transition, boolean] => [intent, route, false]),
    ...Object.entries(flow.global)
      .filter(([intent]) => !(intent in own))
      .map(([intent, route]): [string, Transition, boolean] => [intent, route, true]),
  ];
  for (const [intent, route, global] of intents) {
    const fill = route.fill ?? [];
    add(functionName(intent, meanings), intentDescription(flow, intent, global, fill), fill, { kind: 'intent', intent, route, global, slots: fill });
  }
  if (listen.slots.length > 0) {
    const needed = listen.require.length > 0 ? ` Needed before moving on: ${listen.require.join(', ')}.` : '';
    add(ANSWER, `The caller gives ${listen.slots.join(', ')}: pass what they said.${needed}`, listen.slots, { kind: 'answer', slots: listen.slots });
  }
  const earlier = filledOrder.filter((s) => slots[s] !== undefined && !listen.slots.includes(s));
  if (earlier.length > 0) {
    add(
      CORRECT,
      `The caller changes a value they gave earlier (${earlier.join(', ')}), e.g. "no, I said Wednesday": pass only the new values.`,
      [...earlier, ...listen.slots],
      { kind: 'correct', earlier, own: listen.slots },
    );
  }
  add(NO_MATCH, 'None of the other functions fits: the words are unclear, off-topic, or do not answer the question.', [], { kind: 'none' });
  return { specs, meanings };
}

function parametersFor(flow: Flow, slotNames: readonly string[]): Record<string, unknown> {
  const properties = Object.fromEntries(slotNames.map((s) => [s, SLOT_SCHEMAS[flow.slots[s]]]));
  return { type: 'object', properties, additionalProperties: false };
}

function intentDescription(flow: Flow, intent: string, global: boolean, fill: readonly string[]): string {
  const examples = (flow.intents[intent] ?? []).slice(0, MAX_EXAMPLES).map((e) => `"${e}"`);
  const parts: string[] = [];
  if (intent === 'yes') parts.push('The caller says yes: agrees, confirms or accepts.');
  else if (intent === 'no') parts.push('The caller says no: declines, refuses or says it is wrong.');
  else parts.push(`The caller wants "${intent.replace(/_/g, ' ')}".`);
  if (examples.length > 0) parts.push(`For example: ${examples.join(', ')}.`);
  if (global) parts.push('Can be asked at any point in the call.');
  if (fill.length > 0) parts.push(`Pass ${fill.join(', ')} when the caller says them in the same words.`);
  return parts.join(' ');
}

/** OpenAI-style function names are [A-Za-z0-9_-]{1,64}; intent names are free text. */
function functionName(intent: string, taken: ReadonlyMap<string, unknown>): string {
  let base = intent.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 56) || 'intent';
  if (RESERVED.has(base)) base = `intent_${base}`;
  let name = base;
  for (let i = 2; taken.has(name) || RESERVED.has(name); i++) name = `${base}_${i}`;
  return name;
}
