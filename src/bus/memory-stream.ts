// One in-process stream with Redis-like ids and consumer groups: the state behind MemoryEventBus.
// Several bus instances may share one MemoryStreamStore, as several processes share one Redis.
import { compareEntryIds, parseEntryId, type BusEntry, type EntryId } from './event-bus.js';
import type { SerialDelivery } from './serial-delivery.js';

type PendingEntry = { consumer: string; deliveredAt: number; deliveries: number };
type Member<T> = { consumer: string; delivery: SerialDelivery<T> };

export class MemoryGroup<T> {
  private lastDeliveredId: EntryId;
  readonly pending = new Map<EntryId, PendingEntry>();
  private members: Member<T>[] = [];
  private nextMember = 0;

  constructor(startId: EntryId) {
    this.lastDeliveredId = startId;
  }

  join(member: Member<T>): () => void {
    this.members.push(member);
    return () => {
      this.members = this.members.filter((m) => m !== member);
    };
  }

  /** Hands every entry the group has not seen yet to its members in turn. */
  dispatch(stream: MemoryStream<T>, now: number): void {
    if (this.members.length === 0) return;
    for (const entry of stream.after(this.lastDeliveredId)) {
      const member = this.members[this.nextMember++ % this.members.length];
      this.pending.set(entry.id, { consumer: member.consumer, deliveredAt: now, deliveries: 1 });
      this.lastDeliveredId = entry.id;
      member.delivery.push(entry);
    }
  }

  /** Entries left unacknowledged past the timeout go to another member when there is one. */
  redeliver(stream: MemoryStream<T>, now: number, visibilityTimeoutMs: number): void {
    if (this.members.length === 0) return;
    for (const [id, p] of this.pending) {
      if (now - p.deliveredAt < visibilityTimeoutMs) continue;
      const entry = stream.get(id);
      if (!entry) {
        this.pending.delete(id); // trimmed away meanwhile, as XAUTOCLAIM reports deleted ids
        continue;
      }
      const others = this.members.filter((m) => m.consumer !== p.consumer);
      const pool = others.length > 0 ? others : this.members;
      const member = pool[this.nextMember++ % pool.length];
      this.pending.set(id, { consumer: member.consumer, deliveredAt: now, deliveries: p.deliveries + 1 });
      member.delivery.push(entry);
    }
  }

  ack(id: EntryId): void {
    this.pending.delete(id);
  }
}

export class MemoryStream<T> {
  private entries: BusEntry<T>[] = [];
  private lastMs = 0;
  private lastSeq = -1;
  readonly listeners = new Set<(entry: BusEntry<T>) => void>();
  readonly groups = new Map<string, MemoryGroup<T>>();

  append(callId: string, payload: T, maxEntries: number, now: number): BusEntry<T> {
    // Ids never go backwards, even if the wall clock does.
    if (now > this.lastMs) {
      this.lastMs = now;
      this.lastSeq = 0;
    } else {
      this.lastSeq++;
    }
    const entry = { id: `${this.lastMs}-${this.lastSeq}`, callId, payload };
    this.entries.push(entry);
    if (this.entries.length > maxEntries) this.entries.splice(0, this.entries.length - maxEntries);
    for (const listener of this.listeners) listener(entry);
    return entry;
  }

  lastId(): EntryId {
    return this.lastSeq < 0 ? '0-0' : `${this.lastMs}-${this.lastSeq}`;
  }

  /** Entries strictly after `id`. */
  after(id: EntryId): BusEntry<T>[] {
    if (id === '0' || id === '0-0') return [...this.entries];
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareEntryIds(this.entries[mid].id, id) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return this.entries.slice(lo);
  }

  get(id: EntryId): BusEntry<T> | undefined {
    return this.entries.find((e) => e.id === id);
  }

  trimBefore(cutoffMs: number): number {
    // Entries are in id order: the common case, nothing old enough, costs one comparison.
    if (this.entries.length === 0 || parseEntryId(this.entries[0].id).ms >= cutoffMs) return 0;
    const keep = this.entries.filter((e) => parseEntryId(e.id).ms >= cutoffMs);
    const removed = this.entries.length - keep.length;
    this.entries = keep;
    return removed;
  }
}

/** Streams by key (`call:<id>` or `calls`), shareable between bus instances in one process. */
export class MemoryStreamStore<T> {
  private readonly streams = new Map<string, MemoryStream<T>>();

  stream(key: string): MemoryStream<T> {
    let s = this.streams.get(key);
    if (!s) {
      s = new MemoryStream<T>();
      this.streams.set(key, s);
    }
    return s;
  }

  all(): MemoryStream<T>[] {
    return [...this.streams.values()];
  }
}
