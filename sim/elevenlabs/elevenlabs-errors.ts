// ElevenLabs' error shapes. HTTP: FastAPI-style `{"detail":{"status","message"}}` for 401/429/5xx and the
// `{"detail":[{loc,msg,type}]}` validation list for 422. WebSocket: a JSON message
// `{"message","error","code":1008}` followed by a close 1008 whose reason repeats the message
// (livekit/agents#218, elevenlabs-docs#426).
import type { WebSocket } from 'ws';
import type { SimErrorResponse } from '../sim-server.js';

const DETAIL_BY_STATUS: Record<number, { status: string; message: string }> = {
  400: { status: 'invalid_request', message: 'Invalid request' },
  401: { status: 'invalid_api_key', message: 'Invalid API key' },
  403: { status: 'missing_permissions', message: 'The API key does not have the permission needed for this request' },
  429: {
    status: 'too_many_concurrent_requests',
    message: 'Too many concurrent requests. Your current subscription is associated with a maximum of 2 concurrent requests.',
  },
  500: { status: 'internal_server_error', message: 'We are sorry, something went wrong. You are not charged for this request.' },
  503: { status: 'system_busy', message: 'The system is experiencing heavy traffic, please try again later.' },
};

/** A refused request or upgrade in ElevenLabs' shape; `message` (the simulator's reason) is not exposed. */
export function elevenLabsHttpError(status: number, _message: string, retryAfterS?: number): SimErrorResponse {
  const detail = DETAIL_BY_STATUS[status] ?? { status: status >= 500 ? 'internal_server_error' : 'invalid_request', message: `HTTP ${status}` };
  return jsonError(status, { detail }, retryAfterS);
}

export function detailError(status: number, detailStatus: string, message: string): SimErrorResponse {
  return jsonError(status, { detail: { status: detailStatus, message } });
}

/** 422: one validation problem in FastAPI's list form. */
export function validationError(loc: Array<string | number>, msg: string, type: string): SimErrorResponse {
  return jsonError(422, { detail: [{ loc, msg, type }] });
}

function jsonError(status: number, body: unknown, retryAfterS?: number): SimErrorResponse {
  return {
    status,
    headers: retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) },
    body: JSON.stringify(body),
  };
}

export const INPUT_TIMEOUT_ERROR = 'input_timeout_exceeded';

export function inputTimeoutMessage(timeoutMs: number): string {
  return (
    `Have not received a new text input within the timeout of ${(timeoutMs / 1000).toFixed(1)} seconds. Streaming input terminated. ` +
    'Please make sure to either feed the input in the timely manner, or to send the end of input text (empty string "") when done.'
  );
}

/** The error message then close 1008 (the reason is cut to the 123 bytes a close frame can carry). */
export function sendWsErrorAndClose(
  ws: WebSocket,
  close: (code: number, reason: string) => void,
  error: string,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ message, error, code: 1008, ...extra }));
  close(1008, truncateReason(message));
}

function truncateReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  return out;
}
