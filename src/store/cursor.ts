// Opaque keyset cursors: the (timestamp, id) of the last row a page returned. Keyset rather than
// offset, so rows inserted meanwhile neither repeat nor skip rows across pages.
export type CursorKey = { at: string; id: string };

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.at, key.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new Error('invalid cursor');
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') {
    throw new Error('invalid cursor');
  }
  return { at: parsed[0], id: parsed[1] };
}
