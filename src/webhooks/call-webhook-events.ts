// Turns a call's timeline into webhook events: call.started, turn.completed, tool.called (on each
// tool result, with the arguments of its call), call.ended, and call.analyzed right after it (the
// post-call analysis over what was followed). Times go out as wall-clock ISO strings.
import { ANALYZED_EVENT_TYPES, analyzeCall } from '../analysis/call-analysis.js';
import type { TimelineEvent, TimelineListener } from '../session/timeline.js';
import type { TurnRecord, TurnUsageSummary } from '../session/turn-metrics.js';
import type { WebhookEvent } from './webhook-events.js';

export type TimelineLike = { subscribe(listener: TimelineListener): () => void };
export type CallWebhookOptions = {
  /** Session clock ms (an event's `at`) to unix ms. */
  wallTime: (at: number) => number;
};

type Of<T extends TimelineEvent['type']> = Extract<TimelineEvent, { type: T }>;

/**
 * Follows one call until it ends (then unsubscribes by itself). The returned function stops
 * following earlier. A sink that throws loses that event only.
 */
export function followCallForWebhooks(timeline: TimelineLike, sink: (event: WebhookEvent) => void, options: CallWebhookOptions): () => void {
  const collected: TimelineEvent[] = [];
  const toolArguments = new Map<string, string>();
  const isoAt = (at: number): string => new Date(options.wallTime(at)).toISOString();
  const emit = (event: WebhookEvent): void => {
    try {
      sink(event);
    } catch {
      // The call goes on whatever the sink does.
    }
  };

  let unsubscribe: (() => void) | null = null;
  let done = false;
  const stop = (): void => {
    done = true;
    unsubscribe?.();
    unsubscribe = null;
  };

  unsubscribe = timeline.subscribe((e) => {
    if (done) return;
    if (ANALYZED_EVENT_TYPES.has(e.type)) collected.push(e);
    switch (e.type) {
      case 'call.started':
        emit({ type: 'call.started', callId: e.callId, data: { agent: e.agent, started_at: isoAt(e.at) } });
        break;
      case 'turn.completed':
        emit({ type: 'turn.completed', callId: e.callId, data: turnData(e.turn, isoAt(e.at)) });
        break;
      case 'tool.call':
        toolArguments.set(e.toolCallId, e.arguments);
        break;
      case 'tool.result':
        emit({ type: 'tool.called', callId: e.callId, data: toolData(e, toolArguments.get(e.toolCallId), isoAt(e.at)) });
        toolArguments.delete(e.toolCallId);
        break;
      case 'call.ended':
        emit({ type: 'call.ended', callId: e.callId, data: { reason: e.reason, ended_at: isoAt(e.at), usage: usageData(e.usage) } });
        emit({ type: 'call.analyzed', callId: e.callId, data: analyzeCall(collected) });
        stop();
        break;
    }
  });
  if (done) stop();
  return stop;
}

function turnData(turn: TurnRecord, endedAt: string) {
  const l = turn.latencies;
  return {
    turn_id: turn.turnId,
    user_text: turn.userText,
    agent_text: turn.agentText,
    heard_text: turn.heardText,
    interrupted: turn.interrupted,
    outcome: turn.outcome,
    ended_at: endedAt,
    latencies: {
      stt_final_delay_ms: l.sttFinalDelayMs,
      end_of_utterance_delay_ms: l.endOfUtteranceDelayMs,
      llm_ttft_ms: l.llmTtftMs,
      tts_ttfb_ms: l.ttsTtfbMs,
      voice_to_voice_ms: l.voiceToVoiceMs,
    },
  };
}

function toolData(result: Of<'tool.result'>, rawArguments: string | undefined, at: string) {
  return {
    turn_id: result.turnId,
    tool_call_id: result.toolCallId,
    name: result.name,
    arguments: parseArguments(rawArguments),
    ok: result.ok,
    result: result.content,
    at,
  };
}

/** The model's arguments as JSON when they parse; the raw text otherwise; null when the call was not seen. */
function parseArguments(raw: string | undefined): unknown {
  if (raw === undefined) return null;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function usageData(usage: TurnUsageSummary | null) {
  if (!usage) return null;
  return {
    stt_seconds: usage.sttSeconds,
    llm_prompt_tokens: usage.llmPromptTokens,
    llm_completion_tokens: usage.llmCompletionTokens,
    tts_characters: usage.ttsCharacters,
    telephony_minutes: usage.telephonyMinutes,
    cost_usd: usage.costUsd,
    cost: { amount: usage.cost.amount, currency: usage.cost.currency, formatted: usage.cost.formatted },
  };
}
