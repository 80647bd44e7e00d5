import { describe, it, expect } from 'vitest';
import { CancellationDetector, findCorrectionMarker, toWords } from '../../src/turn/cancellation-detector.js';
import { defaultTurnSettings } from '../../src/turn/turn-inputs.js';

const MARKERS = defaultTurnSettings.correctionMarkers;

const CASES: Array<[text: string, expected: string | null]> = [
  ['no', 'no'],
  ['No, I said Tuesday', 'no'],
  ['NO!', 'no'],
  ['wait...', 'wait'],
  ['Wait, wait, wait', 'wait'],
  ['Actually—make it two', 'actually'],
  ['actually, yes', 'actually'],
  ['um, sorry, I meant Friday', 'sorry'],
  ['hold on', 'hold on'],
  ['Hold on a second', 'hold on'],
  ['hold, on...', 'hold on'],
  ['I mean the other one', 'i mean'],
  ['scratch that', 'scratch that'],
  ['Scratch that. Two pizzas', 'scratch that'],
  ['"No." she said', 'no'],
  ['(wait)', 'wait'],
  ['I know the answer', null],
  ['it might snow tomorrow', null],
  ['nobody told me', null],
  ['awaiting your reply', null],
  ['great sorrow', null],
  ['notice the note', null],
  ['hold the line', null],
  ['I will hold', null],
  ['on hold', null],
  ['meaning the blue one', null],
  ['that is a no-brainer', null],
  ['no-one came', null],
  ['', null],
  ['   ,,, ...', null],
  ['actually wait', 'actually'],
  ['wait actually', 'wait'],
  ['I want the blue one, no wait, the red one', 'no'],
  ['tell me more. Sorry!', 'sorry'],
  ['Nö', null],
  ['NO, WAIT', 'no'],
];

describe('findCorrectionMarker', () => {
  it.each(CASES)('%j -> %j', (text, expected) => {
    expect(findCorrectionMarker(text, MARKERS)).toBe(expected);
  });

  it('returns the marker as it is spelled in the list', () => {
    expect(findCorrectionMarker('hold on please', ['Hold On'])).toBe('Hold On');
    expect(findCorrectionMarker('HOLD   ON', ['hold on'])).toBe('hold on');
  });

  it('prefers the longer marker when two start at the same word', () => {
    expect(findCorrectionMarker('hold on there', ['hold', 'hold on'])).toBe('hold on');
    expect(findCorrectionMarker('hold it', ['hold', 'hold on'])).toBe('hold');
  });

  it('handles curly apostrophes in text and markers', () => {
    expect(findCorrectionMarker('that’s wrong', ["that's wrong"])).toBe("that's wrong");
    expect(findCorrectionMarker("that's wrong", ['that’s wrong'])).toBe('that’s wrong');
  });

  it('ignores blank markers and an empty list', () => {
    expect(findCorrectionMarker('no', ['', '  ', '!!'])).toBeNull();
    expect(findCorrectionMarker('no', [])).toBeNull();
  });
});

describe('toWords', () => {
  it('splits on punctuation and keeps word-internal apostrophes and hyphens', () => {
    expect(toWords("No, wait... it's a well-known—Actually!")).toEqual(['no', 'wait', "it's", 'a', 'well-known', 'actually']);
  });
});

describe('CancellationDetector.check', () => {
  const d = new CancellationDetector(MARKERS);

  it('reports a marker with nothing seen before', () => {
    expect(d.check('wait what')).toBe('wait');
  });

  it('does not fire again for a marker already in the handled text', () => {
    expect(d.check('no I want tea please', 'no I want tea')).toBeNull();
    expect(d.check('Actually, two coffees and a cake', 'actually two coffees')).toBeNull();
  });

  it('fires for a second occurrence of the same marker', () => {
    expect(d.check('no I want tea no', 'no I want tea')).toBe('no');
  });

  it('fires for a different new marker', () => {
    expect(d.check('no I want tea hold on', 'no I want tea')).toBe('hold on');
  });

  it('survives STT revising earlier words', () => {
    // the handled text had "wait"; the revised hypothesis moved it but added nothing new
    expect(d.check('weight wait for me', 'wait for me')).toBeNull();
    expect(d.check('wait for me sorry', 'wait four me')).toBe('sorry');
  });

  it('reports the earliest new occurrence when several are new', () => {
    expect(d.check('book it sorry wait no', 'book it')).toBe('sorry');
  });

  it('is not fooled by substrings in the new text', () => {
    expect(d.check('I know nobody awaiting', 'I')).toBeNull();
  });
});
