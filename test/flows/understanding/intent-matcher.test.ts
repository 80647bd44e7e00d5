import { describe, expect, it } from 'vitest';
import { IntentMatcher, jaroWinkler, levenshtein, loadFlowSync, stem, wordSimilarity } from '../../../src/flows/index.js';

const flow = loadFlowSync('flows/receptionist.yaml');
const matcher = new IntentMatcher(flow.intents);
const TOP = ['book', 'move', 'cancel', 'hours', 'human', 'goodbye', 'restart'];

describe('IntentMatcher', () => {
  it.each([
    ["i'd like to book an appointment", 'book'],
    ['i wanna make an appointment', 'book'],
    ['can i schedule a visit', 'book'],
    ['i need to reschedule', 'move'],
    ['i need to move my appointment to friday', 'move'],
    ['cancel my booking please', 'cancel'],
    ['what are your opening hours', 'hours'],
    ['when are you guys open', 'hours'],
    ['could you tell me when you are open', 'hours'],
    ['can i speak to a real person', 'human'],
    ['operator', 'human'],
    ['bye', 'goodbye'],
    ["that's all thank you bye", 'goodbye'],
    ['start over', 'restart'],
  ])('"%s" → %s', (text, intent) => {
    expect(matcher.match(text, TOP)?.intent).toBe(intent);
  });

  it.each([
    // ASR slips: a wrong word of similar spelling, split or merged words, dropped letters.
    ['cancer my appointment', 'cancel'],
    ['book and appointment', 'book'],
    ['re schedule my appointment', 'move'],
    ['what are you opening ours', 'hours'],
    ['good bye', 'goodbye'],
    ['start all over', 'restart'],
    // Typed typos.
    ['cancle my apointment', 'cancel'],
    ['opning hours', 'hours'],
    ['resheduel my apointment', 'move'],
    ['tlak to a humen', 'human'],
  ])('tolerates "%s" → %s', (text, intent) => {
    expect(matcher.match(text, TOP)?.intent).toBe(intent);
  });

  it.each(['the weather is lovely', 'tomorrow at three', 'john smith', 'yes please', 'purple monkey dishwasher', ''])('matches nothing for "%s"', (text) => {
    expect(matcher.match(text, TOP)).toBeNull();
  });

  it('ranks only the intents asked for', () => {
    const ranked = matcher.rank('cancel my appointment', ['book', 'move']);
    expect(ranked.map((r) => r.intent).sort()).toEqual(['book', 'move']);
    expect(ranked[0].score).toBeLessThan(0.75);
  });

  it('gives an exact example a perfect score and names it', () => {
    expect(matcher.rank('opening hours', TOP)[0]).toEqual({ intent: 'hours', score: 1, example: 'opening hours' });
  });

  it('refuses a near tie between two intents', () => {
    const tie = new IntentMatcher({ a: ['blue car'], b: ['blue cat'] });
    expect(tie.match('blue ca')).toBeNull();
    expect(tie.match('blue car')?.intent).toBe('a');
  });
});

describe('word similarity', () => {
  it('computes Jaro-Winkler and Levenshtein', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.961, 3);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(levenshtein('kitten', 'sitting')).toBe(3);
  });

  it('needs exact matches for very short words and numbers', () => {
    expect(wordSimilarity('on', 'an')).toBe(0);
    expect(wordSimilarity('15', '16')).toBe(0);
    expect(wordSimilarity('appointment', 'apointment')).toBeGreaterThan(0.9);
  });

  it('stems word endings so forms meet', () => {
    expect(['booking', 'booked', 'books'].map(stem)).toEqual(['book', 'book', 'book']);
    expect(stem('hours')).toBe('hour');
    expect(stem('appointments')).toBe('appointment');
  });
});
