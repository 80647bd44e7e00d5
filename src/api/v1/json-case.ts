// The API speaks snake_case; the repository camelCase. Rows are converted one level deep (nested
// values such as event payloads and latency records are data and stay as they are).
export function snakeKey(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

export function snakeRow(row: object, omit: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) if (!omit.includes(key)) out[snakeKey(key)] = value;
  return out;
}
