// The request an LLM gets to understand one utterance: what the agent is doing and just asked,
// the values given so far, and today's date in the business's zone (so "next Tuesday" resolves to
// the same day the matcher would pick). Built from the node and slots only, so a cached answer for
// the same node, slots, day and words is the answer this request would get.
import type { ChatMessage } from '../../providers/types.js';
import type { Flow, FlowNode } from '../flow-types.js';
import { renderPrompt } from '../prompt-template.js';
import { spokenValue } from '../spoken-values.js';
import { formatDate, todayIn, type ExtractContext } from './calendar.js';
import type { SlotValue } from './slots.js';

export function understandingMessages(
  flow: Flow,
  node: FlowNode,
  slots: Readonly<Record<string, SlotValue>>,
  text: string,
  ctx: ExtractContext,
): ChatMessage[] {
  const lines = [
    `You read what a caller says to a phone agent${flow.description ? ` that ${lowerFirst(flow.description)}` : ` ("${flow.name}")`}.`,
    'Call exactly one function: the one that says what the caller means. Call no_match when none fits. Do not answer in text.',
    'The words come from speech recognition: expect lower case, missing punctuation, numbers as words and misheard words.',
    `Today is ${todayLine(ctx)}. Resolve "today", "tomorrow", weekdays and "next ..." against it; a date that has passed this year means next year.`,
    'Give dates as YYYY-MM-DD and times as HH:MM (24-hour clock). Leave out any value the caller did not say.',
  ];
  const given = Object.entries(slots).map(([slot, value]) => `${slot} = ${JSON.stringify(value)} (${spokenValue(flow.slots[slot] ?? 'text', value)})`);
  lines.push(given.length > 0 ? `Values given so far: ${given.join('; ')}.` : 'No values given so far.');
  const asked = node.say ? renderPrompt(node.say, slots, flow.slots) : '';
  const messages: ChatMessage[] = [{ role: 'system', content: lines.join('\n') }];
  if (asked) messages.push({ role: 'assistant', content: asked });
  messages.push({ role: 'user', content: text });
  return messages;
}

function todayLine(ctx: ExtractContext): string {
  const weekday = new Intl.DateTimeFormat('en-US', { timeZone: ctx.timeZone, weekday: 'long' }).format(ctx.now);
  return `${weekday} ${formatDate(todayIn(ctx.now, ctx.timeZone))} (time zone ${ctx.timeZone})`;
}

function lowerFirst(text: string): string {
  const t = text.trim().replace(/\.$/, '');
  return t.charAt(0).toLowerCase() + t.slice(1);
}
