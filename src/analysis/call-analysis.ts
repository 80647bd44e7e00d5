// The post-call analysis (`call.analyzed`): a pure, deterministic reading of a call's timeline —
// how long, how many turns and words, interruptions, latency medians, tools, provider trouble,
// where a flow ended, cost, and a short extractive summary. Field names are snake_case: the
// document goes out as is in webhooks and the API (see docs/webhooks.md).
import { describeProviderEvent } from '../resilience/resilience-events.js';
import type { TimelineEvent, TimelineEventType } from '../session/timeline.js';
import type { TurnRecord } from '../session/turn-metrics.js';
import { summarizeCall } from './call-summary.js';
import { countWords, median } from './text-stats.js';

/** The timeline events the analysis reads; a follower may keep only these. */
export const ANALYZED_EVENT_TYPES: ReadonlySet<TimelineEventType> = new Set<TimelineEventType>([
  'call.started',
  'turn.completed',
  'tool.result',
  'provider.event',
  'error',
  'flow.state',
  'call.ended',
]);

/** Lists (tools, provider issues, errors) keep at most this many entries; the *_total fields count all. */
export const MAX_LISTED = 50;

export type LatencySummary = { median_ms: number | null; samples: number };

export type CallAnalysis = {
  call_id: string | null;
  /** The agent named by call.started; null when the timeline has none. */
  agent: string | null;
  /** call.started (else the first event) to call.ended (else the last event), in ms. */
  duration_ms: number;
  ended: boolean;
  end_reason: string | null;
  /** Turns by outcome; `total` counts every turn.completed, canceled ones included. */
  turns: { total: number; completed: number; interrupted: number; canceled: number; failed: number };
  /** Replies the caller cut off (barge-ins). */
  interruptions: number;
  /** Words in turns that were not canceled: what the caller said, what the agent wrote, and what of it was heard. */
  words: { caller: number; agent: number; agent_heard: number };
  /** Medians over the turns where the step happened. */
  latency: { voice_to_voice: LatencySummary; llm_ttft: LatencySummary; tts_ttfb: LatencySummary };
  /** Tool results in order. */
  tools: { name: string; ok: boolean; turn_id: string }[];
  tools_total: number;
  /** Fallbacks, exhausted provider chains and STT reconnects, in order (retries are only counted). */
  provider_issues: string[];
  provider_issues_total: number;
  provider_retries: number;
  errors: { code: string; message: string; recoverable: boolean }[];
  errors_total: number;
  /** Where the conversation flow stood last; null for agents without a flow. */
  flow: { node: string; slots: Record<string, string | number | boolean>; ended: boolean; handoff: boolean } | null;
  /** From call.ended; null when the call is not metered (or has not ended). */
  usage: { stt_seconds: number; llm_prompt_tokens: number; llm_completion_tokens: number; tts_characters: number; telephony_minutes: number } | null;
  cost: { usd: number; amount: number; currency: string; formatted: string } | null;
  summary: string;
};

type Of<T extends TimelineEventType> = Extract<TimelineEvent, { type: T }>;

