// OpenAI's error envelope and its refusals (auth, rate limit, server errors), shared by the chat
// and transcription routes. Bodies and headers follow what api.openai.com sends, so the official
// SDK maps them to its own error classes (AuthenticationError, RateLimitError, ...).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimControl } from '../sim-control.js';
import type { SimErrorResponse } from '../sim-server.js';
import { credentialOf } from '../sim-server.js';

export type OpenAiErrorFields = { type: string; code?: string | null; param?: string | null };

export function openAiErrorBody(message: string, fields: OpenAiErrorFields): string {
  return JSON.stringify({ error: { message, type: fields.type, param: fields.param ?? null, code: fields.code ?? null } });
}

/** The refusal OpenAI sends for `status`; `retryAfterS` adds the retry headers the SDK reads. */
export function openAiErrorResponse(status: number, message: string, retryAfterS?: number): SimErrorResponse {
  const headers: Record<string, string> = { 'x-request-id': requestId() };
  switch (status) {
    case 401:
      return { status, headers, body: openAiErrorBody(`Incorrect API key provided (${message}).`, { type: 'invalid_request_error', code: 'invalid_api_key' }) };
    case 429: {
      const waitMs = retryAfterS === undefined ? undefined : Math.round(retryAfterS * 1000);
      Object.assign(headers, {
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '0',
        'x-ratelimit-reset-requests': `${waitMs ?? 1000}ms`,
        'x-ratelimit-reset-tokens': `${waitMs ?? 1000}ms`,
      });
      if (waitMs !== undefined) {
        headers['retry-after'] = String(Math.ceil(retryAfterS ?? 0));
        headers['retry-after-ms'] = String(waitMs);
      }
      const hint = waitMs === undefined ? '' : ` Please try again in ${waitMs}ms.`;
      return {
        status,
        headers,
        body: openAiErrorBody(`Rate limit reached for requests (${message}).${hint}`, { type: 'requests', code: 'rate_limit_exceeded' }),
      };
    }
    case 503:
      return { status, headers, body: openAiErrorBody(`The engine is currently overloaded, please try again later (${message}).`, { type: 'server_error' }) };
    default:
      if (status >= 500) {
        return {
          status,
          headers,
          body: openAiErrorBody(`The server had an error while processing your request. Sorry about that! (${message})`, { type: 'server_error' }),
        };
      }
      return { status, headers, body: openAiErrorBody(message, { type: 'invalid_request_error' }) };
  }
}

/**
 * `Authorization: Bearer <key>` must carry the OpenAI key. The Ollama dialect accepts any bearer,
 * as Ollama itself ignores auth.
 */
export function authorizeOpenAi(req: IncomingMessage, control: SimControl): { refusal: SimErrorResponse } | { protocol?: string } {
  if (control.openAiDialect === 'ollama') return {};
  const key = credentialOf(req.headers.authorization, ['bearer']);
  if (key === control.keys.openai) return {};
  if (!key) {
    return {
      refusal: {
        status: 401,
        headers: { 'x-request-id': requestId() },
        body: openAiErrorBody(
          "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
          { type: 'invalid_request_error', code: 'invalid_api_key' },
        ),
      },
    };
  }
  // Like OpenAI, show only the key's last characters.
  return { refusal: openAiErrorResponse(401, `key ending in ${key.slice(-4)}`) };
}

/** A 400 `invalid_request_error`, sent from inside a route. */
export function sendInvalidRequest(res: ServerResponse, message: string, param: string | null = null, code: string | null = null): void {
  const body = openAiErrorBody(message, { type: 'invalid_request_error', param, code });
  res.writeHead(400, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-request-id': requestId() });
  res.end(body);
}

export function requestId(): string {
  return `req_${Math.random().toString(16).slice(2, 14).padEnd(12, '0')}`;
}
