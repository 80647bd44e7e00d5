// The simulated chat model's answers for understanding tests: each caller utterance maps to the
// function call a model would make. A function the request did not offer is answered with
// no_match, as a model restricted to the offered tools would. Every request is recorded so tests
// can read what the understander sent.
import type { SimReply } from '../../../sim/sim-replies.js';
import type { ChatMessage } from '../../../src/providers/types.js';

export type ScriptedCall = { fn: string; args?: Record<string, unknown> | string };

export type SeenRequest = { messages: ChatMessage[]; toolNames: string[]; said: string };

export class ScriptedModel {
  readonly requests: SeenRequest[] = [];

  constructor(private readonly script: Record<string, ScriptedCall>) {}

  readonly reply = (messages: ChatMessage[], toolNames: string[]): SimReply => {
    const said = messages.findLast((m) => m.role === 'user')?.content ?? '';
    this.requests.push({ messages, toolNames, said });
    const planned = this.script[said];
    if (!planned) return { text: `no script for "${said}"` };
    if (!toolNames.includes(planned.fn)) return { toolCalls: [{ name: 'no_match', arguments: {} }] };
    return { toolCalls: [{ name: planned.fn, arguments: planned.args ?? {} }] };
  };
}
