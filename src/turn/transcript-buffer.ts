// What the caller has said in the current turn: STT finals plus the latest partial.
//
// Locking: once the turn core commits (COMMITTED), the transcript it handed to the LLM must not
// change under it, so the core locks the buffer. Speech that arrives while locked is not lost:
// it is held in a pending list, in arrival order. What happens to it depends on how the turn ends:
//  - the caller's new speech cancels the reply -> `unlock()` replays the pending speech onto the
//    committed text, so the next attempt answers everything the caller said;
//  - the reply went out (or barge-in after the reply was committed to the chat) -> `clear()`
//    drops everything, or `clearCommitted()` drops only the committed text and keeps the
//    pending speech as the start of the next turn.

export type FinalSegment = { text: string; confidence: number; startMs?: number; endMs?: number; receivedAt: number };

type PendingInput =
  | { kind: 'partial'; text: string; at: number }
  | { kind: 'final'; seg: Omit<FinalSegment, 'receivedAt'>; at: number };

export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

export class TranscriptBuffer {
  private partialText = '';
  private segments: FinalSegment[] = [];
  private isLocked = false;
  private pending: PendingInput[] = [];
  private lastChangeAt: number | null = null;

  get partial(): string {
    return this.partialText;
  }

  get finals(): readonly FinalSegment[] {
    return this.segments;
  }

  get locked(): boolean {
    return this.isLocked;
  }

  /** When the visible text last changed (session clock ms); null if never. */
  get updatedAt(): number | null {
    return this.lastChangeAt;
  }

  /** Merged text: finals joined by single spaces, then the current partial. */
  get text(): string {
    return this.partialText ? joinWords(this.finalText, this.partialText) : this.finalText;
  }

  get finalText(): string {
    return this.segments.map((s) => s.text).join(' ');
  }

  /** Speech held while locked, merged the same way as `text`. */
  get pendingText(): string {
    let finals = '';
    let partial = '';
    for (const p of this.pending) {
      if (p.kind === 'final') {
        finals = joinWords(finals, normalizeWhitespace(p.seg.text));
        partial = '';
      } else {
        partial = normalizeWhitespace(p.text);
      }
    }
    return joinWords(finals, partial);
  }

  hasPending(): boolean {
    return this.pendingText !== '';
  }

  /**
   * Mean confidence of the finals. Weighted by duration when every final carries a positive
   * duration (the STT's own notion of how much speech it covers), else by text length, since
   * mixing the two units would be meaningless. 0 when there are no finals.
   */
  get confidence(): number {
    if (this.segments.length === 0) return 0;
    const byDuration = this.segments.every((s) => s.startMs !== undefined && s.endMs !== undefined && s.endMs > s.startMs);
    let sum = 0;
    let weights = 0;
    for (const s of this.segments) {
      const w = byDuration ? (s.endMs as number) - (s.startMs as number) : s.text.length;
      sum += s.confidence * w;
      weights += w;
    }
    return weights > 0 ? sum / weights : 0;
  }

  /** Returns whether the visible text changed; false (held as pending) while locked. */
  setPartial(text: string, now: number): boolean {
    if (this.isLocked) {
      const last = this.pending[this.pending.length - 1];
      // A newer partial supersedes the previous one; keep only the latest.
      if (last?.kind === 'partial') this.pending[this.pending.length - 1] = { kind: 'partial', text, at: now };
      else this.pending.push({ kind: 'partial', text, at: now });
      return false;
    }
    const normalized = normalizeWhitespace(text);
    if (normalized === this.partialText) return false;
    this.partialText = normalized;
    this.lastChangeAt = now;
    return true;
  }

  /** Appends a final and clears the partial it replaces. Blank finals are ignored; false (held as pending) while locked. */
  addFinal(seg: Omit<FinalSegment, 'receivedAt'>, now: number): boolean {
    const normalized = normalizeWhitespace(seg.text);
    if (!normalized) return false;
    if (this.isLocked) {
      const last = this.pending[this.pending.length - 1];
      // The final replaces the partial that led to it.
      if (last?.kind === 'partial') this.pending.pop();
      this.pending.push({ kind: 'final', seg: { ...seg }, at: now });
      return false;
    }
    this.segments.push({ ...seg, text: normalized, receivedAt: now });
    this.partialText = '';
    this.lastChangeAt = now;
    return true;
  }

  lock(): void {
    this.isLocked = true;
  }

  /** Unlocks and merges held speech in arrival order. Returns whether the visible text changed. */
  unlock(): boolean {
    if (!this.isLocked) return false;
    this.isLocked = false;
    const held = this.pending;
    this.pending = [];
    let changed = false;
    for (const p of held) {
      const c = p.kind === 'final' ? this.addFinal(p.seg, p.at) : this.setPartial(p.text, p.at);
      changed = changed || c;
    }
    return changed;
  }

  /** Drops everything, pending speech included, and unlocks: a fresh buffer for the next turn. */
  clear(): void {
    this.partialText = '';
    this.segments = [];
    this.pending = [];
    this.isLocked = false;
  }

  /**
   * Drops the committed (locked) text but keeps speech that arrived meanwhile as the start of
   * the next turn, then unlocks. For a barge-in after the old text was already answered.
   */
  clearCommitted(): boolean {
    this.partialText = '';
    this.segments = [];
    return this.unlock();
  }

  /** True when there is no visible text (pending speech is not counted). */
  isEmpty(): boolean {
    return this.segments.length === 0 && this.partialText === '';
  }
}

function joinWords(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  return `${a} ${b}`;
}
