// The JSON messages /v1/listen sends, built from what the simulated transcriber heard. Times on the
// wire are seconds from the start of the connection's audio; word times are absolute, not relative
// to the result's `start`.
import type { SimWord } from '../script-transcriber.js';

export type ModelInfo = { requestId: string; model: string; modelUuid: string };

export type ResultsOptions = {
  words: SimWord[];
  startMs: number;
  endMs: number;
  isFinal: boolean;
  speechFinal: boolean;
  fromFinalize: boolean;
  punctuate: boolean;
};

const seconds = (ms: number) => Math.round(ms) / 1000;

/** Deepgram's `word` is the bare lower-case token; `punctuated_word` keeps case and punctuation. */
function bareWord(word: string): string {
  return word.toLowerCase().replace(/[^\p{L}\p{N}'-]/gu, '');
}

export function resultsMessage(info: ModelInfo, o: ResultsOptions): Record<string, unknown> {
  const words = o.words.map((w) => ({
    word: bareWord(w.word),
    start: seconds(w.startMs),
    end: seconds(w.endMs),
    confidence: w.confidence,
    ...(o.punctuate ? { punctuated_word: w.word } : {}),
  }));
  const transcript = o.words.map((w) => (o.punctuate ? w.word : bareWord(w.word))).join(' ');
  const confidence = words.length === 0 ? 0 : words.reduce((sum, w) => sum + w.confidence, 0) / words.length;
  return {
    type: 'Results',
    channel_index: [0, 1],
    duration: seconds(Math.max(0, o.endMs - o.startMs)),
    start: seconds(o.startMs),
    is_final: o.isFinal,
    speech_final: o.speechFinal,
    from_finalize: o.fromFinalize,
    channel: { alternatives: [{ transcript, confidence: Math.round(confidence * 1000) / 1000, words }] },
    metadata: {
      request_id: info.requestId,
      model_info: { name: `general-${info.model}`, version: '2025-01-01.0', arch: info.model },
      model_uuid: info.modelUuid,
    },
  };
}

export function speechStartedMessage(atMs: number): Record<string, unknown> {
  return { type: 'SpeechStarted', channel: [0, 1], timestamp: seconds(atMs) };
}

export function utteranceEndMessage(lastWordEndMs: number): Record<string, unknown> {
  return { type: 'UtteranceEnd', channel: [0, 1], last_word_end: seconds(lastWordEndMs) };
}

export function listenMetadataMessage(info: ModelInfo, o: { sha256: string; created: Date; durationMs: number }): Record<string, unknown> {
  return {
    type: 'Metadata',
    transaction_key: 'deprecated',
    request_id: info.requestId,
    sha256: o.sha256,
    created: o.created.toISOString(),
    duration: seconds(o.durationMs),
    channels: 1,
    models: [info.modelUuid],
    model_info: { [info.modelUuid]: { name: `general-${info.model}`, version: '2025-01-01.0', arch: info.model } },
  };
}
