// Timeline events -> the wire messages a browser client gets (docs/protocol.md §4).
import type { Session } from '../../session/session.js';
import type { TimelineEvent } from '../../session/timeline.js';
import type { TurnRecord, TurnUsageSummary } from '../../session/turn-metrics.js';
import type { ErrorCode, ServerMessage, TurnSummaryWire, UsageWire } from './protocol.js';

export function turnSummary(t: TurnRecord, wallTime: (at: number) => number): TurnSummaryWire {
  const wall = (v: number | null) => (v === null ? null : Math.round(wallTime(v)));
  return {
    turn_id: t.turnId,
    user_text: t.userText,
    agent_text: t.agentText,
    heard_text: t.heardText,
    interrupted: t.interrupted,
    outcome: t.outcome,
    speculative_cancels: t.speculativeCancels,
    provider_issues: t.providerIssues,
    usage: t.usage ? usageWire(t.usage) : null,
    metrics: {
      end_of_speech_at: wall(t.marks.speechEndAt),
      stt_final_delay_ms: ms(t.latencies.sttFinalDelayMs),
      end_of_utterance_delay_ms: ms(t.latencies.endOfUtteranceDelayMs),
      llm_ttft_ms: ms(t.latencies.llmTtftMs),
      tts_ttfb_ms: ms(t.latencies.ttsTtfbMs),
      first_audio_sent_at: wall(t.marks.firstAudioSentAt),
      voice_to_voice_ms: ms(t.latencies.voiceToVoiceMs),
      debounce_ms: t.debounceMs,
    },
  };
}

export function usageWire(u: TurnUsageSummary): UsageWire {
  const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
  return {
    stt_seconds: round(u.sttSeconds, 2),
    llm_prompt_tokens: u.llmPromptTokens,
    llm_completion_tokens: u.llmCompletionTokens,
    tts_characters: u.ttsCharacters,
    telephony_minutes: round(u.telephonyMinutes, 2),
    cost_usd: round(u.costUsd, 6),
    cost: u.cost,
  };
}

const ms = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

export function telemetryOf(t: TurnRecord, session: Session | null): Record<string, number | string | null> {
  return {
    turn_id: t.turnId,
    voice_to_voice_ms: ms(t.latencies.voiceToVoiceMs),
    stt_final_delay_ms: ms(t.latencies.sttFinalDelayMs),
    end_of_utterance_delay_ms: ms(t.latencies.endOfUtteranceDelayMs),
    llm_ttft_ms: ms(t.latencies.llmTtftMs),
    tts_ttfb_ms: ms(t.latencies.ttsTtfbMs),
    debounce_ms: t.debounceMs,
    turns: session?.turns.length ?? null,
    output_dropped_samples: session?.outputDroppedSamples ?? null,
  };
}

export function toServerMessage(e: TimelineEvent, wallTime: (at: number) => number): ServerMessage | null {
  switch (e.type) {
    case 'turn.state':
      return { type: 'state_change', from: e.from, to: e.to, reason: e.reason, at: Math.round(wallTime(e.at)) };
    case 'stt.partial':
      return { type: 'transcript_partial', text: e.text };
    case 'stt.final':
      return { type: 'transcript_final', text: e.text, confidence: e.confidence };
    case 'agent.text':
      return { type: 'agent_text', turn_id: e.turnId, text: e.text, final: e.final };
    case 'agent.text_fallback':
      return { type: 'agent_text_fallback', turn_id: e.turnId, text: e.text };
    case 'agent.audio_start':
      return { type: 'agent_audio_start', turn_id: e.turnId };
    case 'agent.audio_end':
      return { type: 'agent_audio_end', turn_id: e.turnId, interrupted: e.interrupted };
    case 'turn.completed':
      return { type: 'turn_complete', turn: turnSummary(e.turn, wallTime) };
    case 'flow.state':
      return { type: 'flow_state', turn_id: e.turnId, node: e.node, slots: e.slots, ended: e.ended, handoff: e.handoff };
    case 'dtmf':
      return { type: 'dtmf', digit: e.digit };
    case 'error':
      return { type: 'error', code: e.code as ErrorCode, message: e.message, recoverable: e.recoverable };
    case 'call.ended':
      return { type: 'session_ended', session_id: e.callId, reason: e.reason, ...(e.usage ? { usage: usageWire(e.usage) } : {}) };
    default:
      return null;
  }
}
