// POST /v1/audio/transcriptions: a multipart upload (file, model, language, response_format,
// timestamp_granularities[]) answered by the simulator's transcriber. The WAV is really decoded and
// segmented by energy, so silence gives no words and each speech segment is one script line.
// Faults: `malformed` answers 200 with a body that is not JSON; `slow` delays the answer.
import { performance } from 'node:perf_hooks';
import type { HttpContext } from '../sim-server.js';
import type { SimWord } from '../script-transcriber.js';
import { readWav, toMono, WavFormatError } from '../../src/audio/wav.js';
import { closeWatcher } from './close-watcher.js';
import { requestId, sendInvalidRequest } from './openai-errors.js';

const FORMATS = "['flac', 'm4a', 'mp3', 'mp4', 'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']";
const MIN_AUDIO_S = 0.1;

export async function handleTranscription(ctx: HttpContext): Promise<void> {
  const { req, res, control, connection, fault } = ctx;
  const startedAt = performance.now();
  const contentType = req.headers['content-type'] ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    return sendInvalidRequest(res, "Invalid Content-Type header (expected multipart/form-data).", null);
  }
  const raw = await ctx.body();
  let form: FormData;
  try {
    // Node's fetch Request parses multipart bodies for us.
    form = await new Request('http://sim.local/v1/audio/transcriptions', { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(raw) }).formData();
  } catch {
    return sendInvalidRequest(res, 'Could not parse multipart form', null);
  }
  const model = form.get('model');
  if (typeof model !== 'string' || model === '') return sendInvalidRequest(res, 'you must provide a model parameter', 'model');
  const file = form.get('file');
  if (file === null || typeof file === 'string') return sendInvalidRequest(res, "Missing required parameter: 'file'.", 'file', 'missing_required_parameter');
  const format = stringField(form, 'response_format') ?? 'json';
  if (!['json', 'text', 'verbose_json'].includes(format)) {
    return sendInvalidRequest(res, `Invalid value: '${format}'. The simulator supports 'json', 'text' and 'verbose_json'.`, 'response_format', 'invalid_value');
  }
  if (format === 'verbose_json' && model.startsWith('gpt-4o')) {
    return sendInvalidRequest(res, `response_format 'verbose_json' is not compatible with model '${model}'. Use 'json' or 'text' instead.`, 'response_format', 'unsupported_value');
  }
  const granularities = form.getAll('timestamp_granularities[]').filter((g): g is string => typeof g === 'string');
  const language = stringField(form, 'language');
  control.event(connection, 'request', JSON.stringify({ model, format, language: language ?? null, granularities }));

  let audio;
  try {
    audio = readWav(new Uint8Array(await file.arrayBuffer()));
  } catch (err) {
    if (!(err instanceof WavFormatError)) throw err;
    return sendInvalidRequest(res, `Invalid file format. Supported formats: ${FORMATS}`, null);
  }
  const samples = toMono(audio.samples, audio.channels);
  const durationS = samples.length / audio.sampleRate;
  if (durationS < MIN_AUDIO_S) {
    return sendInvalidRequest(res, `Audio file is too short. Minimum audio length is ${MIN_AUDIO_S} seconds.`, 'file', 'audio_too_short');
  }

  const words: SimWord[] = [];
  const stream = control.transcriber.open(
    { sampleRate: audio.sampleRate, tag: 'openai-transcription', endpointingMs: control.latencies.sttEndpointingMs },
    (event) => {
      if (event.type === 'final') words.push(...event.words);
    },
  );
  stream.write(samples);
  stream.flush();
  const text = words.map((w) => w.word).join(' ');

  const closed = closeWatcher(res);
  await closed.sleepUntil(startedAt + control.latenciesFor(fault).sttFinalDelayMs);
  if (closed.isClosed()) return;
  const headers = { 'x-request-id': requestId() };
  if (fault?.type === 'malformed') {
    control.event(connection, 'malformed');
    res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    res.end('{not json');
    return;
  }
  if (format === 'text') {
    res.writeHead(200, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
    res.end(`${text}\n`);
    return;
  }
  const usage = { type: 'duration', seconds: Math.ceil(durationS) };
  const body: Record<string, unknown> =
    format === 'json'
      ? { text, usage }
      : {
          task: 'transcribe',
          language: language ?? 'english',
          duration: durationS,
          text,
          segments: [],
          usage,
          ...(granularities.includes('word') ? { words: words.map((w) => ({ word: w.word, start: w.startMs / 1000, end: w.endMs / 1000 })) } : {}),
        };
  const json = JSON.stringify(body);
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function stringField(form: FormData, name: string): string | undefined {
  const value = form.get(name);
  return typeof value === 'string' && value !== '' ? value : undefined;
}
