// Calls and their records as the API answers them: snake_case rows without tenant ids or server
// file paths (a call says whether it has a recording; the recording route serves it).
import type { Call, CallDetail, CallEvent } from '../../store/repository.js';
import { snakeRow } from './json-case.js';

export function callToJson(call: Call): Record<string, unknown> {
  return { ...snakeRow(call, ['tenantId', 'recordingPath']), has_recording: call.recordingPath !== null };
}

export function eventToJson(event: CallEvent): Record<string, unknown> {
  return { seq: event.seq, at: event.at, type: event.type, payload: event.payload };
}

export function callDetailToJson(detail: CallDetail): Record<string, unknown> {
  const rows = <T extends object>(items: T[]) => items.map((item) => snakeRow(item, ['callId']));
  return {
    call: callToJson(detail.call),
    turns: rows(detail.turns),
    events: detail.events.map(eventToJson),
    llm_calls: rows(detail.llmCalls),
    tool_calls: rows(detail.toolCalls),
    telemetry: rows(detail.telemetry),
  };
}
