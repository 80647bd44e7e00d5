import { describe, it, expect } from 'vitest';
import { heardText, type SpokenChunk } from '../../src/turn/heard-text.js';

// A: no timings, 20 characters over 1000 ms (50 ms per character).
const A: SpokenChunk = { text: 'Hello there, friend.', durationMs: 1000 };
// B: timings that match the text word for word.
const B: SpokenChunk = {
  text: 'How are you today?',
  durationMs: 800,
  words: [
    { word: 'How', startMs: 0, endMs: 150 },
    { word: 'are', startMs: 150, endMs: 300 },
    { word: 'you', startMs: 300, endMs: 450 },
    { word: 'today', startMs: 450, endMs: 800 },
  ],
};
// C: the engine spoke "$5" as two words, so the timings do not line up with the text.
const C: SpokenChunk = {
  text: 'It costs $5.',
  durationMs: 600,
  words: [
    { word: 'It', startMs: 0, endMs: 100 },
    { word: 'costs', startMs: 100, endMs: 300 },
    { word: 'five', startMs: 300, endMs: 450 },
    { word: 'dollars', startMs: 450, endMs: 600 },
  ],
};
const ALL = [A, B, C];
const FULL = 'Hello there, friend. How are you today? It costs $5.';

describe('heardText', () => {
  it.each([
    [0, ''],
    [-10, ''],
    [Number.NaN, ''],
    [1, ''],
    // character share of A: 500 ms = 10 chars; "Hello" ends at 5, "there," at 12
    [249, ''],
    [250, 'Hello'],
    [599, 'Hello'],
    [600, 'Hello there,'],
    [999, 'Hello there,'],
    [1000, 'Hello there, friend.'],
    // B: a word counts from its midpoint on
    [1074, 'Hello there, friend.'],
    [1075, 'Hello there, friend. How'],
    [1224, 'Hello there, friend. How'],
    [1375, 'Hello there, friend. How are you'],
    [1624, 'Hello there, friend. How are you'],
    [1625, 'Hello there, friend. How are you today?'],
    [1800, 'Hello there, friend. How are you today?'],
    // C: timing words stand in for the text when the counts differ
    [1849, 'Hello there, friend. How are you today?'],
    [1850, 'Hello there, friend. How are you today? It'],
    [2175, 'Hello there, friend. How are you today? It costs five'],
    [2399, 'Hello there, friend. How are you today? It costs five dollars'],
    [2400, FULL],
    [99_999, FULL],
  ])('after %d ms: %j', (playedMs, expected) => {
    expect(heardText(ALL, playedMs)).toBe(expected);
  });

  it('returns nothing for no chunks', () => {
    expect(heardText([], 5000)).toBe('');
  });

  it('normalises whitespace inside and between chunks', () => {
    const chunks: SpokenChunk[] = [
      { text: '  One   two\n', durationMs: 100 },
      { text: '\tthree  ', durationMs: 100 },
    ];
    expect(heardText(chunks, 200)).toBe('One two three');
  });

  it('skips chunks that have no audio', () => {
    const chunks: SpokenChunk[] = [
      { text: 'Heard.', durationMs: 300 },
      { text: 'Never synthesised.', durationMs: 0 },
      { text: 'Also heard.', durationMs: 200 },
    ];
    expect(heardText(chunks, 300)).toBe('Heard.');
    expect(heardText(chunks, 500)).toBe('Heard. Also heard.');
  });

  it('falls back to character share when the timings list is empty', () => {
    expect(heardText([{ text: 'abcd efgh', durationMs: 900, words: [] }], 400)).toBe('abcd');
  });

  it('counts a word exactly at its midpoint and zero-length words once reached', () => {
    const chunk: SpokenChunk = {
      text: 'a b',
      durationMs: 100,
      words: [
        { word: 'a', startMs: 10, endMs: 10 },
        { word: 'b', startMs: 20, endMs: 60 },
      ],
    };
    expect(heardText([chunk], 9)).toBe('');
    expect(heardText([chunk], 10)).toBe('a');
    expect(heardText([chunk], 39)).toBe('a');
    expect(heardText([chunk], 40)).toBe('a b');
  });
});
