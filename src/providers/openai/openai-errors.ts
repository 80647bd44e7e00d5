// Turns what the OpenAI SDK throws into ProviderError. HTTP refusals carry a status (kind from
// kindForStatus, retry hints from retry-after(-ms)); an in-stream `{"error": …}` event carries none,
// so its kind comes from the vendor's error type/code; undici's "terminated" is a cut connection;
// a SyntaxError is a chunk that was not JSON.
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';
import { kindForStatus, ProviderError, retryAfterFromHeaders, type ProviderErrorKind } from '../provider-error.js';

export function providerErrorFromOpenAi(provider: string, err: unknown, secret?: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = scrub(err instanceof Error ? err.message : String(err), secret);
  if (err instanceof APIConnectionTimeoutError) return new ProviderError(provider, 'timeout', message, { cause: err });
  if (err instanceof APIConnectionError) {
    const reason = err.cause instanceof Error ? `${message} (${scrub(causeMessage(err.cause), secret)})` : message;
    return new ProviderError(provider, 'network', reason, { cause: err });
  }
  if (err instanceof APIError) {
    const code = typeof err.code === 'string' ? err.code : undefined;
    const retryAfterMs = err.headers ? retryAfterFromHeaders((name) => err.headers?.get(name)) : undefined;
    const kind = err.status === undefined ? kindForStreamError(err.type, code) : kindForRefusal(err.status, code);
    const text = err.status === undefined ? `error event in stream: ${message}` : message;
    return new ProviderError(provider, kind, text, { status: err.status, retryAfterMs, code, cause: err });
  }
  if (err instanceof SyntaxError) {
    return new ProviderError(provider, 'protocol', `stream chunk is not valid JSON: ${message}`, { code: 'malformed_chunk', cause: err });
  }
  if (err instanceof TypeError && err.message === 'terminated') {
    // undici's word for a response body cut off by the peer (socket closed mid-stream).
    return new ProviderError(provider, 'network', `connection closed mid-response (${scrub(causeMessage(err.cause), secret)})`, { cause: err });
  }
  return new ProviderError(provider, 'network', message, { cause: err });
}

function kindForRefusal(status: number, code: string | undefined): ProviderErrorKind {
  // OpenAI sends quota exhaustion as a 429 that retrying cannot fix.
  if (code === 'insufficient_quota') return 'quota';
  return kindForStatus(status);
}

function kindForStreamError(type: string | undefined, code: string | undefined): ProviderErrorKind {
  if (code === 'insufficient_quota') return 'quota';
  if (code === 'rate_limit_exceeded') return 'rate_limited';
  if (type === 'invalid_request_error') return 'bad_request';
  return 'server';
}

function causeMessage(cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  return cause === undefined ? 'no detail' : String(cause);
}

/** Vendors echo (part of) the key in some messages; never let ours into an error. */
function scrub(text: string, secret: string | undefined): string {
  return secret && secret.length >= 4 ? text.split(secret).join('***') : text;
}
