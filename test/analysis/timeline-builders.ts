// Hand-built timeline events for the analysis and webhook-mapping tests: turns with chosen texts,
// outcomes and latencies, tools, provider trouble, flow state and the end of the call.
import type { TimelineEvent } from '../../src/session/timeline.js';
import { emptyMarks, type TurnRecord, type TurnUsageSummary } from '../../src/session/turn-metrics.js';

export const CALL_ID = 'call-7';

type TurnInput = Partial<Omit<TurnRecord, 'latencies'>> & { latencies?: Partial<TurnRecord['latencies']> };

export function turnRecord(turnId: string, input: TurnInput = {}): TurnRecord {
  const { latencies, ...rest } = input;
  return {
    turnId,
    userText: '',
    agentText: '',
    heardText: '',
    interrupted: false,
    outcome: 'completed',
    speculativeCancels: 0,
    debounceMs: 300,
    marks: emptyMarks(),
    providerIssues: [],
    usage: null,
    ...rest,
    latencies: { sttFinalDelayMs: null, endOfUtteranceDelayMs: null, llmTtftMs: null, ttsTtfbMs: null, voiceToVoiceMs: null, ...latencies },
  };
}

export const started = (at: number): TimelineEvent => ({ type: 'call.started', callId: CALL_ID, at, agent: 'front-desk', inputSampleRate: 16000, outputSampleRate: 24000 });
export const turnDone = (at: number, turn: TurnRecord): TimelineEvent => ({ type: 'turn.completed', callId: CALL_ID, at, turn });
export const toolCall = (at: number, turnId: string, id: string, name: string, args: string): TimelineEvent => ({ type: 'tool.call', callId: CALL_ID, at, turnId, toolCallId: id, name, arguments: args });
export const toolResult = (at: number, turnId: string, id: string, name: string, ok: boolean, content: string): TimelineEvent => ({ type: 'tool.result', callId: CALL_ID, at, turnId, toolCallId: id, name, ok, content });
export const flowState = (at: number, turnId: string, node: string, slots: Record<string, string | number | boolean>, ended = false, handoff = false): TimelineEvent => ({
  type: 'flow.state',
  callId: CALL_ID,
  at,
  turnId,
  node,
  slots,
  ended,
  handoff,
});
export const callEnded = (at: number, reason: string, usage: TurnUsageSummary | null = null): TimelineEvent => ({ type: 'call.ended', callId: CALL_ID, at, reason, usage });

export const meteredUsage: TurnUsageSummary = {
  sttSeconds: 41.5,
  llmPromptTokens: 2300,
  llmCompletionTokens: 180,
  ttsCharacters: 412,
  telephonyMinutes: 0,
  costUsd: 0.0123,
  cost: { amount: 1.02, currency: 'INR', formatted: '₹1.02' },
};
