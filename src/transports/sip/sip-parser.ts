// Reads one SIP message from bytes (a UDP datagram, or one message cut from a TCP stream by
// SipStreamParser). Any input either becomes a SipMessage whose mandatory headers are present and
// well formed, or a SipParseError saying what is wrong; nothing else is ever thrown. When a broken
// message is a request, the error keeps whatever headers could be read, so the UA can still answer
// it with a 400 along its Via.
import { canonicalHeaderName, parseCSeq, SINGLE_HEADERS, SipHeaders, type SipHeaderEntry } from './sip-headers.js';
import { SipRequest, SipResponse, type SipMessage } from './sip-message.js';
import { parseNameAddr } from './sip-name-addr.js';
import { parseSipUri } from './sip-uri.js';
import { hasControlChars, isToken, SipSyntaxError } from './sip-syntax.js';
import { parseVia } from './sip-via.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024;
/** More header lines than this is an attack or a broken peer, never a real message. */
const MAX_HEADER_LINES = 512;

export type SipParseStatus = 400 | 416 | 505 | 513;

/** What could be read of a broken request: enough to answer it. */
export interface SalvagedRequest {
  method: string;
  headers: SipHeaders;
}

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
  /** Short and safe for a reason phrase: printable ASCII, no CR/LF. */
  readonly reason: string;

  constructor(
    reason: string,
    /** The status a request gets for it. */
    readonly status: SipParseStatus,
    /** The broken message's method and readable headers when it is a request; null otherwise. */
    readonly salvage: SalvagedRequest | null,
  ) {
    const clean = printable(reason, 120);
    super(clean);
    this.reason = clean;
  }
}

export interface SipParseOptions {
  /** Larger input is refused with 513 (default 64 KiB). */
  maxBytes?: number;
  /** Stream transports must carry Content-Length (RFC 3261 18.3). */
  requireContentLength?: boolean;
}

export function parseSipMessage(data: Buffer, options: SipParseOptions = {}): SipMessage {
  try {
    return parse(data, options);
  } catch (err) {
    if (err instanceof SipParseError) throw err;
    // A bug in a sub-parser must still surface as a parse error, never as a crash of the caller.
    throw new SipParseError(`unreadable message (${err instanceof Error ? err.name : 'error'})`, 400, null);
  }
}

/** Where the header section ends: the index of the empty line's first byte, and where the body starts. */
export function findHeaderEnd(data: Buffer, from = 0): { headEnd: number; bodyStart: number } | null {
  for (let i = data.indexOf(0x0a, from); i >= 0; i = data.indexOf(0x0a, i + 1)) {
    if (data[i + 1] === 0x0a) return { headEnd: i + 1, bodyStart: i + 2 };
    if (data[i + 1] === 0x0d && data[i + 2] === 0x0a) return { headEnd: i + 1, bodyStart: i + 3 };
  }
  return null;
}

/** Leading CRLFs before a start line are ignored (RFC 3261 7.5). */
export function skipLeadingNewlines(data: Buffer, from = 0): number {
  let i = from;
  while (i < data.length && (data[i] === 0x0d || data[i] === 0x0a)) i++;
  return i;
}

type StartLine = { kind: 'request'; method: string; uri: string } | { kind: 'response'; status: number; reason: string };

/** The start line and header section, read as far as they can be. */
type Head = {
  startLine: StartLine | null;
  startError: SipParseError | null;
  headers: SipHeaders;
  headerError: string | null;
  headerLineCount: number;
  salvage: SalvagedRequest | null;
  ends: { headEnd: number; bodyStart: number } | null;
};

