// `POST /v1/text-to-speech/{voice_id}/stream` (protocols.md §4c): JSON body in, raw audio bytes out in
// `output_format` (not base64), chunked, paced like the sockets. Validation problems answer 422 in
// FastAPI's list form; formats the simulator cannot encode answer 400 with an explanation.
// Faults: `wrong_audio_format` starts the body with an MP3 ID3 header; `malformed` puts one chunk of
// JSON text in the middle of the audio; `slow` stretches the pacing (`status`/`drop` are generic).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HttpContext, SimErrorResponse } from '../sim-server.js';
import { detailError, validationError } from './elevenlabs-errors.js';
import { ID3_HEADER, parseOutputFormat } from './elevenlabs-formats.js';
import { renderGeneration } from './speech-pieces.js';

export async function handleRestStream(ctx: HttpContext, voiceId: string): Promise<void> {
  const { res, url, control, fault } = ctx;
  const requestedAt = performance.now();
  let gone = false;
  res.on('close', () => {
    gone = true;
  });

  const format = parseOutputFormat(url.searchParams.get('output_format'));
  if ('error' in format) return refuse(ctx, detailError(400, 'output_format_not_supported', format.error));
  const raw = await ctx.body();
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    return refuse(ctx, validationError(['body', 0], 'JSON decode error', 'json_invalid'));
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return refuse(ctx, validationError(['body'], 'Input should be a valid dictionary', 'model_attributes_type'));
  const text = (body as Record<string, unknown>).text;
  if (text === undefined) return refuse(ctx, validationError(['body', 'text'], 'Field required', 'missing'));
  if (typeof text !== 'string') return refuse(ctx, validationError(['body', 'text'], 'Input should be a valid string', 'string_type'));
  if (!text.trim()) return refuse(ctx, detailError(400, 'invalid_text', 'A non-empty text is required.'));
  control.event(ctx.connection, 'request', `${voiceId} ${format.format.name}`);

  const latencies = control.latenciesFor(fault);
  const generation = renderGeneration(text, format.format, { voice: voiceId, syncAlignment: false });
  // The header goes out with the first audio, as a server that has something to say would.
  await sleepUntil(requestedAt + latencies.ttsTtfbMs);
  if (gone) return;
  res.writeHead(200, { 'content-type': format.format.contentType, 'transfer-encoding': 'chunked' });
  for (let k = 0; k < generation.pieces.length; k++) {
    const piece = generation.pieces[k];
    await sleepUntil(requestedAt + latencies.ttsTtfbMs + piece.startMs / latencies.ttsRealtimeFactor);
    if (gone || res.destroyed) return;
    res.write(k === 0 && fault?.type === 'wrong_audio_format' ? Buffer.concat([ID3_HEADER, piece.bytes]) : piece.bytes);
    if (k === 0 && fault?.type === 'malformed') res.write('{"detail":{"status":"simulated_garbage","message":"not audio"}}');
  }
  if (!gone && !res.destroyed) res.end();
}

function refuse(ctx: HttpContext, refusal: SimErrorResponse): void {
  ctx.res.writeHead(refusal.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(refusal.body), ...refusal.headers });
  ctx.res.end(refusal.body);
}

async function sleepUntil(at: number): Promise<void> {
  const delay = at - performance.now();
  if (delay > 0) await sleep(delay);
}
