// A scripted LLM with a configurable time to first token and token rate, for tests and benchmarks.
// Emission k (text token or tool call) happens at request time + ttftMs + k / tokensPerSecond on the
// injected clock; the schedule is absolute, so a late consumer catches up instead of drifting.
import type { Clock } from '../../clock.js';
import type { ChatMessage, LlmChunk, LlmProvider, LlmRequest, ToolCall } from '../types.js';
import { sleepUntil, throwIfAborted } from '../../clock-sleep.js';
import { estimateTokenCount, splitIntoTokens } from './text-tokens.js';

export type LlmScriptStep = { text: string } | { toolCall: { name: string; arguments: object } };

type ContentChunk = Exclude<LlmChunk, { type: 'usage' }>;

export type SimulatedLlmOptions = {
  clock: Clock;
  ttftMs: number;
  tokensPerSecond: number;
  /** What to answer; defaults to `echoingRespond`. */
  respond?: (messages: ChatMessage[]) => LlmScriptStep[];
};

/**
 * Streams the scripted reply. On abort the iterator throws `AbortedError` (at once if it is waiting,
 * or on the next `next()`), and no chunk follows the abort.
 */
export class SimulatedLlm implements LlmProvider {
  readonly name = 'simulated';
  readonly model = 'simulated';
  private toolCallSeq = 0;

  constructor(private readonly options: SimulatedLlmOptions) {
    if (!(options.ttftMs >= 0)) throw new RangeError(`ttftMs must be >= 0, got ${options.ttftMs}`);
    if (!(options.tokensPerSecond > 0)) {
      throw new RangeError(`tokensPerSecond must be > 0, got ${options.tokensPerSecond}`);
    }
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(request, this.options.clock.now());
  }

  private async *run(request: LlmRequest, requestedAt: number): AsyncGenerator<LlmChunk> {
    const { clock, ttftMs, tokensPerSecond } = this.options;
    const { signal } = request;
    throwIfAborted(signal);
    const steps = (this.options.respond ?? echoingRespond)(request.messages);
    const chunks = steps.flatMap((step) => this.chunksOf(step));
    const interval = 1000 / tokensPerSecond;

    let completionChars = 0;
    for (let k = 0; k < chunks.length; k++) {
      await sleepUntil(clock, requestedAt + ttftMs + k * interval, signal);
      throwIfAborted(signal);
      const chunk = chunks[k];
      completionChars += chunk.type === 'text' ? chunk.text.length : chunk.call.name.length + chunk.call.arguments.length;
      yield chunk;
    }
    if (chunks.length === 0) await sleepUntil(clock, requestedAt + ttftMs, signal);
    throwIfAborted(signal);
    yield {
      type: 'usage',
      promptTokens: estimateTokenCount(promptChars(request.messages)),
      completionTokens: estimateTokenCount(completionChars),
    };
  }

  private chunksOf(step: LlmScriptStep): ContentChunk[] {
    if ('text' in step) return splitIntoTokens(step.text).map((text) => ({ type: 'text', text }));
    const call: ToolCall = {
      id: `call_sim_${++this.toolCallSeq}`,
      name: step.toolCall.name,
      arguments: JSON.stringify(step.toolCall.arguments),
    };
    return [{ type: 'tool_call', call }];
  }
}

/**
 * The default reply: quotes the last user message, or reports the last tool result when the
 * conversation ends with one. Always at least two sentences, so sentence chunking has work to do.
 */
export function echoingRespond(messages: ChatMessage[]): LlmScriptStep[] {
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') {
    return [{ text: `Here is what I found: ${last.content.trim()}. Is there anything else I can help with?` }];
  }
  const lastUser = messages.findLast((m) => m.role === 'user');
  const said = lastUser?.content.trim() ?? '';
  if (said === '') return [{ text: 'Hello! How can I help you today?' }];
  return [{ text: `You said: "${said}". That is interesting. Tell me more.` }];
}

function promptChars(messages: ChatMessage[]): number {
  let chars = 0;
  for (const m of messages) {
    chars += m.content.length;
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) chars += c.name.length + c.arguments.length;
  }
  return chars;
}
