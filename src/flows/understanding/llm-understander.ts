// Understanding by an LLM: one request per utterance with the node's functions offered (see
// understanding-tools.ts); the chosen function and its arguments become what the engine hears.
// When the LLM cannot answer (provider error, timeout) the matcher reads the words instead, so a
// flaky model degrades the call to the offline matcher rather than stalling it.
import { AbortedError, type LlmProvider, type ToolCall } from '../../providers/types.js';
import type { Understood } from '../flow-engine.js';
import { readLlmAnswer } from './llm-answer.js';
import type { FlowUnderstander, MatcherUnderstander, UnderstandRequest } from './understander.js';
import { understandingMessages } from './understanding-prompt.js';
import { understandingFunctions } from './understanding-tools.js';

export type LlmUnderstanderOptions = {
  llm: LlmProvider;
  /** Reads the words when the LLM fails. */
  fallback: MatcherUnderstander;
  /** Longest wait for the LLM's whole answer before the matcher takes over. Default 8000 ms. */
  timeoutMs?: number;
};

const DEFAULT_TIMEOUT_MS = 8000;

export class LlmUnderstander implements FlowUnderstander {
  private readonly timeoutMs: number;

  constructor(private readonly options: LlmUnderstanderOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.timeoutMs > 0)) throw new RangeError(`LlmUnderstander: timeoutMs must be > 0, got ${this.timeoutMs}`);
  }

  async understand(request: UnderstandRequest): Promise<Understood> {
    const { flow, node, slots, filledOrder, text, ctx, signal } = request;
    if (signal.aborted) throw new AbortedError();
    const functions = understandingFunctions(flow, node, slots, filledOrder);
    const messages = understandingMessages(flow, node, slots, text, ctx);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.timeoutMs);
    const calls: ToolCall[] = [];
    try {
      const stream = this.options.llm.stream({ messages, tools: functions.specs, signal: AbortSignal.any([signal, timeout.signal]) });
      for await (const chunk of stream) if (chunk.type === 'tool_call') calls.push(chunk.call);
      if (timeout.signal.aborted && !signal.aborted) throw new Error('timed out');
    } catch (err) {
      if (signal.aborted) throw new AbortedError();
      const reason = timeout.signal.aborted ? `no answer within ${this.timeoutMs} ms` : errorText(err);
      return { heard: this.options.fallback.understandNow(request), by: 'fallback', error: `${this.options.llm.name}: ${reason}` };
    } finally {
      clearTimeout(timer);
    }
    if (signal.aborted) throw new AbortedError();
    return readLlmAnswer(flow, calls, functions.meanings, slots, ctx);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
