import { describe, expect, it } from 'vitest';
import { extractPhone } from '../../../src/flows/index.js';

describe('extractPhone', () => {
  it.each([
    ['555 123 4567', '5551234567'],
    ['(555) 123-4567', '5551234567'],
    ['555-1234', '5551234'],
    ['+44 20 7946 0958', '+442079460958'],
    ['my number is five five five one two three four', '5551234'],
    ['five five five one two three four five six seven', '5551234567'],
    ['oh seven seven double oh nine triple one', '077009111'],
    ['zero two zero seven nine four six', '0207946'],
    ['five five five twelve thirty four', '5551234'],
    ['plus four four two zero seven nine four six zero nine five eight', '+442079460958'],
    ['it is 07700 900123 thanks', '07700900123'],
    ['five five five dash one two three four', '5551234'],
  ])('%s → %s', (text, expected) => {
    expect(extractPhone(text)).toBe(expected);
  });

  it('accepts shorter numbers only when one was asked for', () => {
    expect(extractPhone('one two three four')).toBeNull();
    expect(extractPhone('one two three four', { expect: true })).toBe('1234');
  });

  it.each(['tomorrow at three', 'my name is john', 'two people', '12', ''])('finds no phone number in "%s"', (text) => {
    expect(extractPhone(text)).toBeNull();
  });
});