function readHead(data: Buffer, maxBytes: number): Head {
  const start = skipLeadingNewlines(data);
  const ends = findHeaderEnd(data, start);
  const headBytes = data.subarray(start, ends ? ends.headEnd : Math.min(data.length, start + maxBytes));
  const { lines, foldError } = unfold(headBytes.toString('utf8'));
  const startText = lines[0] ?? '';
  const headerLines = lines.slice(1);
  let startLine: StartLine | null = null;
  let startError: SipParseError | null = null;
  try {
    startLine = parseStartLine(startText);
  } catch (err) {
    startError = err instanceof SipParseError ? err : new SipParseError('bad start line', 400, null);
  }
  // Anything that is not a response is answered as a request when its Via can be read: even a
  // garbage request line gets its 400 (RFC 3261 says to answer what can be answered).
  const looksLikeRequest = startLine ? startLine.kind === 'request' : /^[\x20-\x7e]+$/.test(startText) && !/^SIP\//i.test(startText);
  const firstToken = startText.split(' ')[0];
  const method = startLine?.kind === 'request' ? startLine.method : /^[A-Za-z0-9\-.!%*_+`'~]+$/.test(firstToken) ? firstToken : '';
  const { headers, error } = readHeaders(headerLines);
  return {
    startLine,
    startError,
    headers,
    headerError: foldError ?? error,
    headerLineCount: headerLines.length,
    salvage: looksLikeRequest ? { method, headers } : null,
    ends,
  };
}

/** What can be read of a request too broken to frame (a stream with an impossible Content-Length). */
export function salvageRequest(data: Buffer, maxBytes = DEFAULT_MAX_MESSAGE_BYTES): SalvagedRequest | null {
  try {
    return readHead(data, maxBytes).salvage;
  } catch {
    return null;
  }
}

function parse(data: Buffer, options: SipParseOptions): SipMessage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (skipLeadingNewlines(data) >= data.length) throw new SipParseError('empty message', 400, null);
  const { startLine, startError, headers, headerError, headerLineCount, salvage, ends } = readHead(data, maxBytes);
  const fail = (reason: string, status: SipParseStatus = 400): never => {
    throw new SipParseError(reason, status, salvage);
  };

  if (data.length > maxBytes) fail(`message larger than ${maxBytes} bytes`, 513);
  if (startError) throw new SipParseError(startError.reason, startError.status, salvage);
  if (!startLine) return fail('bad start line');
  if (!ends) fail('no empty line after the headers');
  if (headerError) fail(headerError);
  if (headerLineCount > MAX_HEADER_LINES) fail('too many header lines');

  const endsAt = ends as { headEnd: number; bodyStart: number };
  const available = data.subarray(endsAt.bodyStart);
  const body = readBody(available, headers, options, fail);

  for (const name of SINGLE_HEADERS) if (headers.count(name) > 1) fail(`more than one ${name} header`);
  validateCommon(headers, fail);

  if (startLine.kind === 'request') {
    const cseq = parseCSeq(headers.get('CSeq') as string);
    if (cseq.method !== startLine.method) fail('CSeq method does not match the request method');
    const mf = headers.get('Max-Forwards');
    if (mf !== undefined && (!/^\d{1,10}$/.test(mf) || Number(mf) > 255)) fail('bad Max-Forwards');
    validateRequestUri(startLine.uri, fail);
    return new SipRequest(startLine.method, startLine.uri, headers, body);
  }
  return new SipResponse(startLine.status, startLine.reason, headers, body);
}

function parseStartLine(text: string): StartLine {
  if (text === '') throw new SipParseError('missing start line', 400, null);
  if (/^SIP\//i.test(text)) {
    const m = /^SIP\/(\d+\.\d+) (\d{3}) ?(.*)$/i.exec(text);
    if (!m) throw new SipParseError('bad status line', 400, null);
    if (m[1] !== '2.0') throw new SipParseError(`SIP version ${m[1]} not supported`, 505, null);
    const status = Number(m[2]);
    if (status < 100 || status > 699) throw new SipParseError('status code out of range', 400, null);
    if (hasControlChars(m[3])) throw new SipParseError('control characters in the reason phrase', 400, null);
    return { kind: 'response', status, reason: m[3] };
  }
  const parts = text.split(' ');
  if (parts.length !== 3 || parts.some((p) => p === '')) throw new SipParseError('bad request line', 400, null);
  const [method, uri, version] = parts;
  if (!isToken(method)) throw new SipParseError('bad method', 400, null);
  const v = /^SIP\/(\d+\.\d+)$/i.exec(version);
  if (!v) throw new SipParseError('bad SIP version in the request line', 400, null);
  if (v[1] !== '2.0') throw new SipParseError(`SIP version ${v[1]} not supported`, 505, null);
  return { kind: 'request', method, uri };
}

/** Splits the header section into lines and joins folded continuation lines (RFC 3261 7.3.1). */
function unfold(head: string): { lines: string[]; foldError: string | null } {
  const raw = head.split(/\r?\n/);
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  const lines: string[] = [];
  let foldError: string | null = null;
  for (const line of raw) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && lines.length > 0) {
      if (lines.length === 1) foldError ??= 'the start line cannot be folded';
      lines[lines.length - 1] += ` ${line.trim()}`;
    } else {
      lines.push(line);
    }
  }
  return { lines, foldError };
}

/** Reads every header line it can; the first problem is reported, the rest still salvaged. */
function readHeaders(lines: string[]): { headers: SipHeaders; error: string | null } {
  const headers = new SipHeaders();
  let error: string | null = null;
  for (const line of lines.slice(0, MAX_HEADER_LINES)) {
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trim();
    if (colon < 0 || !isToken(name)) {
      error ??= `malformed header line "${printable(line, 30)}"`;
      continue;
    }
    const value = line.slice(colon + 1).trim();
    if (hasControlChars(value)) {
      error ??= `control characters in ${canonicalHeaderName(name)}`;
      continue;
    }
    const entry: SipHeaderEntry = { name, value };
    try {
      headers.append(entry.name, entry.value);
    } catch (err) {
      error ??= `bad ${canonicalHeaderName(name)}: ${err instanceof SipSyntaxError ? err.message : 'unreadable'}`;
    }
  }
  return { headers, error };
}

function readBody(available: Buffer, headers: SipHeaders, options: SipParseOptions, fail: (reason: string, status?: SipParseStatus) => never): Buffer {
  const cl = headers.get('Content-Length');
  if (cl === undefined) {
    if (options.requireContentLength) fail('missing Content-Length');
    return Buffer.from(available);
  }
  if (!/^\d{1,9}$/.test(cl)) fail('bad Content-Length');
  const length = Number(cl);
  if (length > available.length) fail(`Content-Length ${length} is more than the ${available.length} body bytes`);
  // Bytes past Content-Length are discarded (RFC 3261 18.3).
  return Buffer.from(available.subarray(0, length));
}

function validateCommon(headers: SipHeaders, fail: (reason: string) => never): void {
  const vias = headers.getAll('Via');
  if (vias.length === 0) fail('missing Via');
  for (const via of vias) {
    try {
      parseVia(via);
    } catch (err) {
      fail(`bad Via: ${syntaxMessage(err)}`);
    }
  }
  for (const name of ['From', 'To'] as const) {
    const value = headers.get(name);
    if (value === undefined) fail(`missing ${name}`);
    try {
      parseNameAddr(value as string);
    } catch (err) {
      fail(`bad ${name}: ${syntaxMessage(err)}`);
    }
  }
  const callId = headers.get('Call-ID');
  if (callId === undefined) fail('missing Call-ID');
  if (!/^[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+(?:@[A-Za-z0-9\-.!%*_+`'~()<>:\\"/[\]?{}]+)?$/.test(callId as string)) fail('bad Call-ID');
  const cseq = headers.get('CSeq');
  if (cseq === undefined) fail('missing CSeq');
  try {
    parseCSeq(cseq as string);
  } catch (err) {
    fail(syntaxMessage(err));
  }
  for (const contact of headers.getAll('Contact')) {
    if (contact === '*') continue;
    try {
      parseNameAddr(contact);
    } catch (err) {
      fail(`bad Contact: ${syntaxMessage(err)}`);
    }
  }
  const expires = headers.get('Expires');
  if (expires !== undefined && !/^\d{1,10}$/.test(expires)) fail('bad Expires');
}

function validateRequestUri(uri: string, fail: (reason: string, status?: SipParseStatus) => never): void {
  const scheme = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(uri)?.[1]?.toLowerCase();
  if (!scheme) fail('bad Request-URI');
  if (scheme !== 'sip' && scheme !== 'sips') fail(`unsupported URI scheme ${printable(scheme as string, 20)}`, 416);
  try {
    parseSipUri(uri);
  } catch (err) {
    fail(`bad Request-URI: ${syntaxMessage(err)}`);
  }
}

function syntaxMessage(err: unknown): string {
  return err instanceof SipSyntaxError ? err.message : 'unreadable';
}

/** Text safe to put in a reason phrase: printable ASCII only, clipped. */
export function printable(text: string, max: number): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
