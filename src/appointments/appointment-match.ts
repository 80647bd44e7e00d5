// Finding a caller's booking from what they say on the phone: a surname alone ("it's under Smith"),
// a name in another case or with extra spaces, or a number said with or without the country code.

/** Lower-case words of a name, accents folded, punctuation dropped. */
export function nameTokens(name: string): string[] {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}\p{N}']+/u)
    .map((t) => t.replace(/'/g, ''))
    .filter(Boolean);
}

/** Every word the caller said appears in the booked name ("smith" finds "John Smith"). */
export function nameMatches(booked: string, said: string): boolean {
  const want = nameTokens(said);
  if (want.length === 0) return false;
  const have = new Set(nameTokens(booked));
  return want.every((t) => have.has(t));
}

/** Digits only, leading zeros dropped: '+44 7700 900123' → '447700900123', '07700 900123' → '7700900123'. */
export function phoneDigits(phone: string): string {
  return phone.replace(/\D/g, '').replace(/^0+/, '');
}

/**
 * Same number when one digit string ends with the other and the shorter has at least 7 digits,
 * so a national number finds the same number stored in international form and vice versa.
 */
export function phoneMatches(booked: string | null, said: string): boolean {
  if (!booked) return false;
  const a = phoneDigits(booked);
  const b = phoneDigits(said);
  const [short, long] = a.length <= b.length ? [a, b] : [b, a];
  return short.length >= 7 && long.endsWith(short);
}

export function findMatches<T extends { name: string; phone: string | null }>(
  rows: readonly T[],
  query: { name?: string; phone?: string },
): T[] {
  const name = query.name?.trim();
  const phone = query.phone?.trim();
  return rows.filter((r) => (!name || nameMatches(r.name, name)) && (!phone || phoneMatches(r.phone, phone)));
}
