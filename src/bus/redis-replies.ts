// Shapes of the Redis Streams replies the bus reads (RESP2 shapes, which ioredis also gives under
// RESP3 in its default "legacy" mapping), checked rather than cast.
import type { BusEntry } from './event-bus.js';

type RawEntry = [id: string, fields: string[]];

function isRawEntry(v: unknown): v is RawEntry {
  return Array.isArray(v) && typeof v[0] === 'string' && Array.isArray(v[1]);
}

export function decodeEntry<T>(raw: unknown): BusEntry<T> | null {
  if (!isRawEntry(raw)) return null; // XAUTOCLAIM gives nil for entries trimmed since delivery
  const [id, fields] = raw;
  let callId = '';
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'callId') callId = fields[i + 1];
    else if (fields[i] === 'data') data = fields[i + 1];
  }
  if (data === undefined) return null;
  return { id, callId, payload: JSON.parse(data) as T };
}

export function decodeEntries<T>(raw: unknown): BusEntry<T>[] {
  if (!Array.isArray(raw)) return [];
  const out: BusEntry<T>[] = [];
  for (const r of raw) {
    const e = decodeEntry<T>(r);
    if (e) out.push(e);
  }
  return out;
}

/**
 * XREAD / XREADGROUP on one stream: [[key, entries]] (RESP2) or nil on timeout. Under RESP3 with
 * ioredis's legacy mapping the map arrives flattened as [key, entries]; both are accepted.
 */
export function decodeStreamRead<T>(raw: unknown): BusEntry<T>[] {
  if (!Array.isArray(raw) || raw.length === 0) return [];
  const first: unknown = raw[0];
  if (typeof first === 'string') return decodeEntries<T>(raw[1]);
  return Array.isArray(first) ? decodeEntries<T>(first[1]) : [];
}

/** XAUTOCLAIM: [next cursor, entries, deleted ids]. */
export function decodeAutoclaim<T>(raw: unknown): BusEntry<T>[] {
  return Array.isArray(raw) ? decodeEntries<T>(raw[1]) : [];
}
