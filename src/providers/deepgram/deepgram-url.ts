// Deepgram endpoint URLs. The same base may be given as https:// or wss:// (or their plain-text forms
// for a local simulator); WebSocket endpoints need the ws scheme, REST endpoints the http one.

export type QueryValue = string | number | boolean | undefined | readonly string[];

export function deepgramUrl(base: string, path: string, query: Record<string, QueryValue>, scheme: 'ws' | 'http'): string {
  const url = new URL(base);
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  url.protocol = scheme === 'ws' ? (secure ? 'wss:' : 'ws:') : secure ? 'https:' : 'http:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    // Deepgram reads repeated keys for lists (keyterm=a&keyterm=b).
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, item);
    else url.searchParams.set(key, String(value));
  }
  return url.toString();
}

/** Deepgram's API-key header. */
export function authHeader(apiKey: string): Record<string, string> {
  return { Authorization: `Token ${apiKey}` };
}
