// Building a response to a request (RFC 3261 8.2.6): Via, From, Call-ID and CSeq copied, To copied
// with a tag added when the request had none (every response but 100 must carry one).
import { SipHeaders } from './sip-headers.js';
import { SipResponse } from './sip-message.js';
import { parseNameAddr } from './sip-name-addr.js';
import { reasonPhrase } from './sip-status.js';
import { hasControlBreak } from './sip-syntax.js';

export interface ResponseOptions {
  reason?: string;
  /** The To tag to add when the request's To has none (ignored for 100). */
  toTag?: string;
  /** Extra headers, in order. */
  headers?: ReadonlyArray<[string, string]>;
  body?: Buffer | string;
  contentType?: string;
}

/** A response to a request whose headers could be read (the request may still be broken). */
export function createResponse(request: { headers: SipHeaders }, status: number, options: ResponseOptions = {}): SipResponse {
  const src = request.headers;
  const h = new SipHeaders();
  for (const via of src.getAll('Via')) h.append('Via', via);
  const to = src.get('To');
  if (to !== undefined) h.append('To', status === 100 || !options.toTag ? to : withTag(to, options.toTag));
  for (const name of ['From', 'Call-ID', 'CSeq'] as const) {
    const v = src.get(name);
    if (v !== undefined) h.append(name, v);
  }
  if (status === 100) {
    const ts = src.get('Timestamp');
    if (ts !== undefined) h.append('Timestamp', ts);
  }
  for (const [name, value] of options.headers ?? []) h.append(name, value);
  let body: Buffer = Buffer.alloc(0);
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
    if (options.contentType) h.set('Content-Type', options.contentType);
  }
  const reason = options.reason && !hasControlBreak(options.reason) ? options.reason : reasonPhrase(status);
  return new SipResponse(status, reason, h, body);
}

/** Adds `;tag=` to a To/From value that has none; a value that cannot be parsed is kept as it is. */
function withTag(value: string, tag: string): string {
  try {
    // Appending keeps the caller's text exactly; after `>` or after a bare addr-spec a `;` parameter
    // belongs to the header either way.
    return parseNameAddr(value).params.has('tag') ? value : `${value};tag=${tag}`;
  } catch {
    return value;
  }
}
