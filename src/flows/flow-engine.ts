// The flow state machine. It is driven by three events — start, the caller's words, a tool's
// result — and answers each with what to say and which tool to call. It holds state only for the
// length of one replay: FlowLlm rebuilds it from the chat messages on every request.
import type { ToolCall } from '../providers/types.js';
import { understand, type Heard } from './flow-understand.js';
import { BACK, type Flow, type FlowAction, type FlowNode, type Transition } from './flow-types.js';
import { renderArg, renderPrompt } from './prompt-template.js';
import { spokenValue } from './spoken-values.js';
import type { ExtractContext } from './understanding/calendar.js';
import type { IntentMatcher } from './understanding/intent-matcher.js';
import { findSlotValues, type SlotValue } from './understanding/slots.js';

export type FlowOutput = { type: 'say'; text: string } | { type: 'call'; call: ToolCall };

/** What happened, for logs, tests and the `inspect` view. */
export type FlowTraceEvent =
  | { type: 'enter'; node: string }
  | { type: 'skip'; node: string; reason: string }
  /**
   * `by` is set when something other than the built-in matcher understood the words: 'llm', or
   * 'fallback' (the LLM failed and the matcher answered); `error` says what went wrong.
   */
  | { type: 'heard'; node: string; text: string; as: Heard['kind']; intent?: string; score?: number; by?: 'llm' | 'fallback'; error?: string }
  | { type: 'fill'; slot: string; value: SlotValue }
  | { type: 'correct'; slot: string; from: SlotValue | undefined; to: SlotValue }
  | { type: 'no_match'; node: string; retries: number }
  | { type: 'fallback'; node: string; to: string }
  | { type: 'call'; node: string; tool: string; id: string }
  | { type: 'result'; node: string; tool: string; outcome: 'ok' | 'fail' | 'error' }
  | { type: 'abandoned'; node: string; tool: string }
  | { type: 'end'; node: string; handoff: boolean };

/** What understood the caller's words, when it was not the engine's own matcher. */
export type Understood = { heard: Heard; by: 'matcher' | 'llm' | 'fallback'; error?: string };

/** The listening node that will hear the caller's next words, and what it knows by then. */
export type Listener = {
  node: FlowNode;
  slots: Readonly<Record<string, SlotValue>>;
  /** Slot names in the order the caller last filled them, oldest first. */
  filledOrder: readonly string[];
};

export type FlowSnapshot = {
  /** The node waiting for the caller (or the end node once the call is over). */
  node: string;
  slots: Record<string, SlotValue>;
  retries: number;
  ended: boolean;
  handoff: boolean;
  /** The tool call the engine waits for, if any. */
  pendingCall: ToolCall | null;
};

/** A runaway chain of transitions in one step means a flow bug; stop rather than spin. */
const MAX_HOPS = 64;

type Pending = { node: string; index: number; call: ToolCall };

export class FlowEngine {
  readonly trace: FlowTraceEvent[] = [];
  private node: string;
  private slots: Record<string, SlotValue> = {};
  private filledOrder: string[] = [];
  private retries = 0;
  /** The listening node that took the caller's last words: where "back" returns. */
  private heardAt: string;
  private ended = false;
  private handoff = false;
  private pending: Pending | null = null;
  private turn = 0;
  private calls = 0;
  private hops = 0;
  private out: FlowOutput[] = [];
  /** The first listening node after the greeting: where a call that ended picks up again. */
  private firstListen: string;

  constructor(
    private readonly flow: Flow,
    private readonly matcher: IntentMatcher,
    private readonly ctx: ExtractContext,
  ) {
    this.node = flow.start;
    this.heardAt = flow.start;
    this.firstListen = flow.start;
  }

  snapshot(): FlowSnapshot {
    return {
      node: this.node,
      slots: { ...this.slots },
      retries: this.retries,
      ended: this.ended,
      handoff: this.handoff,
      pendingCall: this.pending?.call ?? null,
    };
  }

  /** The clock, zone and locale the words are read against. */
  get context(): ExtractContext {
    return this.ctx;
  }

  get pendingCallId(): string | null {
    return this.pending?.call.id ?? null;
  }

  /** Enters the start node: the greeting. */
  start(): FlowOutput[] {
    return this.step(() => {
      this.enter(this.flow.start);
      this.firstListen = this.node;
      this.heardAt = this.node;
    });
  }

  /** The node that will hear the caller's next words (without hearing them). */
  listener(): Listener {
    return { node: this.flow.nodes[this.hearingNode()], slots: { ...this.slots }, filledOrder: [...this.filledOrder] };
  }

