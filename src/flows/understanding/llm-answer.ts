// What an LLM's function call means at a listening node. A call the node did not offer, or
// arguments that do not read as the slots' types, count as not understood (the node re-prompts);
// the reason goes to the trace.
import type { ToolCall } from '../../providers/types.js';
import type { Understood } from '../flow-engine.js';
import type { Flow } from '../flow-types.js';
import type { ExtractContext } from './calendar.js';
import { readSlotArguments } from './slot-arguments.js';
import type { SlotValue } from './slots.js';
import type { FunctionMeaning } from './understanding-tools.js';

const NONE = { kind: 'none' } as const;

export function readLlmAnswer(
  flow: Flow,
  calls: readonly ToolCall[],
  meanings: ReadonlyMap<string, FunctionMeaning>,
  slots: Readonly<Record<string, SlotValue>>,
  ctx: ExtractContext,
): Understood {
  // One function per utterance was asked for; a model that calls more gets its first call read.
  const call = calls[0];
  if (!call) return { heard: NONE, by: 'llm', error: 'the model called no function' };
  const meaning = meanings.get(call.name);
  if (!meaning) return { heard: NONE, by: 'llm', error: `the model called an unknown function "${call.name}"` };
  const allowed = meaning.kind === 'intent' ? meaning.slots : meaning.kind === 'answer' ? meaning.slots : meaning.kind === 'correct' ? [...meaning.earlier, ...meaning.own] : [];
  const read = readSlotArguments(call.arguments, allowed, flow.slots, ctx);
  if ('error' in read) return { heard: NONE, by: 'llm', error: `${call.name}: ${read.error}` };
  const { values } = read;
  switch (meaning.kind) {
    case 'none':
      return { heard: NONE, by: 'llm' };
    case 'intent':
      return { heard: { kind: 'intent', intent: meaning.intent, route: meaning.route, global: meaning.global, score: 1, values }, by: 'llm' };
    case 'answer':
      if (Object.keys(values).length === 0) return { heard: NONE, by: 'llm', error: `${call.name}: no values` };
      return { heard: { kind: 'slots', values }, by: 'llm' };
    case 'correct': {
      const changed: Record<string, SlotValue> = {};
      const own: Record<string, SlotValue> = {};
      for (const [slot, value] of Object.entries(values)) {
        if (meaning.own.includes(slot)) own[slot] = value;
        else if (value !== slots[slot]) changed[slot] = value;
      }
      if (Object.keys(changed).length > 0) return { heard: { kind: 'correction', changed, values: own }, by: 'llm' };
      if (Object.keys(own).length > 0) return { heard: { kind: 'slots', values: own }, by: 'llm' };
      return { heard: NONE, by: 'llm', error: `${call.name}: nothing changed` };
    }
  }
}
