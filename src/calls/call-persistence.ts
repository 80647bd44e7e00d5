// Turns one call's timeline into store writes: the call row (start, end, totals), one row per
// finished turn, per LLM request and per tool call, and the timeline itself as events. Writes go
// to a queue (fire and forget), never awaited on the voice path. Every row id is derived from the
// call id, so a write retried or replayed from the spill file never makes a second row.
import type { StoreWrite } from '../store/store-writes.js';
import { callStatusOf } from './call-status.js';
import type { CallStatus, LlmCallStatus, TurnLatency } from '../store/repository.js';
import type { TimelineEvent } from '../session/timeline.js';

export type CallIdentity = {
  tenantId: string;
  agentId: string;
  agentVersion: number;
  callId: string;
  transport: string;
  caller: string | null;
};

/** Where a call restored in another process picks up its numbering. */
export type PersistenceCursor = { generation: number; nextSeq: number; nextTurnIdx: number };

export type CallPersistenceOptions = {
  write: (write: StoreWrite) => void;
  /** Session clock (ms) -> wall-clock epoch ms. */
  wallTime: (at: number) => number;
  /** The LLM chain serving the call, recorded on each LLM request row. */
  llm: { provider: string; model: string };
  cursor?: PersistenceCursor;
};

/** Chatty, derived events the call's rows already carry; kept off the stored timeline. */
const NOT_STORED = new Set<TimelineEvent['type']>(['stt.partial', 'llm.token']);

type LlmRun = { startedAt: number; firstTokenAt: number | null; inputTokens: number; outputTokens: number; written: boolean };

/**
 * The stored status: the reason read as the metrics read it (src/calls/call-status.ts), sharpened
 * by what the timeline showed — an unrecoverable error makes it failed, and a call that would
 * count as completed but where the caller never said anything is abandoned.
 */
export function storedCallStatus(reason: string, userTurns: number, fatalError: boolean): Exclude<CallStatus, 'active'> {
  if (fatalError) return 'failed';
  const byReason = callStatusOf(reason);
  return byReason === 'completed' && userTurns === 0 ? 'abandoned' : byReason;
}

export class CallPersistence {
  private seq: number;
  private turnIdx: number;
  private readonly generation: number;
  private readonly llmRuns = new Map<string, LlmRun>();
  private readonly toolStarts = new Map<string, { at: number; name: string; arguments: string }>();
  private states: { state: string; at: number }[] = [];
  private turnStartedAt: number | null = null;
  private userTurns = 0;
  private fatalError = false;

  constructor(
    private readonly call: CallIdentity,
    private readonly options: CallPersistenceOptions,
  ) {
    this.seq = options.cursor?.nextSeq ?? 0;
    this.turnIdx = options.cursor?.nextTurnIdx ?? 0;
    this.generation = options.cursor?.generation ?? 0;
  }

  /** Where the numbering stands (saved with the call's resume state). */
  get cursor(): PersistenceCursor {
    return { generation: this.generation, nextSeq: this.seq, nextTurnIdx: this.turnIdx };
  }