  /**
   * The caller's words (one committed user turn). `understood` is what an outside understander
   * (an LLM) made of them at `listener()`; without it the engine's matcher reads them.
   */
  hear(text: string, understood?: Understood): FlowOutput[] {
    return this.step(() => {
      const at = this.hearingNode();
      if (this.pending) {
        // The tool call never got its result (the turn was cut off): its outcome is unknown, so
        // pick up again at the node that heard the caller, with the slots as they are now.
        this.trace.push({ type: 'abandoned', node: this.pending.node, tool: this.pending.call.name });
        this.pending = null;
      }
      // Words after the end start the conversation again at the first listening node.
      this.ended = false;
      this.handoff = false;
      this.node = at;
      this.turn++;
      this.calls = 0;
      const node = this.flow.nodes[this.node];
      this.heardAt = node.id;
      const heard = understood?.heard ?? understand({ flow: this.flow, matcher: this.matcher, node, slots: this.slots, filledOrder: this.filledOrder, text, ctx: this.ctx });
      const by = understood && understood.by !== 'matcher' ? { by: understood.by } : {};
      this.trace.push({
        type: 'heard',
        node: node.id,
        text,
        as: heard.kind,
        ...(heard.kind === 'intent' ? { intent: heard.intent, score: heard.score } : {}),
        ...by,
        ...(understood?.error ? { error: understood.error } : {}),
      });
      this.respond(node, heard, text);
    });
  }

  /** A tool result (the `content` of a tool message) for the pending call. Ignored when it is not the pending call's. */
  result(callId: string, content: string): FlowOutput[] {
    return this.step(() => {
      const pending = this.pending;
      if (!pending || pending.call.id !== callId) return;
      this.pending = null;
      const node = this.flow.nodes[pending.node];
      const action = node.actions[pending.index];
      const data = parseResult(content);
      const outcome = data === null || typeof data.ok !== 'boolean' ? 'error' : data.ok ? 'ok' : 'fail';
      this.trace.push({ type: 'result', node: node.id, tool: action.tool, outcome });
      for (const [slot, path] of Object.entries(action.save)) {
        const value = data ? valueAt(data, path) : undefined;
        if (value !== undefined) this.fill(slot, value);
      }
      if (action.speak && typeof data?.say === 'string' && data.say.trim()) this.say(data.say.trim());
      const code = typeof data?.error === 'string' ? data.error : undefined;
      this.afterAction(node, pending.index, action, outcome, code);
    });
  }

  /** A cut-off tool call resumes at the node that heard the caller; after the end, the first listening node. */
  private hearingNode(): string {
    const node = this.pending ? this.heardAt : this.node;
    return this.ended || !this.flow.nodes[node]?.listen ? this.firstListen : node;
  }

  // ---- reactions -------------------------------------------------------------------------------

  private respond(node: FlowNode, heard: Heard, text: string): void {
    const listen = node.listen!;
    switch (heard.kind) {
      case 'intent': {
        if (heard.route.fill) {
          this.applyClear(heard.route);
          for (const slot of heard.route.fill) {
            const value = heard.values ? heard.values[slot] : findSlotValues(this.flow.slots[slot], text, this.ctx).at(-1)?.value;
            if (value !== undefined) this.fill(slot, value, true);
          }
          this.go({ ...heard.route, clear: undefined });
        } else {
          this.go(heard.route);
        }
        return;
      }
      case 'keys':
        this.go(heard.route);
        return;
      case 'slots': {
        for (const [slot, value] of Object.entries(heard.values)) this.fill(slot, value, true);
        if (listen.require.every((s) => this.slots[s] !== undefined) && listen.next) this.go(listen.next);
        else this.say(this.render(node.reprompt ?? node.say ?? ''));
        return;
      }
      case 'correction': {
        const spoken: string[] = [];
        for (const [slot, value] of Object.entries(heard.changed)) {
          this.trace.push({ type: 'correct', slot, from: this.slots[slot], to: value });
          this.fill(slot, value, true);
          spoken.push(spokenValue(this.flow.slots[slot], value));
        }
        for (const [slot, value] of Object.entries(heard.values)) this.fill(slot, value, true);
        this.say(this.render(this.flow.prompts.corrected, { changed: spoken.join(' and ') }));
        if (Object.keys(heard.values).length > 0 && listen.next && listen.require.every((s) => this.slots[s] !== undefined)) {
          this.go(listen.next);
          return;
        }
        this.go(correctionRoute(listen.corrections, Object.keys(heard.changed)) ?? { goto: node.id });
        return;
      }
      case 'none': {
        this.retries++;
        const max = node.maxRetries ?? this.flow.maxRetries;
        this.trace.push({ type: 'no_match', node: node.id, retries: this.retries });
        const fallback = node.fallback ?? (this.flow.handoff ? { goto: this.flow.handoff } : undefined);
        if (this.retries > max && fallback) {
          this.trace.push({ type: 'fallback', node: node.id, to: fallback.goto });
          this.go(fallback);
          return;
        }
        this.say(node.reprompt ? this.render(node.reprompt) : `${this.flow.prompts.noMatch} ${this.render(node.say ?? '')}`.trim());
        return;
      }
    }
  }

  // ---- moving through the graph ------------------------------------------------------------------

  private go(t: Transition): void {
    this.applyClear(t);
    for (const [slot, template] of Object.entries(t.set ?? {})) {
      const v = renderArg(template, this.slots);
      if ('value' in v && v.value !== null && v.value !== '') this.fill(slot, v.value, true);
    }
    if (t.goto === BACK) this.resume(this.heardAt);
    else this.enter(t.goto);
  }

