// Opens a client WebSocket to a vendor and resolves once it is open. A refused upgrade (401, 429,
// 5xx with the vendor's JSON body) becomes a ProviderError with the status, the vendor's message
// and any retry-after; an abort closes the half-open socket at once.
import WebSocket from 'ws';
import { AbortedError } from './types.js';
import { kindForStatus, ProviderError, retryAfterFromHeaders } from './provider-error.js';

export type WsConnectOptions = {
  provider: string;
  url: string;
  headers?: Record<string, string>;
  protocols?: string[];
  signal?: AbortSignal;
  /** Give up when the handshake takes longer than this. */
  timeoutMs?: number;
  maxPayload?: number;
};

export function connectWebSocket(options: WsConnectOptions): Promise<WebSocket> {
  const { provider, signal } = options;
  if (signal?.aborted) return Promise.reject(new AbortedError());
  return new Promise<WebSocket>((resolve, reject) => {
    const ws = new WebSocket(options.url, options.protocols ?? [], {
      headers: options.headers,
      handshakeTimeout: options.timeoutMs ?? 10_000,
      maxPayload: options.maxPayload ?? 64 * 1024 * 1024,
    });
    let settled = false;
    const settle = (err: Error | null) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err) {
        ws.removeAllListeners('open');
        ws.on('error', () => {});
        reject(err);
      } else {
        resolve(ws);
      }
    };
    const onAbort = () => {
      ws.terminate();
      settle(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    ws.once('open', () => {
      // Hold messages the server sends right after the upgrade until the caller has attached its
      // listeners (they attach when this promise resolves, a microtask later).
      ws.pause();
      settle(null);
      setImmediate(() => ws.resume());
    });
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        const body = Buffer.concat(chunks).toString('utf8').slice(0, 2000);
        const header = (name: string) => {
          const v = res.headers[name];
          return Array.isArray(v) ? v[0] : v;
        };
        const message = describeErrorBody(body) ?? (header('dg-error') || `HTTP ${status}`);
        settle(
          new ProviderError(provider, kindForStatus(status), `connection refused with ${status}: ${message}`, {
            status,
            retryAfterMs: retryAfterFromHeaders(header),
          }),
        );
        ws.terminate();
      });
      res.on('error', (err: Error) => settle(new ProviderError(provider, 'network', err.message, { cause: err })));
    });
    ws.once('error', (err) => settle(new ProviderError(provider, 'network', `cannot connect: ${err.message}`, { cause: err })));
    ws.once('close', (code, reason) => settle(new ProviderError(provider, 'network', `closed during handshake (${code} ${reason.toString()})`)));
  });
}

/** Pulls a human message out of the common vendor error bodies; null when the body is not JSON. */
export function describeErrorBody(body: string): string | null {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return body.trim() ? body.trim().slice(0, 300) : null;
  }
  if (typeof data !== 'object' || data === null) return String(data);
  const o = data as Record<string, unknown>;
  const nested = (v: unknown): string | null => {
    if (typeof v === 'string') return v;
    if (typeof v === 'object' && v !== null) {
      const n = v as Record<string, unknown>;
      for (const key of ['message', 'msg', 'err_msg', 'status']) if (typeof n[key] === 'string') return n[key];
    }
    return null;
  };
  return nested(o.error) ?? nested(o.detail) ?? nested(o) ?? JSON.stringify(data).slice(0, 300);
}
