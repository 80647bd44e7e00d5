// A conversation flow behind the LLM interface, so the session runs it exactly like a model:
// text chunks to speak, tool_call chunks that the session executes once the turn commits, and
// another request with the results appended.
//
// It keeps no state between requests. Each request replays the conversation in its messages
// (the caller's words, the tool calls and their results) from the start node, then answers the
// last event. A speculative reply that gets cancelled leaves nothing behind, a reply the caller
// cut off counts only through what reached the chat context, and the same messages always give
// the same answer (for the same `now`).
//
// With `understand` set, an LLM reads each caller utterance (function calling, see
// understanding/llm-understander.ts) instead of the built-in matcher. Its answers are cached per
// utterance, node and slots, so the replay asks it once per utterance and an earlier turn is read
// the same way on every request. Keypad input (`[keypad] 1234`) is never sent to it: keys are
// unambiguous, and the engine reads them itself.
import { AbortedError, type ChatMessage, type LlmChunk, type LlmProvider, type LlmRequest } from '../providers/types.js';
import { FlowEngine, type FlowOutput, type FlowSnapshot, type FlowTraceEvent, type Listener } from './flow-engine.js';
import { readKeypad } from '../turn/keypad.js';
import type { Flow } from './flow-types.js';
import { formatDate, todayIn, type ExtractContext } from './understanding/calendar.js';
import { IntentMatcher } from './understanding/intent-matcher.js';
import { LlmUnderstander } from './understanding/llm-understander.js';
import { MatcherUnderstander, type FlowUnderstander } from './understanding/understander.js';
import { UnderstandingCache } from './understanding/understanding-cache.js';

export type FlowLlmOptions = {
  /** The reference clock for "today"/"tomorrow". Default: Date.now. */
  now?: () => number | Date;
  /** IANA zone of the business. Default: the flow's `timeZone`, else the host's zone. */
  timeZone?: string;
  /** BCP-47 locale of the business. Default: the flow's `locale`. */
  locale?: string;
  /**
   * An LLM that understands the caller at listening nodes (one function-calling request per
   * utterance). Default: none, the built-in matcher. Ignored when `understander` is given.
   */
  understand?: LlmProvider;
  /** Longest wait for the understanding LLM before the matcher reads the words. Default 8000 ms. */
  understandTimeoutMs?: number;
  /** Any other understander (e.g. a test double of the interface). */
  understander?: FlowUnderstander;
  /** Utterances whose understanding is kept (least recently used out first). Default 2000. */
  understandCacheSize?: number;
};

export type FlowInspection = FlowSnapshot & { trace: FlowTraceEvent[] };

export class FlowLlm implements LlmProvider {
  readonly name = 'flow';
  readonly model: string;
  private readonly matcher: IntentMatcher;
  private readonly timeZone: string;
  private readonly locale: string;
  /** Null: the engine's own matcher reads the words, synchronously. */
  private readonly understander: FlowUnderstander | null;
  private readonly cache: UnderstandingCache;

  constructor(
    readonly flow: Flow,
    private readonly options: FlowLlmOptions = {},
  ) {
    this.model = flow.name;
    this.matcher = new IntentMatcher(flow.intents);
    this.timeZone = options.timeZone ?? flow.timeZone ?? (Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    this.locale = options.locale ?? flow.locale;
    const fallback = new MatcherUnderstander(this.matcher);
    this.understander =
      options.understander ?? (options.understand ? new LlmUnderstander({ llm: options.understand, fallback, timeoutMs: options.understandTimeoutMs }) : null);
    this.cache = new UnderstandingCache(options.understandCacheSize);
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

  /**
   * Where the conversation in `messages` stands: node, slots, whether the call is over, and the
   * trace. It asks no one: an utterance the understander has not read yet (none is, once a reply
   * to it was streamed) is read by the matcher. `understood` asks the understander first.
   */
  inspect(messages: readonly ChatMessage[]): FlowInspection {
    const { engine } = this.replay(messages);
    return { ...engine.snapshot(), trace: [...engine.trace] };
  }

  /** Like `inspect`, after the understander read every utterance in `messages`. */
  async understood(messages: readonly ChatMessage[], signal: AbortSignal = new AbortController().signal): Promise<FlowInspection> {
    if (!this.understander) return this.inspect(messages);
    const { engine } = await this.replayUnderstanding(messages, signal);
    return { ...engine.snapshot(), trace: [...engine.trace] };
  }

  private async *run(request: LlmRequest): AsyncGenerator<LlmChunk> {
    if (request.signal.aborted) throw new AbortedError();
    const { outputs } = this.understander ? await this.replayUnderstanding(request.messages, request.signal) : this.replay(request.messages);
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

  /** The replay without I/O: cached understanding where there is some, the matcher elsewhere. */
  private replay(messages: readonly ChatMessage[]): { engine: FlowEngine; outputs: FlowOutput[] } {
    const engine = this.engine();
    let outputs = engine.start();
    for (const m of messages) {
      if (m.role === 'user') {
        const cached = this.understander && !readKeypad(m.content) ? this.cache.peek(this.cacheKey(engine.listener(), m.content, engine.context)) : undefined;
        outputs = engine.hear(m.content, cached);
      } else if (m.role === 'tool' && m.toolCallId === engine.pendingCallId) {
        outputs = engine.result(m.toolCallId, m.content);
      }
    }
    return { engine, outputs };
  }

  /** The replay with every utterance read by the understander (once: the answers are cached). */
  private async replayUnderstanding(messages: readonly ChatMessage[], signal: AbortSignal): Promise<{ engine: FlowEngine; outputs: FlowOutput[] }> {
    const understander = this.understander!;
    const engine = this.engine();
    let outputs = engine.start();
    for (const m of messages) {
      if (m.role === 'user' && readKeypad(m.content)) {
        outputs = engine.hear(m.content);
      } else if (m.role === 'user') {
        const listener = engine.listener();
        const ctx = engine.context;
        const understood = await this.cache.get(this.cacheKey(listener, m.content, ctx), signal, (s) =>
          understander.understand({ ...listener, flow: this.flow, text: m.content, ctx, signal: s }),
        );
        outputs = engine.hear(m.content, understood);
      } else if (m.role === 'tool' && m.toolCallId === engine.pendingCallId) {
        outputs = engine.result(m.toolCallId, m.content);
      }
    }
    return { engine, outputs };
  }

  /** Everything the understanding depends on: the node, the values so far, the day and the words. */
  private cacheKey(listener: Listener, text: string, ctx: ExtractContext): string {
    const slots = Object.entries(listener.slots).sort(([a], [b]) => a.localeCompare(b));
    return JSON.stringify([listener.node.id, formatDate(todayIn(ctx.now, ctx.timeZone)), slots, listener.filledOrder, text]);
  }

  private engine(): FlowEngine {
    const now = this.options.now?.() ?? Date.now();
    return new FlowEngine(this.flow, this.matcher, { now, timeZone: this.timeZone, locale: this.locale });
  }
}

function joinSay(outputs: readonly FlowOutput[]): string {
  return outputs.flatMap((o) => (o.type === 'say' ? [o.text] : [])).join(' ');
}
