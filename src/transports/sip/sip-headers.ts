// The header section of a SIP message: an ordered list of (name, value) with names compared without
// case and compact forms (RFC 3261 7.3.3) expanded. Headers whose grammar is a comma list (Via,
// Contact, Route, ...) are stored one value per entry, however they arrived.
import { SipSyntaxError, splitOutside } from './sip-syntax.js';

/** Compact form -> full name (RFC 3261 7.3.3, RFC 3515 Refer-To, RFC 3892 Referred-By, RFC 6665 Event). */
const COMPACT: Record<string, string> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  r: 'Refer-To',
  b: 'Referred-By',
  o: 'Event',
  u: 'Allow-Events',
  x: 'Session-Expires',
};

/** Names whose usual capitalisation is not "each word capitalised". */
const SPECIAL_CASE: Record<string, string> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  'rack': 'RAck',
  'rseq': 'RSeq',
};

/** Headers whose grammar is `value *(COMMA value)`, so a comma outside quotes/<> separates values. */
const LIST_HEADERS = new Set([
  'via', 'contact', 'route', 'record-route', 'allow', 'supported', 'require', 'proxy-require',
  'unsupported', 'accept', 'accept-encoding', 'accept-language', 'content-encoding', 'alert-info',
  'call-info', 'error-info', 'in-reply-to', 'allow-events', 'path', 'service-route',
]);

/** Lists of tokens or media types, written on one line (routing headers keep one value per line). */
const COMBINE_ON_WRITE = new Set(['Allow', 'Supported', 'Require', 'Proxy-Require', 'Unsupported', 'Accept', 'Accept-Encoding', 'Accept-Language', 'Allow-Events', 'Content-Encoding']);

/** Headers a message may carry at most once (RFC 4475 3.1.2.19: two of them is a 400). */
export const SINGLE_HEADERS = ['Call-ID', 'CSeq', 'From', 'To', 'Max-Forwards', 'Content-Length', 'Content-Type', 'Expires'] as const;

export function canonicalHeaderName(name: string): string {
  const lower = name.toLowerCase();
  const full = COMPACT[lower];
  if (full) return full;
  const special = SPECIAL_CASE[lower];
  if (special) return special;
  return lower.replace(/(^|-)([a-z])/g, (_m, dash: string, ch: string) => dash + ch.toUpperCase());
}

export type SipHeaderEntry = { name: string; value: string };

export class SipHeaders {
  private readonly list: SipHeaderEntry[] = [];

  /** Adds a header as read from the wire: compact names expanded, list values split. */
  static fromRaw(entries: ReadonlyArray<SipHeaderEntry>): SipHeaders {
    const h = new SipHeaders();
    for (const e of entries) h.append(e.name, e.value);
    return h;
  }

  get(name: string): string | undefined {
    const key = canonicalHeaderName(name);
    return this.list.find((e) => e.name === key)?.value;
  }

  getAll(name: string): string[] {
    const key = canonicalHeaderName(name);
    return this.list.filter((e) => e.name === key).map((e) => e.value);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  count(name: string): number {
    return this.getAll(name).length;
  }

  /**
   * Appends one header. A list header's value is split into its elements (`Allow: A, B` becomes two
   * entries); an unbalanced quote in it is a SipSyntaxError.
   */
  append(name: string, value: string): this {
    const key = canonicalHeaderName(name);
    const v = value.trim();
    // An empty list (`Supported:` with no option tags) is legal and kept as one empty value.
    if (LIST_HEADERS.has(key.toLowerCase()) && v !== '' && !(key === 'Contact' && v === '*')) {
      for (const part of splitOutside(v, ',')) {
        if (part !== '') this.list.push({ name: key, value: part });
      }
      return this;
    }
    this.list.push({ name: key, value: v });
    return this;
  }

  /** Puts a header before every other one (a new top Via). */
  prepend(name: string, value: string): this {
    this.list.unshift({ name: canonicalHeaderName(name), value: value.trim() });
    return this;
  }

  /** Replaces every value of `name` with one value, at the place of the first. */
  set(name: string, value: string): this {
    const key = canonicalHeaderName(name);
    const at = this.list.findIndex((e) => e.name === key);
    this.remove(key);
    const entry = { name: key, value: value.trim() };
    if (at < 0) this.list.push(entry);
    else this.list.splice(Math.min(at, this.list.length), 0, entry);
    return this;
  }

  remove(name: string): this {
    const key = canonicalHeaderName(name);
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i].name === key) this.list.splice(i, 1);
    return this;
  }

  /** Drops the first value of `name` (the top Via, when a response goes back one hop). */
  removeFirst(name: string): this {
    const key = canonicalHeaderName(name);
    const at = this.list.findIndex((e) => e.name === key);
    if (at >= 0) this.list.splice(at, 1);
    return this;
  }

  /** Replaces the first value of `name`. */
  replaceFirst(name: string, value: string): this {
    const key = canonicalHeaderName(name);
    const entry = this.list.find((e) => e.name === key);
    if (!entry) throw new SipSyntaxError(`no ${key} header to replace`);
    entry.value = value;
    return this;
  }

  entries(): ReadonlyArray<Readonly<SipHeaderEntry>> {
    return this.list;
  }

  /**
   * The header lines to write: token lists (Allow, Supported, Accept, ...) on one line each, at the
   * place of their first value; everything else one value per line, as stored.
   */
  wireLines(): Array<[string, string]> {
    const lines: Array<[string, string]> = [];
    const combined = new Map<string, [string, string]>();
    for (const e of this.list) {
      if (!COMBINE_ON_WRITE.has(e.name)) {
        lines.push([e.name, e.value]);
        continue;
      }
      const line = combined.get(e.name);
      if (!line) {
        const fresh: [string, string] = [e.name, e.value];
        combined.set(e.name, fresh);
        lines.push(fresh);
      } else if (e.value !== '') {
        line[1] = line[1] === '' ? e.value : `${line[1]}, ${e.value}`;
      }
    }
    return lines;
  }

  clone(): SipHeaders {
    const h = new SipHeaders();
    for (const e of this.list) h.list.push({ ...e });
    return h;
  }
}

export interface CSeq {
  seq: number;
  method: string;
}

/** `CSeq: 4711 INVITE`: a number below 2**31 and the request's method. */
export function parseCSeq(value: string): CSeq {
  const m = /^(\d{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)$/.exec(value.trim());
  if (!m) throw new SipSyntaxError(`bad CSeq "${value.length > 40 ? `${value.slice(0, 40)}...` : value}"`);
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) throw new SipSyntaxError('bad CSeq (number is 2**31 or more)');
  return { seq, method: m[2] };
}

/** Option tags of Require / Supported / Proxy-Require (already split per value). */
export function optionTags(values: readonly string[]): string[] {
  return values.map((v) => v.trim().toLowerCase()).filter((v) => v !== '');
}
