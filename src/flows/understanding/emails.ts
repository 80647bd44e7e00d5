// Email addresses, typed ("john.smith@example.com") or spoken ("john dot smith at example dot
// com", "j o h n underscore s at gmail dot com", "jane twenty three at mail dot co dot uk").
// Output is lower-case "local@domain".
import { tokenize } from './normalize.js';
import { digitOf, TENS, UNITS } from './number-words.js';

const TYPED = /^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+$/;

const SYMBOLS: Record<string, string> = {
  dot: '.', period: '.', point: '.', underscore: '_', dash: '-', hyphen: '-', minus: '-', plus: '+',
};

/** Words before the address that are not part of it. */
const LEAD_IN = new Set([
  'is', 'it', 'my', 'email', 'e', 'mail', 'address', 'the', 'its', 'um', 'uh', 'er', 'yes', 'yeah', 'sure', 'ok',
  'okay', 'so', 'that', 'me', 'at', 'to', 'send', 'please', 'use', 'try', 'no', 'i', 'said', 'meant', 'actually',
]);

export function extractEmail(text: string): string | null {
  const tokens = tokenize(text);
  const typed = tokens.find((t) => TYPED.test(t));
  if (typed) return typed;
  // Spoken: the last "at" with a dotted domain after it.
  for (let at = tokens.length - 1; at > 0; at--) {
    if (tokens[at] !== 'at') continue;
    const domain = readDomain(tokens, at + 1);
    if (!domain) continue;
    const local = readLocal(tokens, at);
    if (local) return `${local}@${domain}`;
  }
  return null;
}

/** "example dot com", "mail dot co dot uk", "my dash company dot org": label (dot label)+. */
function readDomain(t: readonly string[], i: number): string | null {
  const parts: string[] = [];
  let k = i;
  for (;;) {
    let label = wordAt(t, k);
    if (label === null) break;
    k++;
    while ((t[k] === 'dash' || t[k] === 'hyphen') && wordAt(t, k + 1) !== null) {
      label += `-${wordAt(t, k + 1)}`;
      k += 2;
    }
    parts.push(label);
    if (t[k] !== 'dot' && t[k] !== 'period' && t[k] !== 'point') break;
    k++;
  }
  return parts.length >= 2 ? parts.join('.') : null;
}

function wordAt(t: readonly string[], k: number): string | null {
  const w = t[k];
  return w !== undefined && /^[a-z0-9-]+$/.test(w) && !(w in SYMBOLS) ? w : null;
}

/** The words before "at", read backwards until a lead-in word. */
function readLocal(t: readonly string[], at: number): string | null {
  const pieces: string[] = [];
  for (let k = at - 1; k >= 0; k--) {
    const w = t[k];
    if (w in SYMBOLS) {
      pieces.unshift(SYMBOLS[w]);
      continue;
    }
    // A lead-in word ends the address unless a symbol joins it on ("my dot name").
    if (LEAD_IN.has(w) && !(t[k + 1] !== undefined && t[k + 1] in SYMBOLS && pieces.length > 0)) break;
    if (w in TENS || (w in UNITS && UNITS[w] >= 10)) {
      pieces.unshift(String(w in TENS ? TENS[w] : UNITS[w]));
      continue;
    }
    const digit = digitOf(w);
    if (digit !== null && w !== 'o') {
      // "twenty three": the unit joins the tens word before it.
      if (k > 0 && t[k - 1] in TENS && digit !== '0') {
        pieces.unshift(String(TENS[t[k - 1]] + Number(digit)));
        k--;
      } else {
        pieces.unshift(digit);
      }
      continue;
    }
    if (!/^[a-z0-9._+-]+$/.test(w)) break;
    pieces.unshift(w);
  }
  const local = pieces.join('').replace(/^[._+-]+|[._+-]+$/g, '');
  return local ? local : null;
}
