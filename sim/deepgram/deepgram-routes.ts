// Deepgram on its own paths: live transcription (WS /v1/listen) and Aura TTS (WS and POST /v1/speak).
// Query parameters are checked at authorization time, the only hook before the WebSocket upgrade,
// so bad parameters are refused with HTTP 400 the way the service refuses them.
import type { IncomingMessage } from 'node:http';
import type { SimControl } from '../sim-control.js';
import type { SimErrorResponse, SimRoute } from '../sim-server.js';
import { checkDeepgramAuth, deepgramError, requestIdOf } from './deepgram-auth.js';
import { parseListenParams, parseSpeakParams } from './deepgram-params.js';
import { runListenSession } from './listen-session.js';
import { runSpeakSession } from './speak-session.js';
import { handleSpeakRest } from './speak-rest.js';

type Authorization = { refusal: SimErrorResponse } | { protocol?: string; headers?: Record<string, string> };

function errorResponse(status: number, message: string, retryAfterS?: number): SimErrorResponse {
  return deepgramError(status, message, { retryAfterS });
}

/**
 * Credentials first, then (for upgrades) the query. `headers` asks the server to add `dg-request-id`
 * to the 101 response; servers that do not support extra upgrade headers ignore it.
 */
function authorize(req: IncomingMessage, control: SimControl, checkQuery: (() => string | null) | null): Authorization {
  const auth = checkDeepgramAuth(req, control);
  if (!auth.ok) return { refusal: auth.refusal };
  const problem = checkQuery?.() ?? null;
  if (problem !== null) return { refusal: deepgramError(400, problem, { requestId: requestIdOf(req), errCode: 'INVALID_QUERY_PARAMETER' }) };
  return { protocol: auth.protocol, headers: { 'dg-request-id': requestIdOf(req) } };
}

const problemOf = (parsed: { ok: true } | { ok: false; message: string }) => (parsed.ok ? null : parsed.message);

function listenRoute(): SimRoute {
  return {
    vendor: 'deepgram',
    match: (path, _method, isUpgrade) => isUpgrade && path === '/v1/listen',
    errorResponse,
    authorize: (req, url, control) => authorize(req, control, () => problemOf(parseListenParams(url, control.latencies.sttEndpointingMs))),
    ws(ctx) {
      const params = parseListenParams(ctx.url, ctx.control.latencies.sttEndpointingMs);
      if (!params.ok) return ctx.close(1008, 'DATA-0000');
      runListenSession(ctx, params.value, requestIdOf(ctx.req));
    },
  };
}

function speakRoute(): SimRoute {
  return {
    vendor: 'deepgram',
    match: (path, method, isUpgrade) => path === '/v1/speak' && (isUpgrade || method === 'POST'),
    errorResponse,
    authorize: (req, url, control) => authorize(req, control, req.headers.upgrade ? () => problemOf(parseSpeakParams(url, true)) : null),
    http: handleSpeakRest,
    ws(ctx) {
      const params = parseSpeakParams(ctx.url, true);
      if (!params.ok) return ctx.close(1008, 'DATA-0000');
      runSpeakSession(ctx, params.value, requestIdOf(ctx.req));
    },
  };
}

export function deepgramRoutes(): SimRoute[] {
  return [listenRoute(), speakRoute()];
}
