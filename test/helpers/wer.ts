// Word error rate for transcripts: (substitutions + deletions + insertions) / reference words,
// by Levenshtein distance over normalised words. Both sides go through the same normalisation,
// so "3 pm", "3 p.m." and "three PM" count as the same words.

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const ORDINAL_WORDS: Record<string, string> = {
  one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth',
};

/** 0..999 999 as English words (beyond that: digit by digit, as a phone number is read). */
export function numberToWords(n: number): string[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`not a whole number: ${n}`);
  if (n >= 1_000_000) return String(n).split('').map((d) => ONES[Number(d)]);
  if (n < 20) return [ONES[n]];
  if (n < 100) return n % 10 === 0 ? [TENS[n / 10]] : [TENS[Math.floor(n / 10)], ONES[n % 10]];
  if (n < 1000) return [ONES[Math.floor(n / 100)], 'hundred', ...(n % 100 === 0 ? [] : numberToWords(n % 100))];
  return [...numberToWords(Math.floor(n / 1000)), 'thousand', ...(n % 1000 === 0 ? [] : numberToWords(n % 1000))];
}

function ordinal(words: string[]): string[] {
  const last = words[words.length - 1];
  const irregular = ORDINAL_WORDS[last];
  const suffixed = irregular ?? (last.endsWith('y') ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return [...words.slice(0, -1), suffixed];
}

/** Lower-case words, punctuation stripped (inner apostrophes kept), numbers spelled out. */
export function normalizeWords(text: string): string[] {
  const out: string[] = [];
  const cleaned = text
    .toLowerCase()
    // "p.m." / "a.m." are one word for the recogniser's dictionary and for us.
    .replace(/\b([ap])\.\s?m\.?(?=\s|$)/g, '$1m')
    // "3pm" -> "3 pm", "10am" -> "10 am"
    .replace(/(\d)([ap]m)\b/g, '$1 $2')
    // "10:30" -> "10 30" as it is spoken
    .replace(/(\d):(\d\d)/g, '$1 $2');
  for (const raw of cleaned.split(/\s+/)) {
    const token = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').replace(/[^\p{L}\p{N}']/gu, '');
    if (token === '') continue;
    const ord = /^(\d+)(st|nd|rd|th)$/.exec(token);
    if (ord) out.push(...ordinal(numberToWords(Number(ord[1]))));
    else if (/^\d+$/.test(token)) out.push(...(token.length > 1 && token.startsWith('0') ? token.split('').map((d) => ONES[Number(d)]) : numberToWords(Number(token))));
    else out.push(token);
  }
  return out;
}

/** Edit distance between two word sequences. */
export function wordEditDistance(reference: readonly string[], hypothesis: readonly string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const current = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      const substitution = previous[j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j] + 1, current[j - 1] + 1));
    }
    previous = current;
  }
  return previous[hypothesis.length];
}

export type WerResult = { errors: number; referenceWords: number; wer: number };

/** Corpus WER: errors summed over all pairs divided by all reference words. */
export function wordErrorRate(pairs: ReadonlyArray<{ reference: string; hypothesis: string }>): WerResult {
  let errors = 0;
  let referenceWords = 0;
  for (const { reference, hypothesis } of pairs) {
    const ref = normalizeWords(reference);
    errors += wordEditDistance(ref, normalizeWords(hypothesis));
    referenceWords += ref.length;
  }
  return { errors, referenceWords, wer: referenceWords === 0 ? 0 : errors / referenceWords };
}
