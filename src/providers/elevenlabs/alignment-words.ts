// ElevenLabs times characters, not words: each audio message may carry `alignment` with `chars`,
// `charStartTimesMs` and a duration list, in ms relative to that message's audio. This turns those into
// word timings relative to the start of the synthesis. A word is a run of non-whitespace characters (it
// keeps its punctuation); it may straddle messages, so the last run of a message stays pending until
// whitespace follows it or the synthesis ends (`flush`).
import type { WordTiming } from '../types.js';

export type CharTimes = { chars: string[]; startsMs: number[]; durationsMs: number[] };

/**
 * Reads one alignment object. The duration list is `charsDurationsMs` in the asyncapi schema and
 * examples but `charDurationsMs` in the JS SDK types (protocols.md §4, "Disagreements"); older payloads
 * used snake_case. Returns null when the value is absent or has no usable characters.
 */
export function readAlignment(value: unknown): CharTimes | null {
  if (typeof value !== 'object' || value === null) return null;
  const o = value as Record<string, unknown>;
  const chars = o.chars;
  const starts = firstArray(o, ['charStartTimesMs', 'charsStartTimesMs', 'char_start_times_ms']);
  if (!Array.isArray(chars) || !starts) return null;
  const durations = firstArray(o, ['charsDurationsMs', 'charDurationsMs', 'chars_durations_ms', 'char_durations_ms']) ?? [];
  const count = Math.min(chars.length, starts.length);
  const out: CharTimes = { chars: [], startsMs: [], durationsMs: [] };
  for (let i = 0; i < count; i++) {
    const start = starts[i];
    if (typeof chars[i] !== 'string' || typeof start !== 'number' || !Number.isFinite(start)) continue;
    const given = durations[i];
    const next = starts[i + 1];
    // Without a duration, a character lasts until the next one starts.
    const duration =
      typeof given === 'number' && Number.isFinite(given) ? given : typeof next === 'number' && Number.isFinite(next) ? next - start : 0;
    out.chars.push(chars[i] as string);
    out.startsMs.push(start);
    out.durationsMs.push(Math.max(0, duration));
  }
  return out.chars.length > 0 ? out : null;
}

function firstArray(o: Record<string, unknown>, names: string[]): unknown[] | null {
  for (const name of names) if (Array.isArray(o[name])) return o[name] as unknown[];
  return null;
}

export class AlignmentWords {
  private pending: WordTiming | null = null;

  /**
   * Adds the characters of one audio message whose audio starts `chunkOffsetMs` into the synthesis.
   * Returns the words this message completed.
   */
  push(alignment: CharTimes, chunkOffsetMs: number): WordTiming[] {
    const done: WordTiming[] = [];
    for (let i = 0; i < alignment.chars.length; i++) {
      const char = alignment.chars[i];
      if (char.length === 0) continue;
      if (char.trim() === '') {
        if (this.pending) done.push(this.pending);
        this.pending = null;
        continue;
      }
      const startMs = chunkOffsetMs + alignment.startsMs[i];
      const endMs = startMs + alignment.durationsMs[i];
      if (this.pending) {
        this.pending.word += char;
        this.pending.endMs = Math.max(this.pending.endMs, endMs);
      } else {
        this.pending = { word: char, startMs, endMs };
      }
    }
    return done;
  }

  /** The word still pending at the end of the synthesis, if any. */
  flush(): WordTiming[] {
    const last = this.pending;
    this.pending = null;
    return last ? [last] : [];
  }
}
