// Where an ElevenLabs client may put its key, and how a wrong one is refused.
//
// Key locations: the `xi-api-key` header (SDK, livekit), `authorization: Bearer …` (header or query),
// or — WebSocket only — the first message as `"xi-api-key"` (asyncapi schema, JS SDK serializer) or
// `"xi_api_key"` (docs prose, multi-context schema). protocols.md §4, "Disagreements".
//
// How a wrong key is refused is not settled by the sources (protocols.md §4a marks it UNSURE). Searches
// of the issue/code corpora found only indirect evidence: pipecat-ai/pipecat#1006 reports a wrong key
// surfacing as a close 1008 after the socket opened (pipecat sends the key in its first message), and
// the REST API answers 401 `{"detail":{"status":"invalid_api_key",…}}` (e.g. SillyTavern/SillyTavern#4483).
// So the simulator follows where the key was given:
//   - a wrong key in a header (or query) is refused at the upgrade with HTTP 401 and the REST body;
//   - a wrong or missing key in the first message gets the error message and a close 1008.
import type { IncomingMessage } from 'node:http';
import { credentialOf, type SimErrorResponse } from '../sim-server.js';
import type { SimControl } from '../sim-control.js';
import { elevenLabsHttpError } from './elevenlabs-errors.js';

/** The key given at connect time (header or query), or null when none was given. */
export function keyFromRequest(req: IncomingMessage, url: URL): string | null {
  const header = req.headers['xi-api-key'];
  const xi = Array.isArray(header) ? header[0] : header;
  if (xi) return xi;
  const bearer = credentialOf(req.headers.authorization, ['bearer']);
  if (bearer) return bearer;
  const query = url.searchParams.get('authorization');
  if (query) return credentialOf(query, ['bearer']) ?? query;
  return url.searchParams.get('xi-api-key') ?? url.searchParams.get('xi_api_key');
}

/** WebSocket: a wrong key given at connect time is refused; none at all waits for the first message. */
export function authorizeWs(req: IncomingMessage, url: URL, control: SimControl): { refusal: SimErrorResponse } | { protocol?: string } {
  const key = keyFromRequest(req, url);
  if (key !== null && key !== control.keys.elevenlabs) return { refusal: elevenLabsHttpError(401, 'invalid key') };
  return {};
}

/** REST: the key must come with the request. */
export function authorizeHttp(req: IncomingMessage, url: URL, control: SimControl): { refusal: SimErrorResponse } | { protocol?: string } {
  const key = keyFromRequest(req, url);
  if (key !== control.keys.elevenlabs) return { refusal: elevenLabsHttpError(401, 'invalid key') };
  return {};
}

/** The key inside a first message, in any of the spellings clients use. */
export function keyFromMessage(message: Record<string, unknown>): string | null {
  for (const field of ['xi-api-key', 'xi_api_key']) {
    if (typeof message[field] === 'string') return message[field];
  }
  if (typeof message.authorization === 'string') return credentialOf(message.authorization, ['bearer']) ?? message.authorization;
  return null;
}
