// Cartesia TTS WebSocket simulator at /tts/websocket. Auth: a Cartesia-Version (header, or the
// `cartesia_version` query that browsers use) is required, and the key may come as `X-API-Key`,
// `Authorization: Bearer` or the `api_key` query; refusals are Cartesia's structured JSON errors.
import type { IncomingMessage } from 'node:http';
import type { SimControl } from '../sim-control.js';
import { credentialOf, type SimErrorResponse, type SimRoute } from '../sim-server.js';
import { cartesiaHttpError } from './cartesia-errors.js';
import { serveCartesiaSocket } from './cartesia-socket.js';

export const CARTESIA_WS_PATH = '/tts/websocket';

export function cartesiaRoutes(): SimRoute[] {
  return [
    {
      vendor: 'cartesia',
      match: (path, _method, isUpgrade) => isUpgrade && path === CARTESIA_WS_PATH,
      errorResponse: (status, message, retryAfterS) => cartesiaHttpError(status, message, retryAfterS),
      authorize: (req, url, control): { refusal: SimErrorResponse } | { protocol?: string } => {
        const refusal = checkCartesiaAuth(req, url, control);
        return refusal ? { refusal } : {};
      },
      ws: serveCartesiaSocket,
    },
  ];
}

function checkCartesiaAuth(req: IncomingMessage, url: URL, control: SimControl): SimErrorResponse | null {
  // The query parameter takes precedence over the header, as documented for WebSockets.
  const version = url.searchParams.get('cartesia_version') ?? header(req, 'cartesia-version');
  if (!version) {
    return cartesiaHttpError(400, 'The Cartesia-Version header (or cartesia_version query parameter) is required.', undefined, 'missing_version');
  }
  if (!/^\d{4}-\d{2}-\d{2}$/.test(version)) {
    return cartesiaHttpError(400, `Cartesia-Version must be a date (YYYY-MM-DD), got ${JSON.stringify(version)}.`, undefined, 'invalid_version');
  }
  const key =
    header(req, 'x-api-key') ??
    credentialOf(header(req, 'authorization'), ['bearer']) ??
    url.searchParams.get('api_key') ??
    url.searchParams.get('access_token');
  if (!key) return cartesiaHttpError(401, 'No API key was provided.', undefined, 'missing_api_key');
  if (key !== control.keys.cartesia) return cartesiaHttpError(401, 'The API key is invalid.', undefined, 'invalid_api_key');
  return null;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const value = Array.isArray(v) ? v[0] : v;
  return value === undefined || value === '' ? undefined : value;
}
