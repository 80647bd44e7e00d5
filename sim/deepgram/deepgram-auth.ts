// Deepgram's refusals and credential check, shared by /v1/listen and /v1/speak. Every refusal carries
// a JSON body {err_code, err_msg, request_id}, the reason again in a `dg-error` header, and a
// `dg-request-id`, as the real API does on a failed upgrade or request.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { SimControl } from '../sim-control.js';
import { credentialOf, type SimErrorResponse } from '../sim-server.js';

const CANNED: Record<number, { code: string; message: string }> = {
  400: { code: 'Bad Request', message: 'Bad Request' },
  401: { code: 'INVALID_AUTH', message: 'Invalid credentials.' },
  402: { code: 'ASR_PAYMENT_REQUIRED', message: 'Project does not have enough credits.' },
  403: { code: 'INSUFFICIENT_PERMISSIONS', message: 'Project does not have access to the requested model.' },
  413: { code: 'PAYLOAD_TOO_LARGE', message: 'Payload too large.' },
  415: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported media type.' },
  429: { code: 'TOO_MANY_REQUESTS', message: 'Too many requests. Please try again later' },
  500: { code: 'INTERNAL_SERVER_ERROR', message: 'The server encountered an internal error.' },
  503: { code: 'SERVICE_UNAVAILABLE', message: 'The service is temporarily unavailable.' },
};

/** Request ids handed out at authorization time, so the session can repeat the id in its messages. */
const requestIds = new WeakMap<IncomingMessage, string>();

export function requestIdOf(req: IncomingMessage): string {
  let id = requestIds.get(req);
  if (!id) {
    id = randomUUID();
    requestIds.set(req, id);
  }
  return id;
}

/**
 * A refusal in Deepgram's shape. Statuses with a canned vendor text use it (401 is always
 * "Invalid credentials."); `message` overrides it only for 400/413/415, whose text names the problem.
 */
export function deepgramError(status: number, message?: string, options: { retryAfterS?: number; errCode?: string; requestId?: string } = {}): SimErrorResponse {
  const canned = CANNED[status] ?? { code: 'Error', message: message ?? `HTTP ${status}` };
  const specific = message !== undefined && (status === 400 || status === 413 || status === 415);
  const errMsg = specific ? message : canned.message;
  const requestId = options.requestId ?? randomUUID();
  const headers: Record<string, string> = { 'dg-error': errMsg, 'dg-request-id': requestId };
  if (options.retryAfterS !== undefined) headers['retry-after'] = String(options.retryAfterS);
  return {
    status,
    headers,
    body: JSON.stringify({ err_code: options.errCode ?? canned.code, err_msg: errMsg, request_id: requestId }),
  };
}

export type DeepgramAuth = { ok: true; protocol?: string } | { ok: false; refusal: SimErrorResponse };

/**
 * Accepts `Authorization: Token <key>` or `Bearer <key>` (scheme in any case), or — for browsers,
 * which cannot set headers — the subprotocol pair `token, <key>` / `bearer, <key>`, in which case
 * the scheme word is the subprotocol to select.
 */
export function checkDeepgramAuth(req: IncomingMessage, control: SimControl): DeepgramAuth {
  const header = req.headers.authorization;
  let key = credentialOf(header, ['token', 'bearer']);
  let protocol: string | undefined;
  if (key === null && header === undefined) {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const at = offered.findIndex((p) => p.toLowerCase() === 'token' || p.toLowerCase() === 'bearer');
    if (at >= 0 && offered[at + 1]) {
      key = offered[at + 1];
      protocol = offered[at];
    }
  }
  if (key !== control.keys.deepgram) return { ok: false, refusal: deepgramError(401, undefined, { requestId: requestIdOf(req) }) };
  return { ok: true, protocol };
}