export function analyzeCall(events: readonly TimelineEvent[]): CallAnalysis {
  const ordered = [...events].sort((a, b) => a.at - b.at);
  const started = ordered.find((e): e is Of<'call.started'> => e.type === 'call.started');
  const ended = ordered.findLast((e): e is Of<'call.ended'> => e.type === 'call.ended');
  const turns = ordered.filter((e): e is Of<'turn.completed'> => e.type === 'turn.completed').map((e) => e.turn);
  const spoken = turns.filter((t) => t.outcome !== 'canceled');
  const toolResults = ordered.filter((e): e is Of<'tool.result'> => e.type === 'tool.result');
  const providerEvents = ordered.filter((e): e is Of<'provider.event'> => e.type === 'provider.event').map((e) => e.event);
  const issues = providerEvents.filter((e) => e.type !== 'retry').map(describeProviderEvent);
  const errors = ordered.filter((e): e is Of<'error'> => e.type === 'error');
  const flowState = ordered.findLast((e): e is Of<'flow.state'> => e.type === 'flow.state');

  const startAt = started?.at ?? ordered[0]?.at ?? 0;
  const endAt = ended?.at ?? ordered[ordered.length - 1]?.at ?? startAt;
  const durationMs = Math.max(0, endAt - startAt);
  const interruptions = turns.filter((t) => t.interrupted).length;
  const tools = toolResults.map((e) => ({ name: e.name, ok: e.ok, turn_id: e.turnId }));
  const flow = flowState ? { node: flowState.node, slots: { ...flowState.slots }, ended: flowState.ended, handoff: flowState.handoff } : null;
  const usage = ended?.usage ?? null;

  return {
    call_id: ordered[0]?.callId ?? null,
    agent: started?.agent ?? null,
    duration_ms: durationMs,
    ended: ended !== undefined,
    end_reason: ended?.reason ?? null,
    turns: {
      total: turns.length,
      completed: countOutcome(turns, 'completed'),
      interrupted: countOutcome(turns, 'interrupted'),
      canceled: countOutcome(turns, 'canceled'),
      failed: countOutcome(turns, 'failed'),
    },
    interruptions,
    words: {
      caller: sum(spoken.map((t) => countWords(t.userText))),
      agent: sum(spoken.map((t) => countWords(t.agentText))),
      agent_heard: sum(spoken.map((t) => countWords(t.heardText))),
    },
    latency: {
      voice_to_voice: latencyOf(turns, (t) => t.latencies.voiceToVoiceMs),
      llm_ttft: latencyOf(turns, (t) => t.latencies.llmTtftMs),
      tts_ttfb: latencyOf(turns, (t) => t.latencies.ttsTtfbMs),
    },
    tools: tools.slice(0, MAX_LISTED),
    tools_total: tools.length,
    provider_issues: issues.slice(0, MAX_LISTED),
    provider_issues_total: issues.length,
    provider_retries: providerEvents.filter((e) => e.type === 'retry').length,
    errors: errors.slice(0, MAX_LISTED).map((e) => ({ code: e.code, message: e.message, recoverable: e.recoverable })),
    errors_total: errors.length,
    flow,
    usage: usage && {
      stt_seconds: usage.sttSeconds,
      llm_prompt_tokens: usage.llmPromptTokens,
      llm_completion_tokens: usage.llmCompletionTokens,
      tts_characters: usage.ttsCharacters,
      telephony_minutes: usage.telephonyMinutes,
    },
    cost: usage && { usd: usage.costUsd, amount: usage.cost.amount, currency: usage.cost.currency, formatted: usage.cost.formatted },
    summary: summarizeCall({
      firstCallerRequest: spoken.find((t) => countWords(t.userText) > 0)?.userText ?? null,
      lastAgentReply: lastReply(spoken),
      tools,
      flow,
      ended: ended !== undefined,
      endReason: ended?.reason ?? null,
      turns: spoken.length,
      interruptions,
      durationMs,
    }),
  };
}

function countOutcome(turns: readonly TurnRecord[], outcome: TurnRecord['outcome']): number {
  return turns.filter((t) => t.outcome === outcome).length;
}

function latencyOf(turns: readonly TurnRecord[], pick: (t: TurnRecord) => number | null): LatencySummary {
  const values = turns.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return { median_ms: median(values), samples: values.length };
}

/** What the caller heard last; the written reply when nothing of it was played (a typed call). */
function lastReply(turns: readonly TurnRecord[]): string | null {
  for (let i = turns.length - 1; i >= 0; i--) {
    const t = turns[i];
    if (countWords(t.heardText) > 0) return t.heardText;
    if (countWords(t.agentText) > 0) return t.agentText;
  }
  return null;
}


const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
