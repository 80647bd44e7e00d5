// POST /v1/speak: one text in, a chunked body of audio out (paced like synthesis), or a Deepgram
// error body. Content-Type must be application/json ({"text": …}) or text/plain.
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { HttpContext, SimErrorResponse } from '../sim-server.js';
import { deepgramError, requestIdOf } from './deepgram-auth.js';
import { parseSpeakParams } from './deepgram-params.js';
import { sendPaced } from './paced-audio.js';
import { bytesPerSecond, speakBytes, speakContentType } from './speak-audio.js';

const MAX_BODY_BYTES = 2 * 1024 * 1024;
export const MAX_SPEAK_CHARS = 2000;
/** The `malformed` fault's body: a proxy error page with status 200. */
export const SPEAK_GARBAGE = '<html><body>upstream error</body></html>';

export async function handleSpeakRest(ctx: HttpContext): Promise<void> {
  const { req, res, url, control, connection, fault } = ctx;
  const requestedAt = performance.now();
  const requestId = requestIdOf(req);
  const refuse = (status: number, message: string, errCode?: string) => writeRefusal(res, deepgramError(status, message, { requestId, errCode }));

  const params = parseSpeakParams(url, false);
  if (!params.ok) return refuse(400, params.message, 'INVALID_QUERY_PARAMETER');
  const mediaType = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== 'application/json' && mediaType !== 'text/plain') {
    return refuse(415, `Unsupported media type "${mediaType || '(none)'}": use application/json or text/plain`);
  }
  let body: Buffer;
  try {
    body = await ctx.body();
  } catch {
    return refuse(413, 'Payload too large.');
  }
  if (body.length > MAX_BODY_BYTES) return refuse(413, 'Payload too large.');
  let text: string;
  if (mediaType === 'text/plain') text = body.toString('utf8');
  else {
    let data: unknown;
    try {
      data = JSON.parse(body.toString('utf8'));
    } catch {
      return refuse(400, 'Content-type was application/json, but we could not process the JSON payload.');
    }
    const o = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {};
    if (typeof o.url === 'string') return refuse(400, 'The simulator does not fetch text from a url; send {"text": …}');
    if (typeof o.text !== 'string') return refuse(400, 'Request body must contain "text".');
    text = o.text;
  }
  if (text.trim() === '') return refuse(400, 'Input text contains no characters.');
  if (text.length > MAX_SPEAK_CHARS) return refuse(413, `Text is ${text.length} characters; the limit is ${MAX_SPEAK_CHARS}.`);

  if (fault?.type === 'malformed') {
    control.event(connection, 'malformed');
    res.writeHead(200, { 'content-type': 'text/html', 'dg-request-id': requestId });
    res.end(SPEAK_GARBAGE);
    return;
  }
  const latencies = control.latenciesFor(fault);
  const bytes = speakBytes(text, params.value, fault?.type === 'wrong_audio_format');
  res.writeHead(200, {
    'content-type': speakContentType(params.value),
    'dg-model-name': params.value.model,
    'dg-model-uuid': randomUUID(),
    'dg-char-count': String(text.length),
    'dg-request-id': requestId,
  });
  res.flushHeaders();
  const stop = new AbortController();
  res.on('close', () => stop.abort());
  const complete = await sendPaced({
    bytes,
    bytesPerSecond: bytesPerSecond(params.value),
    ttfbMs: latencies.ttsTtfbMs,
    realtimeFactor: latencies.ttsRealtimeFactor,
    requestedAt,
    signal: stop.signal,
    send: (piece) => res.write(piece),
  });
  if (complete) res.end();
}

function writeRefusal(res: ServerResponse, refusal: SimErrorResponse): void {
  res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(refusal.body), ...refusal.headers });
  res.end(refusal.body);
}