  private enter(id: string): void {
    if (++this.hops > MAX_HOPS) throw new Error(`flow "${this.flow.name}": more than ${MAX_HOPS} transitions in one step (at node "${id}")`);
    const node = this.flow.nodes[id];
    this.node = id;
    this.retries = 0;
    const listen = node.listen;
    if (listen && !listen.always && listen.next && listen.require.length > 0 && listen.require.every((s) => this.slots[s] !== undefined)) {
      this.trace.push({ type: 'skip', node: id, reason: 'its slots are already filled' });
      this.go(listen.next);
      return;
    }
    this.trace.push({ type: 'enter', node: id });
    if (node.say) this.say(this.render(node.say));
    this.runActions(node, 0);
  }

  /** Back at a node after a detour (e.g. opening hours): ask its question again, run nothing. */
  private resume(id: string): void {
    const node = this.flow.nodes[id];
    this.node = id;
    this.retries = 0;
    this.trace.push({ type: 'enter', node: id });
    if (node.say) this.say(this.render(node.say));
  }

  private runActions(node: FlowNode, from: number): void {
    for (let i = from; i < node.actions.length; i++) {
      const action = node.actions[i];
      const args: Record<string, unknown> = {};
      let missing: string | null = null;
      for (const [name, template] of Object.entries(action.args)) {
        const v = renderArg(template, this.slots);
        if ('missing' in v) missing ??= v.missing;
        else if ('value' in v) args[name] = v.value;
      }
      if (missing) {
        // A required slot is empty: the tool cannot be called meaningfully.
        this.trace.push({ type: 'result', node: node.id, tool: action.tool, outcome: 'error' });
        const route = action.onError ?? action.onFail;
        if (route) return this.go(route);
        continue;
      }
      const call: ToolCall = { id: `flow_${this.turn}_${++this.calls}`, name: action.tool, arguments: JSON.stringify(args) };
      this.pending = { node: node.id, index: i, call };
      this.trace.push({ type: 'call', node: node.id, tool: action.tool, id: call.id });
      this.out.push({ type: 'call', call });
      return;
    }
    this.settle(node);
  }

  private afterAction(node: FlowNode, index: number, action: FlowAction, outcome: 'ok' | 'fail' | 'error', code?: string): void {
    const byCode = outcome !== 'ok' && code !== undefined ? action.on[code] : undefined;
    const route = byCode ?? (outcome === 'ok' ? action.onOk : outcome === 'fail' ? action.onFail : (action.onError ?? action.onFail));
    if (route) this.go(route);
    else this.runActions(node, index + 1);
  }

  private settle(node: FlowNode): void {
    if (node.end) {
      this.ended = true;
      this.handoff = node.handoff;
      this.trace.push({ type: 'end', node: node.id, handoff: node.handoff });
      return;
    }
    if (node.listen) return;
    if (node.next) this.go(node.next);
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private step(run: () => void): FlowOutput[] {
    this.out = [];
    this.hops = 0;
    run();
    return this.out;
  }

  private applyClear(t: Transition): void {
    if (!t.clear) return;
    const names = t.clear === 'all' ? Object.keys(this.slots) : t.clear;
    for (const slot of names) delete this.slots[slot];
    this.filledOrder = this.filledOrder.filter((s) => this.slots[s] !== undefined);
  }

  /** `byCaller`: the caller chose the value (not a tool result), so a later correction may target it. */
  private fill(slot: string, value: SlotValue, byCaller = false): void {
    this.slots[slot] = value;
    this.filledOrder = this.filledOrder.filter((s) => s !== slot);
    if (byCaller) this.filledOrder.push(slot);
    this.trace.push({ type: 'fill', slot, value });
  }

  private say(text: string): void {
    if (text) this.out.push({ type: 'say', text });
  }

  private render(text: string, extra: Record<string, string> = {}): string {
    return renderPrompt(text, this.slots, this.flow.slots, extra);
  }
}

function correctionRoute(corrections: Transition | Record<string, Transition> | undefined, slots: string[]): Transition | undefined {
  if (!corrections) return undefined;
  if ('goto' in corrections && typeof corrections.goto === 'string') return corrections as Transition;
  const map = corrections as Record<string, Transition>;
  for (const slot of slots) if (map[slot]) return map[slot];
  return undefined;
}

type ResultData = Record<string, unknown> & { ok?: unknown; say?: unknown };

function parseResult(content: string): ResultData | null {
  try {
    const data: unknown = JSON.parse(content);
    return data !== null && typeof data === 'object' && !Array.isArray(data) ? (data as ResultData) : null;
  } catch {
    return null;
  }
}

/** "appointment.id", "appointments.0.id", "alternatives[0]" in a result. Only scalars become slot values. */
function valueAt(data: unknown, path: string): SlotValue | undefined {
  for (const alternative of path.split('|')) {
    const value = valueAtPath(data, alternative.trim());
    if (value !== undefined) return value;
  }
  return undefined;
}

function valueAtPath(data: unknown, path: string): SlotValue | undefined {
  let cur: unknown = data;
  for (const part of path.replace(/\[(\d+)\]/g, '.$1').split('.').filter(Boolean)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? cur : undefined;
}
