// Drives an LlmProvider the way a call does: each caller turn goes through the real runLlm (tool
// calls executed through a ToolRegistry after the commit, results fed back), and the chat context
// grows the way the turn core builds it — the caller's words, the tool messages, then the words
// the caller heard.
import type { ChatMessage, LlmProvider, ToolCall } from '../../../src/providers/types.js';
import { runLlm } from '../../../src/session/llm-runner.js';
import type { ToolRegistry } from '../../../src/tools/tool-registry.js';

export type TurnReply = { text: string; calls: ToolCall[]; results: string[] };

export class Conversation {
  readonly context: ChatMessage[] = [];
  private turn = 0;

  constructor(
    private readonly llm: LlmProvider,
    private readonly tools: ToolRegistry,
    greeting?: string,
  ) {
    if (greeting) this.context.push({ role: 'assistant', content: greeting });
  }

  /** One caller turn; `heardChars` cuts the reply as a barge-in would (default: all heard). */
  async say(userText: string, options: { heardChars?: number } = {}): Promise<TurnReply> {
    const reply = await this.reply(userText);
    const toolMessages: ChatMessage[] = [];
    reply.calls.forEach((call, i) => {
      toolMessages.push({ role: 'assistant', content: '', toolCalls: [call] });
      if (reply.results[i] !== undefined) toolMessages.push({ role: 'tool', toolCallId: call.id, content: reply.results[i] });
    });
    const heard = options.heardChars === undefined ? reply.text : reply.text.slice(0, options.heardChars);
    this.context.push({ role: 'user', content: userText }, ...toolMessages);
    if (heard.trim()) this.context.push({ role: 'assistant', content: heard.trim() });
    return reply;
  }

  /** The reply to `userText` without adding the turn to the context (a speculative reply that got cancelled). */
  async reply(userText: string): Promise<TurnReply> {
    const out: TurnReply = { text: '', calls: [], results: [] };
    await runLlm({
      llm: this.llm,
      messages: [{ role: 'system', content: 'flow test' }, ...this.context, { role: 'user', content: userText }],
      tools: this.tools,
      callId: 'call-1',
      turnId: `turn-${++this.turn}`,
      signal: new AbortController().signal,
      committed: Promise.resolve(),
      handlers: {
        onText: (t) => {
          out.text += t;
        },
        onToolCall: (call) => {
          out.calls.push(call);
        },
        onToolResult: (_call, outcome) => {
          out.results.push(outcome.content);
        },
        onUsage: () => {},
      },
    });
    return out;
  }
}
