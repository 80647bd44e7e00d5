// Lexical helpers shared by every SIP header parser (RFC 3261 section 25): tokens, quoted strings,
// and splitting a value on a separator that is not inside quotes or angle brackets.

/** Raised by the low-level parsers; the message parser turns it into a 400 reason. */
export class SipSyntaxError extends Error {
  override readonly name = 'SipSyntaxError';
}

const TOKEN_RE = /^[A-Za-z0-9\-.!%*_+`'~]+$/;

/** RFC 3261 `token`: what methods, header names and most parameter names are made of. */
export function isToken(text: string): boolean {
  return TOKEN_RE.test(text);
}

/** Linear white space: SP, HTAB (folded lines were joined before headers are parsed). */
export function isWhitespace(ch: string | undefined): boolean {
  return ch === ' ' || ch === '\t';
}

/**
 * Splits `text` on `sep` where it is neither inside a quoted string (with backslash escapes) nor
 * inside `<...>`. Pieces are trimmed. Unbalanced quotes or brackets are a syntax error, because
 * guessing where such a value ends would misread the header.
 */
export function splitOutside(text: string, sep: string): string[] {
  const parts: string[] = [];
  let inQuotes = false;
  let inAngle = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuotes = false;
      continue;
    }
    if (ch === '"') inQuotes = true;
    else if (ch === '<' && !inAngle) inAngle = true;
    else if (ch === '>' && inAngle) inAngle = false;
    else if (ch === sep && !inAngle) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  if (inQuotes) throw new SipSyntaxError('unterminated quoted string');
  if (inAngle) throw new SipSyntaxError('unterminated <');
  parts.push(text.slice(start).trim());
  return parts;
}

/** Removes the quotes and backslash escapes of a quoted-string; returns other text unchanged. */
export function unquote(text: string): string {
  if (text.length < 2 || !text.startsWith('"') || !text.endsWith('"')) return text;
  let out = '';
  for (let i = 1; i < text.length - 1; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length - 1) {
      out += text[i + 1];
      i++;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Makes a quoted-string of `text`, escaping quotes and backslashes. */
export function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** True when `text` holds characters that can never be in a header value (CR, LF, NUL). */
export function hasControlBreak(text: string): boolean {
  return /[\r\n\0]/.test(text);
}

/** Control characters other than HTAB (header values and reason phrases may not hold them). */
export function hasControlChars(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return true;
  }
  return false;
}
