// Aura over REST (POST /v1/speak, container=none): the response body streams raw audio as it is
// synthesized. An abort cancels the fetch (and so the connection); a stall longer than the timeout
// fails with a timeout error.
import { AudioDecoder } from '../audio-decoder.js';
import { kindForStatus, ProviderError, retryAfterFromHeaders } from '../provider-error.js';
import { AbortedError, type TtsAudio } from '../types.js';
import { describeErrorBody } from '../ws-connect.js';

const PROVIDER = 'deepgram';

export type SpeakRestRequest = {
  url: string;
  headers: Record<string, string>;
  pieces: string[];
  signal: AbortSignal;
  /** Longest wait for the response head and between two body chunks. */
  timeoutMs: number;
};

export async function* speakOverRest(request: SpeakRestRequest): AsyncGenerator<TtsAudio> {
  for (const text of request.pieces) yield* speakOne(request, text);
}

async function* speakOne(request: SpeakRestRequest, text: string): AsyncGenerator<TtsAudio> {
  const { signal, timeoutMs } = request;
  if (signal.aborted) throw new AbortedError();
  const controller = new AbortController();
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
  };
  const onAbort = () => controller.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  /** What a rejected fetch or read means: our abort, our timeout, or the network. */
  const explain = (err: unknown, during: string): Error => {
    if (signal.aborted) return new AbortedError();
    if (timedOut) return new ProviderError(PROVIDER, 'timeout', `no data from Deepgram for ${timeoutMs} ms ${during}`);
    if (err instanceof ProviderError) return err;
    const message = err instanceof Error ? (err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message) : String(err);
    return new ProviderError(PROVIDER, 'network', `${during} failed: ${message}`, { cause: err });
  };
  let done = false;
  try {
    arm();
    let res: Response;
    try {
      res = await fetch(request.url, {
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', accept: 'audio/*' },
        body: JSON.stringify({ text }),
        signal: controller.signal,
      });
    } catch (err) {
      throw explain(err, 'request');
    }
    if (!res.ok) {
      let body = '';
      try {
        body = await res.text();
      } catch (err) {
        throw explain(err, 'reading the error body');
      }
      const message = describeErrorBody(body) ?? res.headers.get('dg-error') ?? `HTTP ${res.status}`;
      throw new ProviderError(PROVIDER, kindForStatus(res.status), `request refused with ${res.status}: ${message}`, {
        status: res.status,
        retryAfterMs: retryAfterFromHeaders((name) => res.headers.get(name)),
      });
    }
    const contentType = res.headers.get('content-type') ?? '';
    if (!contentType.toLowerCase().startsWith('audio/') || !res.body) {
      throw new ProviderError(PROVIDER, 'protocol', `expected audio but the response is ${JSON.stringify(contentType || '(no content type)')}`, { code: 'wrong_content_type' });
    }
    const decoder = new AudioDecoder(PROVIDER, 'pcm16');
    const reader = res.body.getReader();
    for (;;) {
      arm();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw explain(err, 'reading the audio');
      }
      if (chunk.done) break;
      const samples = decoder.push(chunk.value);
      if (samples.length > 0) yield { samples };
    }
    done = true;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
    // Stopped early (error, abort, or the consumer left): cancel the request so the connection closes.
    if (!done) controller.abort();
  }
}
