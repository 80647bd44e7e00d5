// Cartesia's error shapes. HTTP refusals use the structured object of API version 2026-03-01
// (error_code/title/message/request_id). WebSocket `error` events carry both that shape and the older
// single `error` string, because clients of either era read one or the other.
import { randomUUID } from 'node:crypto';
import type { SimErrorResponse } from '../sim-server.js';

type ErrorInfo = { title: string; errorCode: string | null };

const BY_STATUS: Record<number, ErrorInfo> = {
  400: { title: 'Bad request', errorCode: 'invalid_request' },
  401: { title: 'Unauthorized', errorCode: 'invalid_api_key' },
  402: { title: 'Payment required', errorCode: 'insufficient_credits' },
  403: { title: 'Forbidden', errorCode: 'forbidden' },
  429: { title: 'Too many concurrent requests', errorCode: 'concurrency_limited' },
  500: { title: 'Internal server error', errorCode: 'internal_error' },
  503: { title: 'Service unavailable', errorCode: 'service_unavailable' },
};

export function errorInfoFor(status: number): ErrorInfo {
  return BY_STATUS[status] ?? { title: status >= 500 ? 'Server error' : 'Request error', errorCode: null };
}

/** A refused upgrade or HTTP request, with `retry-after` (seconds) when given. */
export function cartesiaHttpError(status: number, message: string, retryAfterS?: number, errorCode?: string): SimErrorResponse {
  const info = errorInfoFor(status);
  const body = { error_code: errorCode ?? info.errorCode, title: info.title, message, request_id: randomUUID() };
  return {
    status,
    headers: retryAfterS === undefined ? undefined : { 'retry-after': String(retryAfterS) },
    body: JSON.stringify(body),
  };
}

export type WsErrorDetails = { statusCode: number; title: string; message: string; errorCode: string | null; contextId?: string };

/** The `type:"error"` event; it always ends its context (`done: true`). */
export function cartesiaWsError(details: WsErrorDetails): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    type: 'error',
    done: true,
    status_code: details.statusCode,
    // Pre-2026 field: one string, "Title: message".
    error: `${details.title}: ${details.message}`,
    title: details.title,
    message: details.message,
    error_code: details.errorCode,
    request_id: details.contextId ? `${requestId}:${details.contextId}` : requestId,
    ...(details.contextId === undefined ? {} : { context_id: details.contextId }),
  };
}
