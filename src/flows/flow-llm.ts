// A conversation flow behind the LLM interface, so the session runs it exactly like a model:
// text chunks to speak, tool_call chunks that the session executes once the turn commits, and
// another request with the results appended.
//
// It keeps no state between requests. Each request replays the conversation in its messages
// (the caller's words, the tool calls and their results) from the start node, then answers the
// last event. A speculative reply that gets cancelled leaves nothing behind, a reply the caller
// cut off counts only through what reached the chat context, and the same messages always give
// the same answer (for the same `now`).
import { AbortedError, type ChatMessage, type LlmChunk, type LlmProvider, type LlmRequest } from '../providers/types.js';
import { FlowEngine, type FlowOutput, type FlowSnapshot, type FlowTraceEvent } from './flow-engine.js';
import type { Flow } from './flow-types.js';
import { IntentMatcher } from './understanding/intent-matcher.js';

export type FlowLlmOptions = {
  /** The reference clock for "today"/"tomorrow". Default: Date.now. */
  now?: () => number | Date;
  /** IANA zone of the business. Default: the flow's `timeZone`, else the host's zone. */
  timeZone?: string;
  /** BCP-47 locale of the business. Default: the flow's `locale`. */
  locale?: string;
};

export type FlowInspection = FlowSnapshot & { trace: FlowTraceEvent[] };

export class FlowLlm implements LlmProvider {
  readonly name = 'flow';
  readonly model: string;
  private readonly matcher: IntentMatcher;
  private readonly timeZone: string;
  private readonly locale: string;

  constructor(
    readonly flow: Flow,
    private readonly options: FlowLlmOptions = {},
  ) {
    this.model = flow.name;
    this.matcher = new IntentMatcher(flow.intents);
    this.timeZone = options.timeZone ?? flow.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    this.locale = options.locale ?? flow.locale;
    // Fail now, not mid-call, on a zone Intl does not know.
    new Intl.DateTimeFormat('en-US', { timeZone: this.timeZone });
  }

  /** What the agent says before the caller speaks (start node up to the first listening node). */
  get greeting(): string {
    return joinSay(this.engine().start());
  }

  stream(request: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(request);
  }

  /** Where the conversation in `messages` stands: node, slots, whether the call is over, and the trace. */
  inspect(messages: readonly ChatMessage[]): FlowInspection {
    const { engine } = this.replay(messages);
    return { ...engine.snapshot(), trace: [...engine.trace] };
  }

  private async *run(request: LlmRequest): AsyncGenerator<LlmChunk> {
    if (request.signal.aborted) throw new AbortedError();
    const { outputs } = this.replay(request.messages);
    // After a tool round the session appends this text to the text of the round before.
    let separate = request.messages.at(-1)?.role === 'tool';
    for (const out of outputs) {
      if (request.signal.aborted) throw new AbortedError();
      if (out.type === 'say') {
        yield { type: 'text', text: separate ? ` ${out.text}` : out.text };
        separate = true;
      } else {
        yield { type: 'tool_call', call: out.call };
      }
    }
    if (request.signal.aborted) throw new AbortedError();
    yield { type: 'usage', promptTokens: 0, completionTokens: 0 };
  }

  private replay(messages: readonly ChatMessage[]): { engine: FlowEngine; outputs: FlowOutput[] } {
    const engine = this.engine();
    let outputs = engine.start();
    for (const m of messages) {
      if (m.role === 'user') outputs = engine.hear(m.content);
      else if (m.role === 'tool' && m.toolCallId === engine.pendingCallId) outputs = engine.result(m.toolCallId, m.content);
    }
    return { engine, outputs };
  }

  private engine(): FlowEngine {
    const now = this.options.now?.() ?? Date.now();
    return new FlowEngine(this.flow, this.matcher, { now, timeZone: this.timeZone, locale: this.locale });
  }
}

function joinSay(outputs: readonly FlowOutput[]): string {
  return outputs.flatMap((o) => (o.type === 'say' ? [o.text] : [])).join(' ');
}
