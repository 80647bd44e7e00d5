// Numbers spoken as words ("twenty one", "a hundred and five", "fifth") or written as digits
// ("21", "5th"), read from a token list at a position. ASR engines spell numbers out, so every
// value extractor (dates, times, phone numbers) starts here.

export const UNITS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9,
  ten: 10, eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16,
  seventeen: 17, eighteen: 18, nineteen: 19,
};

export const TENS: Record<string, number> = {
  twenty: 20, thirty: 30, forty: 40, fourty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
};

const ORDINAL_UNITS: Record<string, number> = {
  first: 1, second: 2, third: 3, fourth: 4, fifth: 5, sixth: 6, seventh: 7, eighth: 8, ninth: 9,
  tenth: 10, eleventh: 11, twelfth: 12, thirteenth: 13, fourteenth: 14, fifteenth: 15,
  sixteenth: 16, seventeenth: 17, eighteenth: 18, nineteenth: 19,
};

const ORDINAL_TENS: Record<string, number> = { twentieth: 20, thirtieth: 30 };

export type NumberMatch = { value: number; start: number; end: number };

/** True when the token is a number word or digits, i.e. could start a spoken number. */
export function isNumberToken(token: string | undefined): boolean {
  if (token === undefined) return false;
  return /^\d+$/.test(token) || token in UNITS || token in TENS;
}

/**
 * A cardinal at `i`: digits ("21"), or words up to the thousands ("two thousand and five",
 * "twenty one", "a hundred and five"). Does not join "three thirty" (a time, not 33) nor
 * "five five" (a digit sequence). `end` is one past the last token used.
 */
export function readCardinal(tokens: readonly string[], i: number): NumberMatch | null {
  const first = tokens[i];
  if (first === undefined) return null;
  if (/^\d+$/.test(first)) return { value: Number(first), start: i, end: i + 1 };
  const head = readBelowThousand(tokens, i);
  if (!head) return null;
  if (tokens[head.end] !== 'thousand') return head;
  let j = head.end + 1;
  let value = head.value * 1000;
  if (tokens[j] === 'and' && readBelowThousand(tokens, j + 1)) j++;
  const tail = readBelowThousand(tokens, j);
  if (tail) {
    value += tail.value;
    j = tail.end;
  }
  return { value, start: i, end: j };
}

function readBelowThousand(tokens: readonly string[], i: number): NumberMatch | null {
  const head = tokens[i] === 'a' && (tokens[i + 1] === 'hundred' || tokens[i + 1] === 'thousand')
    ? { value: 1, start: i, end: i + 1 }
    : readBelowHundred(tokens, i);
  if (!head) return null;
  if (tokens[head.end] !== 'hundred' || head.value < 1 || head.value > 9) return head;
  let j = head.end + 1;
  let value = head.value * 100;
  if (tokens[j] === 'and' && readBelowHundred(tokens, j + 1)) j++;
  const tail = readBelowHundred(tokens, j);
  if (tail) {
    value += tail.value;
    j = tail.end;
  }
  return { value, start: i, end: j };
}

function readBelowHundred(tokens: readonly string[], i: number): NumberMatch | null {
  const t = tokens[i];
  if (t === undefined) return null;
  if (t in TENS) {
    const next = tokens[i + 1];
    if (next !== undefined && next in UNITS && UNITS[next] >= 1 && UNITS[next] <= 9) {
      return { value: TENS[t] + UNITS[next], start: i, end: i + 2 };
    }
    return { value: TENS[t], start: i, end: i + 1 };
  }
  if (t in UNITS) return { value: UNITS[t], start: i, end: i + 1 };
  return null;
}

/** An ordinal at `i`: "5th", "fifth", "twenty first", "twenty-first" (already split), "thirtieth". */
export function readOrdinal(tokens: readonly string[], i: number): NumberMatch | null {
  const t = tokens[i];
  if (t === undefined) return null;
  const digits = /^(\d{1,2})(st|nd|rd|th)$/.exec(t);
  if (digits) return { value: Number(digits[1]), start: i, end: i + 1 };
  if (t in ORDINAL_UNITS) return { value: ORDINAL_UNITS[t], start: i, end: i + 1 };
  if (t in ORDINAL_TENS) return { value: ORDINAL_TENS[t], start: i, end: i + 1 };
  if (t in TENS) {
    const next = tokens[i + 1];
    if (next !== undefined && next in ORDINAL_UNITS && ORDINAL_UNITS[next] < 10) {
      return { value: TENS[t] + ORDINAL_UNITS[next], start: i, end: i + 2 };
    }
  }
  return null;
}

/** A single digit spoken in a digit sequence: "five", "oh", "o", "zero", "5". */
export function digitOf(token: string | undefined): string | null {
  if (token === undefined) return null;
  if (/^\d$/.test(token)) return token;
  if (token === 'oh' || token === 'o') return '0';
  if (token in UNITS && UNITS[token] < 10) return String(UNITS[token]);
  return null;
}
