// Twilio's REST refusals: JSON {code, message, more_info, status}, and Basic auth of
// AccountSid:AuthToken checked against the simulator's account.
import type { IncomingMessage } from 'node:http';
import type { SimErrorResponse } from '../sim-server.js';

export function twilioError(status: number, code: number, message: string, extra: { retryAfterS?: number; detail?: string } = {}): SimErrorResponse {
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Basic realm="Twilio API"';
  if (extra.retryAfterS !== undefined) headers['retry-after'] = String(extra.retryAfterS);
  const body = { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status, ...(extra.detail ? { detail: extra.detail } : {}) };
  return { status, headers, body: JSON.stringify(body) };
}

/** The generic refusals (auth, faults) in Twilio's shape. */
export function twilioStatusError(status: number, message: string, retryAfterS?: number): SimErrorResponse {
  switch (status) {
    case 401:
      return twilioError(401, 20003, 'Authenticate', { detail: 'Your AccountSid or AuthToken was incorrect.' });
    case 429:
      return twilioError(429, 20429, 'Too Many Requests', { retryAfterS });
    case 503:
      return twilioError(503, 20503, 'Service Unavailable', { retryAfterS });
    default:
      return twilioError(status, 20500, status >= 500 ? 'Internal Server Error' : message, { retryAfterS });
  }
}

/** user:password of an HTTP Basic Authorization header, or null. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export function isBasicAuthorized(req: IncomingMessage, accountSid: string, authToken: string): boolean {
  const creds = basicCredentials(req.headers.authorization);
  return creds !== null && creds.user === accountSid && creds.password === authToken;
}
