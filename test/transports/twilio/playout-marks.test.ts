// Playout accounting from Twilio marks: audio sent after the last echoed mark is unplayed; a clear
// means nothing is pending and the marks echoed for it say nothing.
import { describe, expect, it } from 'vitest';
import { PlayoutMarks } from '../../../src/transports/twilio/playout-marks.js';

function send(marks: PlayoutMarks, frames: number, sent: string[]): void {
  for (let i = 0; i < frames; i++) if (marks.sent(20)) sent.push(marks.nextMark());
}

describe('PlayoutMarks', () => {
  it('asks for a mark every N frames and counts what the echoes cover', () => {
    const marks = new PlayoutMarks(5);
    const names: string[] = [];
    send(marks, 12, names);
    expect(names).toEqual(['parley-1', 'parley-2']);
    expect(marks.unplayedMs()).toBe(240);
    expect(marks.echoed('parley-1')).toBe('played');
    expect(marks.unplayedMs()).toBe(140);
    expect(marks.unmarked).toBe(true);
    names.push(marks.nextMark());
    // An echo covers every earlier mark, even one whose echo was never seen.
    expect(marks.echoed('parley-3')).toBe('played');
    expect(marks.unplayedMs()).toBe(0);
    expect(marks.drained).toBe(true);
    expect(marks.echoed('parley-2')).toBe('stale');
  });

  it('after a clear, nothing is unplayed and the returned marks are stale', () => {
    const marks = new PlayoutMarks(2);
    const names: string[] = [];
    send(marks, 7, names);
    expect(marks.unplayedMs()).toBe(140);
    marks.cleared();
    expect(marks.unplayedMs()).toBe(0);
    expect(marks.drained).toBe(true);
    for (const n of names) expect(marks.echoed(n)).toBe('stale');
    send(marks, 2, names);
    expect(marks.unplayedMs()).toBe(40);
    expect(marks.echoed(names.at(-1)!)).toBe('played');
    expect(marks.unplayedMs()).toBe(0);
  });

  it('ignores marks it did not send', () => {
    const marks = new PlayoutMarks(1);
    send(marks, 1, []);
    expect(marks.echoed('utt-7')).toBe('unknown');
    expect(marks.echoed('parley-9')).toBe('unknown');
    expect(marks.echoed('parley-x')).toBe('unknown');
    expect(marks.unplayedMs()).toBe(20);
    expect(() => new PlayoutMarks(0)).toThrow(RangeError);
  });
});
