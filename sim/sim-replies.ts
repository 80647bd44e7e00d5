// What the simulated chat model answers: a text reply, or tool calls when the caller asks for
// something a declared tool does (the time). Deterministic, so tests can assert on it.
import type { ChatMessage } from '../src/providers/types.js';

/** Tool call arguments are sent as JSON; a string is sent as it is (a model may emit broken JSON). */
export type SimReply = { text: string } | { toolCalls: Array<{ name: string; arguments: Record<string, unknown> | string }> };

export function argumentsText(args: Record<string, unknown> | string): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

export function defaultReply(messages: ChatMessage[], toolNames: string[]): SimReply {
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return { text: `Here is what I found: ${last.content.trim()}. Anything else?` };
  const said = messages.findLast((m) => m.role === 'user')?.content.trim() ?? '';
  if (/\btime\b/i.test(said) && toolNames.includes('get_current_time')) {
    return { toolCalls: [{ name: 'get_current_time', arguments: { timezone: 'UTC' } }] };
  }
  if (said === '') return { text: 'Hello! How can I help you today?' };
  return { text: `You said: "${said}". That is interesting. Tell me more.` };
}

/** Splits text into token-sized pieces (a word with its leading space, or punctuation). */
export function tokenize(text: string): string[] {
  return text.match(/\s*[\w'’-]+|\s*[^\w\s]+|\s+/g) ?? [];
}
