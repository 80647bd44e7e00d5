// Server → client messages of ElevenLabs' TTS sockets: JSON text, camelCase keys, dispatched on which
// keys are present (protocols.md §4a): `audio` (base64) with optional alignment, `isFinal` (also
// `is_final` in some asyncapi examples), or `error` + `message`. Unknown keys and messages (e.g. a
// `flush_done` ack) are ignored. Anything that is not a JSON object, or audio that is not base64, is a
// protocol error.
import { ProviderError, type ProviderErrorKind } from '../provider-error.js';
import { readAlignment, type CharTimes } from './alignment-words.js';

export type ServerMessage = {
  /** Decoded audio bytes, or null when the message carries none. */
  audio: Uint8Array | null;
  /** `alignment` (original text), else `normalizedAlignment`. */
  alignment: CharTimes | null;
  isFinal: boolean;
  contextId: string | null;
  error: { code: string; message: string } | null;
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function parseServerMessage(provider: string, text: string): ServerMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ProviderError(provider, 'protocol', `received a message that is not JSON: ${preview(text)}`, { code: 'malformed_message' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProviderError(provider, 'protocol', `received a JSON message that is not an object: ${preview(text)}`, { code: 'malformed_message' });
  }
  const o = value as Record<string, unknown>;
  const contextId = typeof o.contextId === 'string' ? o.contextId : typeof o.context_id === 'string' ? o.context_id : null;
  if (o.error !== undefined && o.error !== null) {
    const code = typeof o.error === 'string' ? o.error : 'error';
    const message = typeof o.message === 'string' ? o.message : typeof o.error === 'string' ? o.error : JSON.stringify(o.error);
    return { audio: null, alignment: null, isFinal: false, contextId, error: { code, message } };
  }
  return {
    audio: decodeAudio(provider, o.audio),
    alignment: readAlignment(o.alignment) ?? readAlignment(o.normalizedAlignment) ?? readAlignment(o.normalized_alignment),
    isFinal: o.isFinal === true || o.is_final === true,
    contextId,
    error: null,
  };
}

function decodeAudio(provider: string, audio: unknown): Uint8Array | null {
  if (audio === undefined || audio === null || audio === '') return null;
  if (typeof audio !== 'string') {
    throw new ProviderError(provider, 'protocol', `audio field is a ${typeof audio}, expected a base64 string`, { code: 'malformed_message' });
  }
  // Node's decoder silently skips invalid characters, so check the alphabet first.
  if (!BASE64.test(audio) || audio.length % 4 === 1) {
    throw new ProviderError(provider, 'protocol', `audio field is not base64: ${preview(audio)}`, { code: 'malformed_message' });
  }
  return Buffer.from(audio, 'base64');
}

/** How a vendor error code (the `error` field of a message) should be treated. */
export function kindForErrorCode(code: string): ProviderErrorKind {
  switch (code) {
    case 'input_timeout_exceeded':
      return 'timeout';
    case 'invalid_api_key':
    case 'unauthorized':
    case 'auth_error':
    case 'missing_permissions':
      return 'auth';
    case 'quota_exceeded':
    case 'payment_required':
      return 'quota';
    case 'too_many_concurrent_requests':
    case 'system_busy':
    case 'rate_limit_exceeded':
      return 'rate_limited';
    case 'invalid_request':
    case 'invalid_message':
    case 'validation_error':
    case 'voice_not_found':
    case 'model_not_found':
      return 'bad_request';
    default:
      return 'server';
  }
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 80)}…` : flat;
}
