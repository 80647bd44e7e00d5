// SIP requests and responses (RFC 3261 7) and their wire form. Accessors parse the headers every
// message must carry; the parser checks them before a message is ever handed on, so on a received
// message they do not throw.
import type { SipHeaders} from './sip-headers.js';
import { parseCSeq, type CSeq } from './sip-headers.js';
import { parseNameAddr, type NameAddr } from './sip-name-addr.js';
import { parseVia, type Via } from './sip-via.js';

export const SIP_VERSION = 'SIP/2.0';

abstract class SipMessageBase {
  constructor(
    readonly headers: SipHeaders,
    public body: Buffer,
  ) {}

  get callId(): string {
    return this.headers.get('Call-ID') ?? '';
  }

  get cseq(): CSeq {
    return parseCSeq(this.headers.get('CSeq') ?? '');
  }

  get from(): NameAddr {
    return parseNameAddr(this.headers.get('From') ?? '');
  }

  get to(): NameAddr {
    return parseNameAddr(this.headers.get('To') ?? '');
  }

  get fromTag(): string | null {
    return tagOf(this.from);
  }

  get toTag(): string | null {
    return tagOf(this.to);
  }

  get vias(): Via[] {
    return this.headers.getAll('Via').map(parseVia);
  }

  get topVia(): Via {
    return parseVia(this.headers.get('Via') ?? '');
  }

  /** Media type of the body without parameters, lower case; '' when there is no Content-Type. */
  get contentType(): string {
    return (this.headers.get('Content-Type') ?? '').split(';')[0].trim().toLowerCase();
  }

  get bodyText(): string {
    return this.body.toString('utf8');
  }

  abstract startLine(): string;

  /** The wire form; Content-Length always states the body's length. */
  serialize(): Buffer {
    const lines = [this.startLine()];
    for (const [name, value] of this.headers.wireLines()) {
      if (name === 'Content-Length') continue;
      lines.push(`${name}: ${value}`);
    }
    lines.push(`Content-Length: ${this.body.length}`);
    const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8');
    return this.body.length === 0 ? head : Buffer.concat([head, this.body]);
  }

  toString(): string {
    return this.serialize().toString('utf8');
  }
}

export class SipRequest extends SipMessageBase {
  readonly kind = 'request' as const;

  constructor(
    /** Upper case as received (methods are case-sensitive). */
    readonly method: string,
    /** The Request-URI as written. */
    public uri: string,
    headers: SipHeaders,
    body: Buffer = Buffer.alloc(0),
  ) {
    super(headers, body);
  }

  startLine(): string {
    return `${this.method} ${this.uri} ${SIP_VERSION}`;
  }

  clone(): SipRequest {
    return new SipRequest(this.method, this.uri, this.headers.clone(), this.body);
  }
}

export class SipResponse extends SipMessageBase {
  readonly kind = 'response' as const;

  constructor(
    readonly status: number,
    readonly reason: string,
    headers: SipHeaders,
    body: Buffer = Buffer.alloc(0),
  ) {
    super(headers, body);
  }

  startLine(): string {
    return `${SIP_VERSION} ${this.status} ${this.reason}`;
  }
}

export type SipMessage = SipRequest | SipResponse;

export function tagOf(addr: NameAddr): string | null {
  const t = addr.params.get('tag');
  return typeof t === 'string' ? t : null;
}