  handle(event: TimelineEvent): void {
    const { tenantId, callId } = this.call;
    const iso = (at: number) => new Date(this.options.wallTime(at)).toISOString();
    const put = (w: DistributiveOmit<StoreWrite, 'tenantId'>) => this.options.write({ ...w, tenantId } as StoreWrite);
    if (event.type === 'call.started' || event.type === 'call.resumed') {
      // Idempotent: a resumed call's row is already there and stays as it is.
      put({
        id: `${callId}:start`,
        kind: 'callStart',
        call: { id: callId, agentId: this.call.agentId, agentVersion: this.call.agentVersion, transport: this.call.transport, caller: this.call.caller, startedAt: iso(event.at) },
      });
    }
    if (!NOT_STORED.has(event.type)) {
      const seq = this.seq++;
      const { callId: _c, ...payload } = event;
      put({ id: `${callId}:ev:${seq}`, kind: 'event', event: { id: `${callId}:ev:${seq}`, callId, seq, at: iso(event.at), type: event.type, payload } });
    }
    switch (event.type) {
      case 'turn.state':
        this.turnStartedAt ??= event.at;
        this.states.push({ state: event.to, at: event.at });
        return;
      case 'llm.start':
        this.llmRuns.set(event.turnId, { startedAt: event.at, firstTokenAt: null, inputTokens: 0, outputTokens: 0, written: false });
        return;
      case 'llm.token': {
        const run = this.llmRuns.get(event.turnId);
        if (run && run.firstTokenAt === null) run.firstTokenAt = event.at;
        return;
      }
      case 'llm.usage': {
        const run = this.llmRuns.get(event.turnId);
        if (run) {
          run.inputTokens += event.promptTokens;
          run.outputTokens += event.completionTokens;
        }
        return;
      }
      case 'llm.cancel':
        this.writeLlm(event.turnId, 'canceled', event.at, event.reason);
        return;
      case 'tool.call':
        this.toolStarts.set(event.toolCallId, { at: event.at, name: event.name, arguments: event.arguments });
        return;
      case 'tool.result': {
        const started = this.toolStarts.get(event.toolCallId);
        this.toolStarts.delete(event.toolCallId);
        const id = `${callId}:${this.generation}:tool:${event.toolCallId}`;
        put({
          id,
          kind: 'toolCall',
          toolCall: {
            id,
            callId,
            turnId: this.turnRowId(event.turnId),
            name: event.name,
            arguments: parseJsonOr(started?.arguments ?? null),
            result: parseJsonOr(event.content),
            status: event.ok ? 'completed' : 'failed',
            latencyMs: started ? Math.max(0, Math.round(event.at - started.at)) : 0,
            startedAt: iso(started?.at ?? event.at),
          },
        });
        return;
      }
      case 'turn.completed': {
        const t = event.turn;
        this.writeLlm(t.turnId, t.outcome === 'failed' ? 'failed' : t.outcome === 'canceled' ? 'canceled' : 'completed', event.at, null);
        if (t.userText.trim()) this.userTurns++;
        const latency: TurnLatency = { debounceMs: t.debounceMs, speculativeCancels: t.speculativeCancels };
        for (const [k, v] of Object.entries(t.latencies)) if (v !== null) latency[k] = v;
        const startedAt = this.turnStartedAt ?? t.marks.speechEndAt ?? event.at;
        const id = this.turnRowId(t.turnId);
        put({
          id,
          kind: 'turn',
          turn: {
            id,
            callId,
            idx: this.turnIdx++,
            userTranscript: t.userText,
            agentResponse: t.agentText,
            heardText: t.heardText,
            stateHistory: this.states,
            wasInterrupted: t.interrupted,
            latency,
            startedAt: iso(startedAt),
            endedAt: iso(t.marks.endedAt ?? event.at),
          },
        });
        this.states = [];
        this.turnStartedAt = null;
        return;
      }
      case 'error':
        if (!event.recoverable) this.fatalError = true;
        return;
      case 'call.ended': {
        const u = event.usage;
        if (u) {
          put({
            id: `${callId}:${this.generation}:totals`,
            kind: 'callTotals',
            callId,
            totals: {
              turnCount: this.turnIdx,
              sttSeconds: u.sttSeconds,
              llmInputTokens: u.llmPromptTokens,
              llmOutputTokens: u.llmCompletionTokens,
              ttsCharacters: u.ttsCharacters,
              costUsd: u.costUsd,
            },
          });
        }
        put({
          id: `${callId}:${this.generation}:end`,
          kind: 'callEnd',
          callId,
          end: { endedAt: iso(event.at), status: storedCallStatus(event.reason, this.userTurns, this.fatalError), endReason: event.reason },
        });
        return;
      }
      default:
        return;
    }
  }

  private turnRowId(turnId: string): string {
    return `${this.call.callId}:${this.generation}:${turnId}`;
  }

  private writeLlm(turnId: string, status: LlmCallStatus, at: number, error: string | null): void {
    const run = this.llmRuns.get(turnId);
    if (!run || run.written) return;
    run.written = true;
    const id = `${this.call.callId}:${this.generation}:llm:${turnId}`;
    this.options.write({
      id,
      tenantId: this.call.tenantId,
      kind: 'llmCall',
      llmCall: {
        id,
        callId: this.call.callId,
        turnId: this.turnRowId(turnId),
        provider: this.options.llm.provider,
        model: this.options.llm.model,
        status,
        inputTokens: run.inputTokens,
        outputTokens: run.outputTokens,
        // Integer columns: the session clock has sub-millisecond precision.
        latencyMs: Math.max(0, Math.round(at - run.startedAt)),
        firstTokenMs: run.firstTokenAt === null ? null : Math.round(run.firstTokenAt - run.startedAt),
        error: status === 'completed' ? null : error,
        startedAt: new Date(this.options.wallTime(run.startedAt)).toISOString(),
      },
    });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function parseJsonOr(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
