import { describe, expect, it } from 'vitest';
import { classifyYesNo } from '../../../src/flows/index.js';

describe('classifyYesNo', () => {
  it.each([
    'yes', 'Yes.', 'yeah', 'yep', 'yup', 'ya', 'sure', 'sure thing', 'correct', "that's right", 'thats right', 'right',
    'ok', 'okay', 'alright', 'absolutely', 'definitely', 'of course', 'please do', 'go ahead', 'yes please', 'sounds good',
    'perfect', 'that works', 'works for me', 'uh huh', 'mm hmm', 'no problem', 'why not', 'book it', 'confirm', 'yes that is correct',
  ])('"%s" is yes', (text) => {
    expect(classifyYesNo(text)).toBe('yes');
  });

  it.each([
    'no', 'No.', 'nope', 'nah', 'no thanks', 'no thank you', 'not really', "that's not right", 'thats not right', 'that is wrong',
    'incorrect', "don't", 'do not book it', 'negative', 'never mind', 'not quite', 'yeah no', "i'd rather not", 'wait',
  ])('"%s" is no', (text) => {
    expect(classifyYesNo(text)).toBe('no');
  });

  it.each(['tomorrow at three', 'john smith', 'what are your hours', 'maybe', ''])('"%s" is neither', (text) => {
    expect(classifyYesNo(text)).toBeNull();
  });
});
