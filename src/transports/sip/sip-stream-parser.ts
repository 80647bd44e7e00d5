// Cuts SIP messages out of a TCP byte stream (RFC 3261 18.3): a message ends Content-Length bytes
// after the empty line that ends its headers. Chunks may hold part of a message or several; a
// CRLFCRLF between messages is a keep-alive ping (RFC 5626 3.5.1). When a message cannot be framed
// (headers that never end, an impossible Content-Length) the stream cannot be trusted any more: the
// error is marked fatal and the connection should be closed.
import type { SipMessage } from './sip-message.js';
import { DEFAULT_MAX_MESSAGE_BYTES, findHeaderEnd, parseSipMessage, salvageRequest, SipParseError } from './sip-parser.js';

export type SipStreamItem =
  | { kind: 'message'; message: SipMessage }
  | { kind: 'error'; error: SipParseError; fatal: boolean }
  | { kind: 'ping' };

const CONTENT_LENGTH_RE = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*\r?$/gim;

export class SipStreamParser {
  private buffer: Buffer = Buffer.alloc(0);
  private broken = false;

  constructor(private readonly maxBytes = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffer.length;
  }

  /** Feeds one chunk; returns every message (or error) it completed, in order. */
  push(chunk: Buffer): SipStreamItem[] {
    if (this.broken) return [];
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const items: SipStreamItem[] = [];
    for (;;) {
      const item = this.next();
      if (!item) break;
      items.push(item);
      if (item.kind === 'error' && item.fatal) {
        this.broken = true;
        this.buffer = Buffer.alloc(0);
        break;
      }
    }
    return items;
  }

  private next(): SipStreamItem | null {
    // Between messages: CRLFCRLF is a ping; a lone CRLF is a pong or padding and is skipped.
    while (this.buffer.length >= 2 && this.buffer[0] === 0x0d && this.buffer[1] === 0x0a) {
      if (this.buffer.length < 4) return null;
      if (this.buffer[2] === 0x0d && this.buffer[3] === 0x0a) {
        this.buffer = this.buffer.subarray(4);
        return { kind: 'ping' };
      }
      this.buffer = this.buffer.subarray(2);
    }
    while (this.buffer.length > 0 && this.buffer[0] === 0x0a) this.buffer = this.buffer.subarray(1);
    if (this.buffer.length === 0 || (this.buffer.length === 1 && this.buffer[0] === 0x0d)) return null;

    const ends = findHeaderEnd(this.buffer);
    if (!ends) {
      if (this.buffer.length > this.maxBytes) return this.fatal(`headers longer than ${this.maxBytes} bytes`, 513);
      return null;
    }
    const head = this.buffer.subarray(0, ends.headEnd).toString('latin1');
    const lengths = [...head.matchAll(CONTENT_LENGTH_RE)].map((m) => m[1]);
    let bodyLength = 0;
    if (lengths.length > 0) {
      const text = lengths[0];
      if (!/^\d{1,9}$/.test(text)) return this.fatal('bad Content-Length', 400);
      bodyLength = Number(text);
    }
    const total = ends.bodyStart + bodyLength;
    if (total > this.maxBytes) return this.fatal(`message larger than ${this.maxBytes} bytes`, 513);
    if (this.buffer.length < total) return null;
    const frame = this.buffer.subarray(0, total);
    this.buffer = this.buffer.subarray(total);
    try {
      return { kind: 'message', message: parseSipMessage(frame, { maxBytes: this.maxBytes, requireContentLength: true }) };
    } catch (err) {
      const error = err instanceof SipParseError ? err : new SipParseError('unreadable message', 400, null);
      return { kind: 'error', error, fatal: false };
    }
  }

  private fatal(reason: string, status: 400 | 513): SipStreamItem {
    const salvage = salvageRequest(this.buffer.subarray(0, this.maxBytes), this.maxBytes);
    return { kind: 'error', error: new SipParseError(reason, status, salvage), fatal: true };
  }
}
