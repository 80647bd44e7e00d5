// Reading /v1/listen server messages. Only `Results` carries what the adapter reports; Metadata,
// SpeechStarted, UtteranceEnd and unknown types are recognised and passed over. A frame that is not a
// JSON object is a protocol error: the vendor (or something in between) is not speaking Deepgram.
import { ProviderError } from '../provider-error.js';
import type { WordTiming } from '../types.js';

export type ListenResults = {
  type: 'Results';
  isFinal: boolean;
  speechFinal: boolean;
  fromFinalize: boolean;
  startMs: number;
  endMs: number;
  transcript: string;
  confidence: number;
  words: WordTiming[];
};

export type ListenMessage = ListenResults | { type: 'Error'; message: string } | { type: 'Other'; name: string };

const ms = (seconds: unknown) => (typeof seconds === 'number' && Number.isFinite(seconds) ? Math.round(seconds * 1000) : 0);

export function parseListenMessage(provider: string, text: string): ListenMessage {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new ProviderError(provider, 'protocol', `received a frame that is not JSON: ${JSON.stringify(text.slice(0, 60))}`, { code: 'malformed_message' });
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ProviderError(provider, 'protocol', `received a message that is not a JSON object: ${text.slice(0, 60)}`, { code: 'malformed_message' });
  }
  const o = data as Record<string, unknown>;
  if (o.type === 'Results') return readResults(provider, o);
  if (o.type === 'Error' || o.type === 'error') {
    const message = [o.description, o.message, o.err_msg].find((v) => typeof v === 'string') as string | undefined;
    return { type: 'Error', message: message ?? JSON.stringify(o).slice(0, 200) };
  }
  return { type: 'Other', name: typeof o.type === 'string' ? o.type : '(untyped)' };
}

function readResults(provider: string, o: Record<string, unknown>): ListenResults {
  const channel = o.channel as { alternatives?: unknown } | undefined;
  const alternatives = Array.isArray(channel?.alternatives) ? channel.alternatives : null;
  if (!alternatives) throw new ProviderError(provider, 'protocol', 'Results message without channel.alternatives', { code: 'malformed_message' });
  const best = (alternatives[0] ?? {}) as Record<string, unknown>;
  const words: WordTiming[] = [];
  if (Array.isArray(best.words)) {
    for (const raw of best.words as Array<Record<string, unknown>>) {
      const word = typeof raw.punctuated_word === 'string' ? raw.punctuated_word : typeof raw.word === 'string' ? raw.word : null;
      if (word === null) continue;
      words.push({ word, startMs: ms(raw.start), endMs: ms(raw.end), ...(typeof raw.confidence === 'number' ? { confidence: raw.confidence } : {}) });
    }
  }
  const startMs = ms(o.start);
  return {
    type: 'Results',
    isFinal: o.is_final === true,
    speechFinal: o.speech_final === true,
    fromFinalize: o.from_finalize === true,
    startMs,
    endMs: startMs + ms(o.duration),
    transcript: typeof best.transcript === 'string' ? best.transcript.trim() : '',
    confidence: typeof best.confidence === 'number' ? best.confidence : 0,
    words,
  };
}
