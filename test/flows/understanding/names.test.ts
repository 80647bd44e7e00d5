import { describe, expect, it } from 'vitest';
import { extractName } from '../../../src/flows/index.js';

describe('extractName', () => {
  it.each([
    ['my name is John Smith', 'John Smith'],
    ['my name is john smith', 'John Smith'],
    ["my name's jane doe", 'Jane Doe'],
    ['the name is bob', 'Bob'],
    ["it's Jane", 'Jane'],
    ['its jane', 'Jane'],
    ['it is jane doe thanks', 'Jane Doe'],
    ['this is Bob Jones', 'Bob Jones'],
    ['hi this is mary ann o\'neil calling', "Mary Ann O'Neil"],
    ['i am peter', 'Peter'],
    ["i'm peter parker", 'Peter Parker'],
    ['call me al', 'Al'],
    ['it is under smith', 'Smith'],
    ['under the name of garcia', 'Garcia'],
    ['book it for john smith', 'John Smith'],
    ['john smith speaking', 'John Smith'],
    ['yes my name is anna', 'Anna'],
    ['my name is j o h n smith', 'John Smith'],
    ['no i said jane', 'Jane'],
  ])('%s → %s', (text, expected) => {
    expect(extractName(text)).toBe(expected);
  });

  it('takes a short bare answer only when a name was asked for', () => {
    expect(extractName('john smith')).toBeNull();
    expect(extractName('john smith', { expect: true })).toBe('John Smith');
    expect(extractName('uh jane doe please', { expect: true })).toBe('Jane Doe');
    expect(extractName('smith', { expect: true })).toBe('Smith');
    expect(extractName('mcdonald', { expect: true })).toBe('McDonald');
  });

  it.each([
    "i'm calling to book an appointment",
    'i am looking for a time tomorrow',
    'it is three pm',
    'it is tuesday',
    'this is about my appointment',
    'i am not sure',
    'book it for tomorrow',
    'for two people',
  ])('finds no name in "%s"', (text) => {
    expect(extractName(text)).toBeNull();
  });

  it.each(['yes', 'tomorrow at three', 'what are your opening hours', 'i want to cancel', 'never mind', 'no thanks', 'the fifth', 'the time'])(
    'rejects "%s" as a bare name',
    (text) => {
      expect(extractName(text, { expect: true })).toBeNull();
    },
  );
});
