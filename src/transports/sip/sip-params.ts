// `;name=value` parameter lists (URI parameters, header parameters). Names compare without case
// (RFC 3261 7.3.1); order is kept so a message serialises the way it was read.
import { isToken, splitOutside, SipSyntaxError } from './sip-syntax.js';

export class SipParams {
  private readonly entries: Array<[string, string | null]> = [];

  /** Parses the text after the first `;` of a parameter list, e.g. `branch=z9hG4bK1;rport`. */
  static parse(text: string): SipParams {
    const params = new SipParams();
    if (text.trim() === '') return params;
    for (const piece of splitOutside(text, ';')) {
      if (piece === '') throw new SipSyntaxError('empty parameter');
      const eq = piece.indexOf('=');
      const name = (eq < 0 ? piece : piece.slice(0, eq)).trim();
      const value = eq < 0 ? null : piece.slice(eq + 1).trim();
      // URI parameter names may hold escaped octets and a few more characters than a token.
      if (!/^[A-Za-z0-9\-.!%*_+`'~[\]/:&$]+$/.test(name)) throw new SipSyntaxError(`bad parameter name "${name}"`);
      if (value !== null && value === '') throw new SipSyntaxError(`parameter "${name}" has an empty value`);
      params.entries.push([name, value]);
    }
    return params;
  }

  get(name: string): string | null | undefined {
    const key = name.toLowerCase();
    return this.entries.find(([n]) => n.toLowerCase() === key)?.[1];
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(name: string, value: string | null): this {
    if (!isToken(name)) throw new SipSyntaxError(`bad parameter name "${name}"`);
    const key = name.toLowerCase();
    const existing = this.entries.find(([n]) => n.toLowerCase() === key);
    if (existing) existing[1] = value;
    else this.entries.push([name, value]);
    return this;
  }

  delete(name: string): this {
    const key = name.toLowerCase();
    const at = this.entries.findIndex(([n]) => n.toLowerCase() === key);
    if (at >= 0) this.entries.splice(at, 1);
    return this;
  }

  get size(): number {
    return this.entries.length;
  }

  clone(): SipParams {
    const copy = new SipParams();
    for (const [n, v] of this.entries) copy.entries.push([n, v]);
    return copy;
  }

  /** `;a=1;b` (empty string when there are none). */
  toString(): string {
    return this.entries.map(([n, v]) => (v === null ? `;${n}` : `;${n}=${v}`)).join('');
  }
}
