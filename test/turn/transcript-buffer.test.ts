import { describe, it, expect } from 'vitest';
import { TranscriptBuffer } from '../../src/turn/transcript-buffer.js';

describe('TranscriptBuffer merging', () => {
  it('starts empty', () => {
    const b = new TranscriptBuffer();
    expect(b.isEmpty()).toBe(true);
    expect(b.text).toBe('');
    expect(b.finalText).toBe('');
    expect(b.partial).toBe('');
    expect(b.finals).toEqual([]);
    expect(b.confidence).toBe(0);
    expect(b.locked).toBe(false);
    expect(b.updatedAt).toBeNull();
  });

  it('merges finals then the partial with single spaces', () => {
    const b = new TranscriptBuffer();
    expect(b.setPartial('i want', 10)).toBe(true);
    expect(b.text).toBe('i want');
    expect(b.addFinal({ text: 'I want a', confidence: 0.9 }, 20)).toBe(true);
    expect(b.partial).toBe('');
    expect(b.setPartial('large pizza', 30)).toBe(true);
    expect(b.text).toBe('I want a large pizza');
    expect(b.finalText).toBe('I want a');
    expect(b.addFinal({ text: 'large pizza', confidence: 0.8 }, 40)).toBe(true);
    expect(b.text).toBe('I want a large pizza');
    expect(b.finals).toEqual([
      { text: 'I want a', confidence: 0.9, receivedAt: 20 },
      { text: 'large pizza', confidence: 0.8, receivedAt: 40 },
    ]);
    expect(b.updatedAt).toBe(40);
  });

  it('normalises whitespace in partials and finals', () => {
    const b = new TranscriptBuffer();
    b.addFinal({ text: '  hello\n\tthere  ', confidence: 1 }, 1);
    b.setPartial('   how   are\nyou ', 2);
    expect(b.text).toBe('hello there how are you');
    expect(b.finals[0].text).toBe('hello there');
    expect(b.partial).toBe('how are you');
  });

  it('reports whether a partial changed the text', () => {
    const b = new TranscriptBuffer();
    expect(b.setPartial('hello', 1)).toBe(true);
    expect(b.setPartial(' hello ', 2)).toBe(false);
    expect(b.updatedAt).toBe(1);
    expect(b.setPartial('', 3)).toBe(true);
    expect(b.text).toBe('');
    expect(b.isEmpty()).toBe(true);
  });

  it('ignores blank finals and keeps the partial then', () => {
    const b = new TranscriptBuffer();
    b.setPartial('uh', 1);
    expect(b.addFinal({ text: '   ', confidence: 0.5 }, 2)).toBe(false);
    expect(b.addFinal({ text: '', confidence: 0.5 }, 2)).toBe(false);
    expect(b.finals).toHaveLength(0);
    expect(b.partial).toBe('uh');
  });

  it('keeps timings on finals', () => {
    const b = new TranscriptBuffer();
    b.addFinal({ text: 'yes', confidence: 0.7, startMs: 100, endMs: 400 }, 450);
    expect(b.finals[0]).toEqual({ text: 'yes', confidence: 0.7, startMs: 100, endMs: 400, receivedAt: 450 });
  });
});

describe('TranscriptBuffer confidence', () => {
  it('weights by duration when every final has one', () => {
    const b = new TranscriptBuffer();
    b.addFinal({ text: 'a', confidence: 1, startMs: 0, endMs: 300 }, 1);
    b.addFinal({ text: 'much longer text here', confidence: 0.5, startMs: 300, endMs: 400 }, 2);
    // (1*300 + 0.5*100) / 400
    expect(b.confidence).toBeCloseTo(0.875, 12);
  });

  it('weights by text length when any final lacks a duration', () => {
    const b = new TranscriptBuffer();
    b.addFinal({ text: 'abc', confidence: 1, startMs: 0, endMs: 300 }, 1);
    b.addFinal({ text: 'a', confidence: 0.2 }, 2);
    // (1*3 + 0.2*1) / 4
    expect(b.confidence).toBeCloseTo(0.8, 12);
  });

  it('falls back to length for zero-length durations', () => {
    const b = new TranscriptBuffer();
    b.addFinal({ text: 'ab', confidence: 0.4, startMs: 5, endMs: 5 }, 1);
    b.addFinal({ text: 'abcdef', confidence: 0.8, startMs: 5, endMs: 10 }, 2);
    expect(b.confidence).toBeCloseTo((0.4 * 2 + 0.8 * 6) / 8, 12);
  });
});

