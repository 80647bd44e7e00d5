import { describe, expect, it } from 'vitest';
import { extractNumber } from '../../../src/flows/index.js';

describe('extractNumber', () => {
  it.each([
    ['12', 12],
    ['1,200', 1200],
    ['twelve', 12],
    ['twenty one', 21],
    ['twenty-one', 21],
    ['a hundred', 100],
    ['one hundred and five', 105],
    ['two thousand', 2000],
    ['two thousand and twenty five', 2025],
    ['three hundred forty two', 342],
    ['zero', 0],
    ['there will be four of us', 4],
    ['party of 6 please', 6],
    ['2.5', 2.5],
  ])('%s → %d', (text, expected) => {
    expect(extractNumber(text)).toBe(expected);
  });

  it.each(['none', 'a few', 'hello there', ''])('finds no number in "%s"', (text) => {
    expect(extractNumber(text)).toBeNull();
  });
});
