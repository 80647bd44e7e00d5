// Plain numbers: "12", "1,200", "twenty one", "a hundred and five", "two thousand".
import type { ValueMatch } from './dates.js';
import { tokenize } from './normalize.js';
import { readCardinal } from './number-words.js';

export function findNumbers(tokens: readonly string[]): ValueMatch<number>[] {
  const found: ValueMatch<number>[] = [];
  for (let i = 0; i < tokens.length; ) {
    const n = /^\d+(\.\d+)?$/.test(tokens[i]) ? { value: Number(tokens[i]), start: i, end: i + 1 } : readCardinal(tokens, i);
    if (n) {
      found.push(n);
      i = n.end;
    } else {
      i++;
    }
  }
  return found;
}

/** The first number the caller said, or null. */
export function extractNumber(text: string): number | null {
  // Thousands separators would be split by the tokenizer: "1,200" is one number.
  return findNumbers(tokenize(text.replace(/(\d),(?=\d{3}\b)/g, '$1')))[0]?.value ?? null;
}
