// name-addr / addr-spec values (From, To, Contact, Route, Record-Route, Refer-To, Referred-By):
// `"Display" <uri;uri-params>;header-params` or a bare `uri;header-params` (RFC 3261 20.10: without
// angle brackets every `;` parameter belongs to the header, not the URI).
import { SipParams } from './sip-params.js';
import { quote, SipSyntaxError, splitOutside, unquote } from './sip-syntax.js';

export interface NameAddr {
  /** Unquoted display name; null when there is none. */
  displayName: string | null;
  /** The URI text as written (any absolute URI: sip:, sips:, tel:, ...). */
  uri: string;
  params: SipParams;
  /** Whether the URI was in angle brackets (it must be when written back with params in it). */
  bracketed: boolean;
}

const ABSOLUTE_URI_RE = /^[A-Za-z][A-Za-z0-9+\-.]*:[^\s<>"]+$/;

export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  if (text === '') throw new SipSyntaxError('empty address');
  const lt = findOutsideQuotes(text, '<');
  if (lt >= 0) {
    const gt = text.indexOf('>', lt);
    if (gt < 0) throw new SipSyntaxError('missing >');
    const display = text.slice(0, lt).trim();
    const uri = text.slice(lt + 1, gt).trim();
    if (!ABSOLUTE_URI_RE.test(uri)) throw new SipSyntaxError(`bad URI "${clip(uri)}"`);
    const after = text.slice(gt + 1).trim();
    if (after !== '' && !after.startsWith(';')) throw new SipSyntaxError('text after >');
    return { displayName: parseDisplayName(display), uri, params: SipParams.parse(after.slice(1)), bracketed: true };
  }
  const [uri, ...rest] = splitOutside(text, ';');
  if (!ABSOLUTE_URI_RE.test(uri)) throw new SipSyntaxError(`bad URI "${clip(uri)}"`);
  // A bare addr-spec may not contain `,`, `?` or `;` in its URI (they would be ambiguous).
  if (/[,?]/.test(uri)) throw new SipSyntaxError('a URI with "," or "?" must be in angle brackets');
  return { displayName: null, uri, params: SipParams.parse(rest.join(';')), bracketed: false };
}

export function formatNameAddr(addr: NameAddr): string {
  const display = addr.displayName === null || addr.displayName === '' ? '' : `${quote(addr.displayName)} `;
  return `${display}<${addr.uri}>${addr.params.toString()}`;
}

function parseDisplayName(text: string): string | null {
  if (text === '') return null;
  if (text.startsWith('"')) {
    if (!text.endsWith('"') || text.length < 2) throw new SipSyntaxError('bad quoted display name');
    return unquote(text);
  }
  // *(token LWS): a display name without quotes is words of token characters.
  if (!/^[A-Za-z0-9\-.!%*_+`'~]+(?:\s+[A-Za-z0-9\-.!%*_+`'~]+)*$/.test(text)) throw new SipSyntaxError(`bad display name "${clip(text)}"`);
  return text;
}

function findOutsideQuotes(text: string, ch: string): number {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '\\') i++;
      else if (c === '"') inQuotes = false;
    } else if (c === '"') {
      inQuotes = true;
    } else if (c === ch) {
      return i;
    }
  }
  if (inQuotes) throw new SipSyntaxError('unterminated quoted display name');
  return -1;
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
