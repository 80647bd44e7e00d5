// Cartesia's server → client messages on /tts/websocket, read tolerantly: dispatch on `type`, ignore
// unknown types and fields. Anything that is not a JSON object is garbage and reported as such.
import type { WordTiming } from '../types.js';

export type CartesiaServerMessage =
  /** `data` is the base64 payload, not yet decoded (a bad payload fails only its context). */
  | { type: 'chunk'; contextId: string; data: string }
  | { type: 'timestamps'; contextId: string; words: WordTiming[] }
  | { type: 'flush_done'; contextId: string }
  | { type: 'done'; contextId: string }
  | { type: 'error'; contextId: string | null; status: number | null; message: string; code: string | undefined }
  | { type: 'other'; contextId: string | null };

/** Returns null when the frame is not a JSON object (a protocol violation for the whole socket). */
export function parseServerMessage(text: string): CartesiaServerMessage | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const m = data as Record<string, unknown>;
  const contextId = typeof m.context_id === 'string' ? m.context_id : null;
  switch (m.type) {
    case 'chunk':
      if (contextId === null) return { type: 'other', contextId };
      return { type: 'chunk', contextId, data: typeof m.data === 'string' ? m.data : '' };
    case 'timestamps':
      if (contextId === null) return { type: 'other', contextId };
      return { type: 'timestamps', contextId, words: wordsOf(m.word_timestamps) };
    case 'flush_done':
      return contextId === null ? { type: 'other', contextId } : { type: 'flush_done', contextId };
    case 'done':
      return contextId === null ? { type: 'other', contextId } : { type: 'done', contextId };
    case 'error':
      return {
        type: 'error',
        contextId,
        status: typeof m.status_code === 'number' ? m.status_code : null,
        // Newer API versions send title/message; older ones a single `error` string.
        message: firstString(m.message, m.error, m.title) ?? 'unknown error',
        code: typeof m.error_code === 'string' ? m.error_code : undefined,
      };
    default:
      return { type: 'other', contextId };
  }
}

/** `{words, start, end}` in seconds → word timings in ms; malformed entries are skipped. */
function wordsOf(value: unknown): WordTiming[] {
  if (typeof value !== 'object' || value === null) return [];
  const t = value as Record<string, unknown>;
  if (!Array.isArray(t.words) || !Array.isArray(t.start) || !Array.isArray(t.end)) return [];
  const out: WordTiming[] = [];
  for (let i = 0; i < t.words.length; i++) {
    const word = t.words[i];
    const start = t.start[i];
    const end = t.end[i];
    if (typeof word !== 'string' || typeof start !== 'number' || typeof end !== 'number') continue;
    out.push({ word, startMs: secondsToMs(start), endMs: secondsToMs(end) });
  }
  return out;
}

/** Rounded to microseconds so that 0.36 s reads as 360 ms, not 359.99999999999994. */
function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1_000_000) / 1000;
}

function firstString(...values: unknown[]): string | undefined {
  for (const v of values) if (typeof v === 'string' && v !== '') return v;
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict base64 decode (Node's decoder silently skips bad characters); null when not base64. */
export function decodeBase64(data: string): Uint8Array | null {
  if (data.length % 4 !== 0 || !BASE64.test(data)) return null;
  return Buffer.from(data, 'base64');
}
