// Phone numbers: "555 123 4567", "(555) 123-4567", "+44 20 7946 0958", and spoken digits "five
// five five one two three four", "oh" for zero, "double five", "triple seven", grouped numbers
// ("five five five twelve thirty four"). Output is the digits, with a leading "+" when said.
import { tokenize } from './normalize.js';
import { digitOf, TENS, UNITS } from './number-words.js';

export type PhoneOptions = {
  /** The caller was just asked for a number: accept shorter runs (extensions, local numbers). */
  expect?: boolean;
};

const MIN_DIGITS = 7;
const MIN_DIGITS_EXPECTED = 4;
const MAX_DIGITS = 15;
const SEPARATORS = new Set(['dash', 'hyphen', '-']);

/** The longest run of spoken or written digits that looks like a phone number, or null. */
export function extractPhone(text: string, options: PhoneOptions = {}): string | null {
  const tokens = tokenize(text.replace(/[()]/g, ' '));
  let best = '';
  for (let i = 0; i < tokens.length; i++) {
    const run = digitsFrom(tokens, i);
    if (run.replace('+', '').length > best.replace('+', '').length) best = run;
  }
  const count = best.replace('+', '').length;
  const min = options.expect ? MIN_DIGITS_EXPECTED : MIN_DIGITS;
  return count >= min && count <= MAX_DIGITS ? best : null;
}

function digitsFrom(t: readonly string[], i: number): string {
  let out = '';
  let k = i;
  if (t[k] === 'plus' || /^\+\d*$/.test(t[k] ?? '')) {
    out = '+';
    if (t[k] === 'plus') k++;
  }
  let any = false;
  while (k < t.length) {
    const token = t[k];
    const next = t[k + 1];
    if (/^\+?[\d-.]+$/.test(token) && /\d/.test(token)) {
      out += token.replace(/\D/g, '');
      k++;
    } else if ((token === 'double' || token === 'triple') && digitOf(next) !== null) {
      out += digitOf(next)!.repeat(token === 'double' ? 2 : 3);
      k += 2;
    } else if (token in TENS) {
      // "thirty four" → 34, "thirty" → 30.
      const unit = next !== undefined && next in UNITS && UNITS[next] >= 1 && UNITS[next] <= 9 ? UNITS[next] : null;
      out += String(TENS[token] + (unit ?? 0));
      k += unit === null ? 1 : 2;
    } else if (token in UNITS && UNITS[token] >= 10) {
      out += String(UNITS[token]);
      k++;
    } else if (token === 'hundred' && any) {
      out += '00';
      k++;
    } else if (digitOf(token) !== null && (token !== 'o' || any || digitOf(next) !== null)) {
      out += digitOf(token);
      k++;
    } else if (SEPARATORS.has(token) && any) {
      k++;
      continue;
    } else {
      break;
    }
    any = true;
  }
  return any ? out : '';
}
