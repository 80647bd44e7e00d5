// Character alignment → word timings: chunk-relative times shifted to the synthesis, words that
// straddle chunk boundaries, punctuation, both duration spellings, and tolerant reading.
import { describe, expect, it } from 'vitest';
import { AlignmentWords, readAlignment, type CharTimes } from '../../../src/providers/elevenlabs/alignment-words.js';

/** Alignment for `text` with every character `ms` long, times relative to the chunk. */
function chunk(text: string, ms = 10): CharTimes {
  const chars = [...text];
  return { chars, startsMs: chars.map((_, i) => i * ms), durationsMs: chars.map(() => ms) };
}

describe('AlignmentWords', () => {
  it('turns one chunk into words with times offset by the chunk start', () => {
    const words = new AlignmentWords();
    const done = words.push(chunk('Hi you there'), 1000);
    expect(done).toEqual([
      { word: 'Hi', startMs: 1000, endMs: 1020 },
      { word: 'you', startMs: 1030, endMs: 1060 },
    ]);
    // The last word may continue in the next chunk, so it waits for whitespace or the end.
    expect(words.flush()).toEqual([{ word: 'there', startMs: 1070, endMs: 1120 }]);
    expect(words.flush()).toEqual([]);
  });

  it('joins a word split across odd chunk boundaries, each chunk with its own time origin', () => {
    const words = new AlignmentWords();
    const out = [
      ...words.push(chunk('Hel'), 0), // chunk 1: 0–30 ms
      ...words.push(chunk('lo w'), 30), // chunk 2 starts at 30 ms
      ...words.push(chunk('o'), 70),
      ...words.push(chunk('rld '), 80),
      ...words.push(chunk('a'), 120),
      ...words.flush(),
    ];
    expect(out).toEqual([
      { word: 'Hello', startMs: 0, endMs: 50 },
      { word: 'world', startMs: 60, endMs: 110 },
      { word: 'a', startMs: 120, endMs: 130 },
    ]);
  });

  it('a chunk starting with whitespace completes the pending word', () => {
    const words = new AlignmentWords();
    expect(words.push(chunk('one'), 0)).toEqual([]);
    expect(words.push(chunk(' two'), 30)).toEqual([{ word: 'one', startMs: 0, endMs: 30 }]);
  });

  it('keeps punctuation with its word, and a standalone dash is a word of its own', () => {
    const words = new AlignmentWords();
    const out = [...words.push(chunk('Well, yes — "quite"! Done.'), 0), ...words.flush()];
    expect(out.map((w) => w.word)).toEqual(['Well,', 'yes', '—', '"quite"!', 'Done.']);
    for (let i = 1; i < out.length; i++) expect(out[i].startMs).toBeGreaterThanOrEqual(out[i - 1].endMs);
  });

  it('collapses runs of whitespace (including newlines) and ignores empty characters', () => {
    const words = new AlignmentWords();
    const a: CharTimes = { chars: ['a', ' ', '\n', '', ' ', 'b'], startsMs: [0, 10, 20, 30, 30, 40], durationsMs: [10, 10, 10, 0, 10, 10] };
    expect([...words.push(a, 0), ...words.flush()]).toEqual([
      { word: 'a', startMs: 0, endMs: 10 },
      { word: 'b', startMs: 40, endMs: 50 },
    ]);
  });
});

describe('readAlignment', () => {
  it('reads charsDurationsMs (asyncapi) and charDurationsMs (JS SDK) alike', () => {
    const plural = readAlignment({ chars: ['a', 'b'], charStartTimesMs: [0, 5], charsDurationsMs: [5, 7] });
    const singular = readAlignment({ chars: ['a', 'b'], charStartTimesMs: [0, 5], charDurationsMs: [5, 7] });
    expect(plural).toEqual({ chars: ['a', 'b'], startsMs: [0, 5], durationsMs: [5, 7] });
    expect(singular).toEqual(plural);
  });

  it('reads the older snake_case names', () => {
    expect(readAlignment({ chars: ['x'], char_start_times_ms: [3], chars_durations_ms: [4] })).toEqual({ chars: ['x'], startsMs: [3], durationsMs: [4] });
  });

  it('without durations, a character lasts until the next starts (the last one: zero)', () => {
    expect(readAlignment({ chars: ['a', 'b', 'c'], charStartTimesMs: [0, 4, 9] })!.durationsMs).toEqual([4, 5, 0]);
  });

  it('returns null for absent, null or unusable alignment, and skips malformed entries', () => {
    expect(readAlignment(null)).toBeNull();
    expect(readAlignment(undefined)).toBeNull();
    expect(readAlignment({ chars: [], charStartTimesMs: [] })).toBeNull();
    expect(readAlignment({ chars: ['a'] })).toBeNull();
    expect(readAlignment({ chars: ['a', 7, 'c'], charStartTimesMs: [0, 1, 'x'] })).toEqual({ chars: ['a'], startsMs: [0], durationsMs: [1] });
    // Lists of different lengths: only the characters that have a start time count.
    expect(readAlignment({ chars: ['a', 'b'], charStartTimesMs: [0], charsDurationsMs: [2, 3] })!.chars).toEqual(['a']);
  });
});