describe('TranscriptBuffer locking', () => {
  function committed(): TranscriptBuffer {
    const b = new TranscriptBuffer();
    b.addFinal({ text: 'book a table', confidence: 0.9 }, 100);
    b.lock();
    return b;
  }

  it('holds partials and finals as pending while locked without changing the text', () => {
    const b = committed();
    expect(b.locked).toBe(true);
    expect(b.setPartial('for', 200)).toBe(false);
    expect(b.setPartial('for two', 210)).toBe(false);
    expect(b.text).toBe('book a table');
    expect(b.pendingText).toBe('for two');
    expect(b.addFinal({ text: 'for two people', confidence: 0.8 }, 220)).toBe(false);
    expect(b.setPartial('at eight', 230)).toBe(false);
    expect(b.text).toBe('book a table');
    expect(b.finals).toHaveLength(1);
    expect(b.updatedAt).toBe(100);
    expect(b.pendingText).toBe('for two people at eight');
    expect(b.hasPending()).toBe(true);
  });

  it('merges pending speech in order on unlock', () => {
    const b = committed();
    b.setPartial('for', 200);
    b.addFinal({ text: 'for two', confidence: 0.8 }, 220);
    b.addFinal({ text: 'people', confidence: 0.7 }, 240);
    b.setPartial('at eight', 260);
    expect(b.unlock()).toBe(true);
    expect(b.locked).toBe(false);
    expect(b.text).toBe('book a table for two people at eight');
    expect(b.finals.map((f) => [f.text, f.receivedAt])).toEqual([
      ['book a table', 100],
      ['for two', 220],
      ['people', 240],
    ]);
    expect(b.partial).toBe('at eight');
    expect(b.updatedAt).toBe(260);
    expect(b.hasPending()).toBe(false);
    expect(b.pendingText).toBe('');
  });

  it('ignores blank finals while locked too', () => {
    const b = committed();
    expect(b.addFinal({ text: '  ', confidence: 1 }, 5)).toBe(false);
    expect(b.hasPending()).toBe(false);
    expect(b.unlock()).toBe(false);
  });

  it('unlock without pending speech changes nothing', () => {
    const b = committed();
    expect(b.unlock()).toBe(false);
    expect(b.text).toBe('book a table');
    expect(b.unlock()).toBe(false);
  });

  it('keeps the partial that was showing when it locked', () => {
    const b = new TranscriptBuffer();
    b.setPartial('hello', 1);
    b.lock();
    b.setPartial('hello there', 2);
    expect(b.text).toBe('hello');
    b.unlock();
    expect(b.text).toBe('hello there');
  });

  it('clear drops text and pending speech and unlocks', () => {
    const b = committed();
    b.setPartial('more', 300);
    b.clear();
    expect(b.locked).toBe(false);
    expect(b.isEmpty()).toBe(true);
    expect(b.hasPending()).toBe(false);
    expect(b.unlock()).toBe(false);
    expect(b.text).toBe('');
    expect(b.setPartial('next turn', 400)).toBe(true);
    expect(b.text).toBe('next turn');
  });

  it('clearCommitted keeps the pending speech as the next turn', () => {
    const b = committed();
    b.addFinal({ text: 'stop', confidence: 0.6 }, 300);
    b.setPartial('I meant', 310);
    expect(b.clearCommitted()).toBe(true);
    expect(b.locked).toBe(false);
    expect(b.text).toBe('stop I meant');
    expect(b.finals.map((f) => f.text)).toEqual(['stop']);
  });

  it('isEmpty ignores pending speech', () => {
    const b = new TranscriptBuffer();
    b.lock();
    b.setPartial('hi', 1);
    expect(b.isEmpty()).toBe(true);
    b.unlock();
    expect(b.isEmpty()).toBe(false);
  });
});
