import { describe, expect, it } from 'vitest';
import { detectCorrection, isNegated, tokenize } from '../../../src/flows/index.js';

describe('detectCorrection', () => {
  it.each([
    ['no, I said Wednesday', 'no i said', 'wednesday'],
    ['no i said wednesday', 'no i said', 'wednesday'],
    ['sorry i meant three thirty', 'sorry i meant', 'three thirty'],
    ['actually make it four', 'actually make it', 'four'],
    ['um no wednesday', 'no', 'wednesday'],
    ['make it friday', 'make it', 'friday'],
    ['change it to ten am', 'change it to', 'ten am'],
    ['wednesday not tuesday', 'not', 'tuesday'],
    ['it should be jane', 'should be', 'jane'],
    ['i said friday', 'i said', 'friday'],
  ])('"%s" → marker "%s", then "%s"', (text, marker, rest) => {
    const tokens = tokenize(text);
    const found = detectCorrection(tokens);
    expect(found?.marker).toBe(marker);
    expect(tokens.slice(found!.after).join(' ')).toBe(rest);
  });

  it.each(['wednesday', 'tomorrow at three', 'yes please', 'my name is john'])('"%s" is no correction', (text) => {
    expect(detectCorrection(text)).toBeNull();
  });

  it('marks the value the caller rejects', () => {
    const tokens = tokenize('not on tuesday but wednesday');
    expect(isNegated(tokens, tokens.indexOf('tuesday'))).toBe(true);
    expect(isNegated(tokens, tokens.indexOf('wednesday'))).toBe(false);
  });
});
