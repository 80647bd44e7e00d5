// One `Range: bytes=…` header against a file size: the inclusive byte span to send, null to send
// the whole file (no header, or one this server does not honour, such as several ranges), or
// 'unsatisfiable' (416).
export type ByteSpan = { start: number; end: number };

export function parseByteRange(header: string | undefined, size: number): ByteSpan | null | 'unsatisfiable' {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from, to] = match;
  if (from === '' && to === '') return null;
  if (from === '') {
    // A suffix: the last N bytes.
    const length = Number(to);
    if (length === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - length), end: size - 1 };
  }
  const start = Number(from);
  const end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}
