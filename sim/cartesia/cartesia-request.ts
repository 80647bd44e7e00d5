// Parses and checks one client message on /tts/websocket: a generation request for a context, or a
// cancel. Checks follow the documented contract (raw output only, the listed encodings and rates,
// a voice by id, a known Sonic model) so a client that gets a field wrong hears about it here.

export const CARTESIA_ENCODINGS = ['pcm_s16le', 'pcm_f32le', 'pcm_mulaw', 'pcm_alaw'] as const;
export type CartesiaEncoding = (typeof CARTESIA_ENCODINGS)[number];
export const CARTESIA_SAMPLE_RATES = [8000, 16000, 22050, 24000, 44100, 48000] as const;

/** Sonic families with an optional snapshot date, e.g. `sonic-2`, `sonic-3-2025-10-27`, `sonic-turbo`. */
const MODEL_PATTERN = /^sonic(-(2|3|3\.5|turbo|english|multilingual|latest|preview))?(-\d{4}-\d{2}-\d{2})?$/;

export type OutputFormat = { encoding: CartesiaEncoding; sampleRate: number };

export type GenerationRequest = {
  contextId: string | null;
  modelId: string;
  transcript: string;
  voiceId: string;
  language: string | null;
  outputFormat: OutputFormat;
  addTimestamps: boolean;
  /** More input follows on this context. Absent means false. */
  continue: boolean;
  flush: boolean;
  maxBufferDelayMs: number | null;
};

export type ClientMessage =
  | { kind: 'generate'; request: GenerationRequest }
  | { kind: 'cancel'; contextId: string }
  | { kind: 'invalid'; contextId?: string; title: string; message: string; errorCode: string };

export function parseClientMessage(text: string): ClientMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return invalid(undefined, 'Invalid JSON', 'The message could not be parsed as JSON.', 'invalid_json');
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return invalid(undefined, 'Invalid request', 'The message must be a JSON object.', 'invalid_request');
  }
  const m = data as Record<string, unknown>;
  const contextId = typeof m.context_id === 'string' && m.context_id !== '' ? m.context_id : undefined;
  if (m.context_id !== undefined && m.context_id !== null && contextId === undefined) {
    return invalid(undefined, 'Invalid context_id', 'context_id must be a non-empty string.', 'invalid_request');
  }
  if (m.cancel === true) {
    if (!contextId) return invalid(undefined, 'Invalid request', 'cancel needs a context_id.', 'invalid_request');
    return { kind: 'cancel', contextId };
  }

  if (typeof m.model_id !== 'string' || !MODEL_PATTERN.test(m.model_id)) {
    return invalid(contextId, 'Invalid model', `The model ${JSON.stringify(m.model_id)} is not valid. Use a Sonic model such as sonic-2.`, 'model_not_found');
  }
  if (typeof m.transcript !== 'string') {
    return invalid(contextId, 'Invalid transcript', 'transcript must be a string.', 'invalid_request');
  }
  const voice = m.voice as Record<string, unknown> | undefined;
  if (typeof voice !== 'object' || voice === null || voice.mode !== 'id' || typeof voice.id !== 'string' || voice.id === '') {
    return invalid(contextId, 'Invalid voice', 'voice must be {"mode":"id","id":"<voice id>"}.', 'invalid_voice');
  }
  const format = parseOutputFormat(m.output_format);
  if (typeof format === 'string') return invalid(contextId, 'Invalid output format', format, 'invalid_output_format');
  if (m.language !== undefined && m.language !== null && (typeof m.language !== 'string' || !/^[a-z]{2}(-[A-Za-z]{2})?$/.test(m.language))) {
    return invalid(contextId, 'Invalid language', `The language ${JSON.stringify(m.language)} is not supported.`, 'unsupported_language');
  }
  for (const key of ['add_timestamps', 'continue', 'flush'] as const) {
    if (m[key] !== undefined && m[key] !== null && typeof m[key] !== 'boolean') {
      return invalid(contextId, 'Invalid request', `${key} must be a boolean.`, 'invalid_request');
    }
  }
  const delay = m.max_buffer_delay_ms;
  if (delay !== undefined && delay !== null && (typeof delay !== 'number' || !(delay >= 0 && delay <= 5000))) {
    return invalid(contextId, 'Invalid request', 'max_buffer_delay_ms must be between 0 and 5000.', 'invalid_request');
  }
  return {
    kind: 'generate',
    request: {
      contextId: contextId ?? null,
      modelId: m.model_id,
      transcript: m.transcript,
      voiceId: voice.id,
      language: typeof m.language === 'string' ? m.language : null,
      outputFormat: format,
      addTimestamps: m.add_timestamps === true,
      continue: m.continue === true,
      flush: m.flush === true,
      maxBufferDelayMs: typeof delay === 'number' ? delay : null,
    },
  };
}

function parseOutputFormat(value: unknown): OutputFormat | string {
  if (typeof value !== 'object' || value === null) return 'output_format is required.';
  const f = value as Record<string, unknown>;
  if (f.container !== 'raw') return `The WebSocket supports only the raw container, not ${JSON.stringify(f.container)}.`;
  if (!(CARTESIA_ENCODINGS as readonly unknown[]).includes(f.encoding)) {
    return `Unsupported encoding ${JSON.stringify(f.encoding)}; use one of ${CARTESIA_ENCODINGS.join(', ')}.`;
  }
  if (!(CARTESIA_SAMPLE_RATES as readonly unknown[]).includes(f.sample_rate)) {
    return `Unsupported sample_rate ${JSON.stringify(f.sample_rate)}; use one of ${CARTESIA_SAMPLE_RATES.join(', ')}.`;
  }
  return { encoding: f.encoding as CartesiaEncoding, sampleRate: f.sample_rate as number };
}

function invalid(contextId: string | undefined, title: string, message: string, errorCode: string): ClientMessage {
  return { kind: 'invalid', contextId, title, message, errorCode };
}
