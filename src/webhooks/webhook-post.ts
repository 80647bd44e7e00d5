// One HTTP attempt of a delivery: POST the body, bounded by a timeout on the injected clock. Never
// throws: refused connections, timeouts, invalid URLs and non-2xx answers all come back as results.
import type { Clock } from '../clock.js';

export type PostRequest = { url: string; body: string; headers: Record<string, string> };
export type PostResult = {
  ok: boolean;
  /** The HTTP status; null when no answer came (refused, timeout, invalid URL). */
  responseStatus: number | null;
  error: string | null;
  durationMs: number;
};
export type PostOptions = { clock: Clock; timeoutMs: number; fetch: typeof fetch };

/** How much of a failing answer's body is kept in the error, for the delivery log. */
const ERROR_BODY_CHARS = 200;

class TimeoutAbort extends Error {}

export async function postWebhook(request: PostRequest, options: PostOptions): Promise<PostResult> {
  const { clock } = options;
  const startedAt = clock.now();
  const done = (responseStatus: number | null, error: string | null): PostResult => ({
    ok: error === null,
    responseStatus,
    error,
    durationMs: Math.max(0, clock.now() - startedAt),
  });

  if (!URL.canParse(request.url)) return done(null, `invalid URL: ${request.url}`);
  const protocol = new URL(request.url).protocol;
  if (protocol !== 'http:' && protocol !== 'https:') return done(null, `invalid URL: ${protocol} is not http or https`);

  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(new TimeoutAbort()), options.timeoutMs);
  try {
    const response = await options.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      // A redirect is an answer to fix at the receiver, not to follow with the signed body.
      redirect: 'manual',
      signal: controller.signal,
    });
    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return done(response.status, null);
    }
    const snippet = await readSnippet(response);
    return done(response.status, `HTTP ${response.status}${snippet ? `: ${snippet}` : ''}`);
  } catch (err) {
    if (controller.signal.reason instanceof TimeoutAbort) return done(null, `timeout after ${options.timeoutMs} ms`);
    return done(null, describeFetchError(err));
  } finally {
    timer.cancel();
  }
}

async function readSnippet(response: Response): Promise<string> {
  try {
    const text = await response.text();
    const flat = text.replace(/\s+/g, ' ').trim();
    return flat.length > ERROR_BODY_CHARS ? `${flat.slice(0, ERROR_BODY_CHARS)}…` : flat;
  } catch {
    return '';
  }
}

/** fetch hides the socket error in `cause` (ECONNREFUSED, ENOTFOUND, ...). */
function describeFetchError(err: unknown): string {
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code) return `connection failed: ${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  if (cause?.message) return `connection failed: ${cause.message}`;
  return `request failed: ${err instanceof Error ? err.message : String(err)}`;
}
