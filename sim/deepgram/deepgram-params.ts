// Query parameters of /v1/listen and /v1/speak, parsed and checked the way the real API refuses them
// (HTTP 400 at the upgrade or request). The simulator decodes/encodes only headerless linear16,
// mulaw and alaw; other Deepgram encodings are refused with a message that says so.

export type RawAudioEncoding = 'linear16' | 'mulaw' | 'alaw';

export type ListenParams = {
  model: string;
  encoding: RawAudioEncoding;
  sampleRate: number;
  interimResults: boolean;
  /** null when `endpointing=false`: segments still end on silence, but never with speech_final. */
  endpointingMs: number | null;
  utteranceEndMs: number | null;
  vadEvents: boolean;
  /** `punctuate` or `smart_format`: transcripts keep the script's punctuation and case. */
  punctuate: boolean;
  tag: string | undefined;
  language: string;
};

export type SpeakParams = {
  model: string;
  encoding: RawAudioEncoding;
  sampleRate: number;
  container: 'none' | 'wav';
};

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const KNOWN_LISTEN_ENCODINGS = new Set(['linear16', 'linear32', 'flac', 'alaw', 'mulaw', 'amr-nb', 'amr-wb', 'opus', 'ogg-opus', 'speex', 'g729']);
const RAW: ReadonlySet<string> = new Set<RawAudioEncoding>(['linear16', 'mulaw', 'alaw']);

function bool(url: URL, name: string, fallback: boolean): Parsed<boolean> {
  const v = url.searchParams.get(name);
  if (v === null) return { ok: true, value: fallback };
  if (v === 'true' || v === 'false') return { ok: true, value: v === 'true' };
  return { ok: false, message: `Invalid value for ${name}: expected true or false, got "${v}"` };
}

function int(url: URL, name: string): Parsed<number | null> {
  const v = url.searchParams.get(name);
  if (v === null) return { ok: true, value: null };
  if (!/^\d+$/.test(v)) return { ok: false, message: `Invalid value for ${name}: "${v}"` };
  return { ok: true, value: Number(v) };
}

export function parseListenParams(url: URL, defaultEndpointingMs: number): Parsed<ListenParams> {
  const encoding = url.searchParams.get('encoding');
  if (encoding === null) {
    return { ok: false, message: 'The simulator needs raw audio: pass encoding (linear16, mulaw or alaw) and sample_rate' };
  }
  if (!KNOWN_LISTEN_ENCODINGS.has(encoding)) return { ok: false, message: `Invalid value for encoding: "${encoding}"` };
  if (!RAW.has(encoding)) return { ok: false, message: `The simulator does not decode encoding "${encoding}"; use linear16, mulaw or alaw` };
  const rate = int(url, 'sample_rate');
  if (!rate.ok) return rate;
  if (rate.value === null) return { ok: false, message: 'sample_rate is required when encoding is given' };
  if (rate.value < 8000 || rate.value > 48000) return { ok: false, message: `Invalid value for sample_rate: ${rate.value}` };
  const channels = int(url, 'channels');
  if (!channels.ok) return channels;
  if (channels.value !== null && channels.value !== 1) return { ok: false, message: 'The simulator accepts only channels=1' };
  const interim = bool(url, 'interim_results', false);
  if (!interim.ok) return interim;
  const vad = bool(url, 'vad_events', false);
  if (!vad.ok) return vad;
  const punctuate = bool(url, 'punctuate', false);
  if (!punctuate.ok) return punctuate;
  const smart = bool(url, 'smart_format', false);
  if (!smart.ok) return smart;
  let endpointingMs: number | null = defaultEndpointingMs;
  const endpointing = url.searchParams.get('endpointing');
  if (endpointing === 'false') endpointingMs = null;
  else if (endpointing !== null && endpointing !== 'true') {
    const parsed = int(url, 'endpointing');
    if (!parsed.ok) return parsed;
    endpointingMs = parsed.value;
  }
  const utteranceEnd = int(url, 'utterance_end_ms');
  if (!utteranceEnd.ok) return utteranceEnd;
  if (utteranceEnd.value !== null && !interim.value) return { ok: false, message: 'utterance_end_ms requires interim_results=true' };
  return {
    ok: true,
    value: {
      model: url.searchParams.get('model') ?? 'base',
      encoding: encoding as RawAudioEncoding,
      sampleRate: rate.value,
      interimResults: interim.value,
      endpointingMs,
      utteranceEndMs: utteranceEnd.value,
      vadEvents: vad.value,
      punctuate: punctuate.value || smart.value,
      tag: url.searchParams.get('tag') ?? undefined,
      language: url.searchParams.get('language') ?? 'en',
    },
  };
}

const LINEAR16_RATES = [8000, 16000, 24000, 32000, 48000];
const G711_RATES = [8000, 16000];
const KNOWN_SPEAK_ENCODINGS = new Set(['linear16', 'mulaw', 'alaw', 'mp3', 'opus', 'flac', 'aac']);

/**
 * `streaming` (the WebSocket) allows only raw output and no container. For REST the simulator, like
 * one reading of the docs, defaults to linear16 in a WAV container at 24 kHz when encoding is omitted.
 */
export function parseSpeakParams(url: URL, streaming: boolean): Parsed<SpeakParams> {
  const encoding = url.searchParams.get('encoding') ?? 'linear16';
  if (!KNOWN_SPEAK_ENCODINGS.has(encoding)) return { ok: false, message: `Unsupported audio format: ${encoding}` };
  if (!RAW.has(encoding)) {
    return {
      ok: false,
      message: streaming
        ? `Unsupported audio format: ${encoding} (streaming supports linear16, mulaw and alaw)`
        : `The simulator does not produce encoding "${encoding}"; use linear16, mulaw or alaw`,
    };
  }
  const rates = encoding === 'linear16' ? LINEAR16_RATES : G711_RATES;
  const rate = int(url, 'sample_rate');
  if (!rate.ok) return rate;
  const sampleRate = rate.value ?? (encoding === 'linear16' ? 24000 : 8000);
  if (!rates.includes(sampleRate)) {
    return { ok: false, message: `Unsupported audio format: sample_rate ${sampleRate} for ${encoding} (supported: ${rates.join(', ')})` };
  }
  const container = url.searchParams.get('container') ?? (streaming ? 'none' : 'wav');
  if (container !== 'none' && container !== 'wav') return { ok: false, message: `Unsupported audio format: container ${container} for ${encoding}` };
  if (streaming && container !== 'none') return { ok: false, message: 'Streaming output has no container' };
  return { ok: true, value: { model: url.searchParams.get('model') ?? 'aura-asteria-en', encoding: encoding as RawAudioEncoding, sampleRate, container } };
}
