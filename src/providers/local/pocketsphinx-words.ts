// Turns domain text (a flow's example phrases, a vocabulary list) into the word tokens the
// pocketsphinx dictionary spells: lower case, no punctuation, numbers written out as spoken.

const ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve', 'thirteen', 'fourteen', 'fifteen', 'sixteen', 'seventeen', 'eighteen', 'nineteen'];
const TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];

function cardinal(n: number): string[] {
  if (n < 20) return [ONES[n]];
  if (n < 100) return n % 10 === 0 ? [TENS[n / 10]] : [TENS[Math.floor(n / 10)], ONES[n % 10]];
  if (n < 1000) return [ONES[Math.floor(n / 100)], 'hundred', ...(n % 100 === 0 ? [] : cardinal(n % 100))];
  return [...cardinal(Math.floor(n / 1000)), 'thousand', ...(n % 1000 === 0 ? [] : cardinal(n % 1000))];
}

const IRREGULAR_ORDINALS: Record<string, string> = { one: 'first', two: 'second', three: 'third', five: 'fifth', eight: 'eighth', nine: 'ninth', twelve: 'twelfth' };

/** "21st" -> twenty first: the last word of the cardinal becomes an ordinal. */
function ordinal(n: number): string[] {
  const words = cardinal(n);
  const last = words[words.length - 1];
  const suffixed = IRREGULAR_ORDINALS[last] ?? (last.endsWith('y') ? `${last.slice(0, -1)}ieth` : `${last}th`);
  return [...words.slice(0, -1), suffixed];
}

/** How a run of digits is said: up to 4 digits as a number, longer (phone numbers) digit by digit. */
function spokenDigits(digits: string): string[] {
  if (digits.length > 4 || (digits.length > 1 && digits.startsWith('0'))) return digits.split('').map((d) => ONES[Number(d)]);
  return cardinal(Number(digits));
}

/** Words of a phrase as the recogniser would output them. */
export function spokenWords(text: string): string[] {
  const words: string[] = [];
  const cleaned = text
    .toLowerCase()
    .replace(/\b([ap])\.\s?m\.?(?=\s|$)/g, '$1m')
    .replace(/(\d)([ap]m)\b/g, '$1 $2')
    .replace(/(\d):(\d\d)/g, '$1 $2');
  for (const raw of cleaned.split(/\s+/)) {
    const token = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '').replace(/[^\p{L}\p{N}']/gu, '');
    if (token === '') continue;
    const ordinalMatch = /^(\d{1,4})(st|nd|rd|th)$/.exec(token);
    if (ordinalMatch) words.push(...ordinal(Number(ordinalMatch[1])));
    else if (/^\d+$/.test(token)) words.push(...spokenDigits(token));
    else words.push(...token.split(/(?<=\d)(?=\p{L})|(?<=\p{L})(?=\d)/u).flatMap((part) => (/^\d+$/.test(part) ? spokenDigits(part) : [part])));
  }
  return words;
}
