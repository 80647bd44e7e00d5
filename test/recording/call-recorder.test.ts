// CallRecorder alignment: caller left, agent right, on one timeline from the call's start, driven
// by a virtual clock and the real Playout pacing the agent's audio (including a barge-in).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { VirtualClock } from '../../src/clock.js';
import { Playout } from '../../src/session/playout.js';
import { CallRecorder } from '../../src/recording/call-recorder.js';
import { AGENT_HZ, CALLER_HZ, FRAME, RATE, at, firstMismatch, range, readRecording, soundingBlocks, tempDir, tone } from './recording-fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Caller audio as a function of the timeline: the tone wherever `sounding(ms)` says so. */
function callerTimeline(totalMs: number, sounding: (ms: number) => boolean): Int16Array {
  const out = new Int16Array(at(totalMs));
  const t = tone(CALLER_HZ, 0, out.length);
  for (let i = 0; i < out.length; i++) if (sounding((i * 1000) / RATE)) out[i] = t[i];
  return out;
}

describe('CallRecorder', () => {
  it('puts the caller left and the agent right at their times, through a gap and a barge-in', async () => {
    const clock = new VirtualClock(5000);
    const startAt = clock.now();
    const path = join(tmp.dir, 'call.wav');
    const errors: Error[] = [];
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt, onError: (e) => errors.push(e) });
    const playout = new Playout({
      clock,
      sampleRate: RATE,
      send: (frame, dueAt) => rec.agent(frame, dueAt),
      events: { onStarted: () => {}, onFinished: () => {} },
    });

    // The caller starts talking 100 ms in; the network loses 2000..2500 ms; the caller stops at 4000.
    const callerSounds = (ms: number) => (ms >= 100 && ms < 2000) || (ms >= 2500 && ms < 4000);
    const caller = callerTimeline(4000, () => true);
    const replyA = tone(AGENT_HZ, 0, at(1000), 6000);
    const replyB = tone(AGENT_HZ, 7, at(1000), 6000);

    for (let ms = 0; ms <= 4500; ms += 10) {
      clock.advanceTo(startAt + ms);
      if (ms === 500) {
        playout.push('a', replyA);
        playout.end('a');
      }
      if (ms === 3000) {
        playout.push('b', replyB);
        playout.end('b');
      }
      if (ms === 3190) playout.clear(); // barge-in: the rest of reply b is never sent
      // A caller frame covering [ms-20, ms) arrives at ms.
      if (ms % 20 === 0 && ms >= 20 && callerSounds(ms - 20)) {
        rec.caller(caller.slice(at(ms - 20), at(ms)), clock.now());
      }
    }
    const result = await rec.close(clock.now());
    expect(errors).toEqual([]);
    expect(result.error).toBeNull();
    expect(result.durationMs).toBe(4500);
    expect(result.droppedMs).toBe(0);

    const { wav, left, right } = readRecording(path);
    expect(wav.channels).toBe(2);
    expect(wav.sampleRate).toBe(RATE);
    expect(wav.bitsPerSample).toBe(16);
    expect(left.length).toBe(at(4500));
    expect(result.bytes).toBe(44 + at(4500) * 4);

    // Where each channel sounds, in 20 ms blocks: the caller's tone, the gap silent; reply a from
    // 500 ms for 1 s; reply b from 3000 ms until the barge-in (10 frames sent by 3190 ms).
    expect(soundingBlocks(left)).toEqual([...range(5, 100), ...range(125, 200)]);
    expect(soundingBlocks(right)).toEqual([...range(25, 75), ...range(150, 160)]);

    // Sample for sample.
    const expectedLeft = callerTimeline(4500, callerSounds);
    expect(firstMismatch(left, expectedLeft)).toBe(-1);
    const expectedRight = new Int16Array(at(4500));
    expectedRight.set(replyA, at(500));
    expectedRight.set(replyB.subarray(0, 10 * FRAME), at(3000));
    expect(firstMismatch(right, expectedRight)).toBe(-1);
  });

  it('keeps the caller continuous through jitter, 100 ms chunks and a burst after a stall', async () => {
    const clock = new VirtualClock(0);
    const startAt = 250;
    const path = join(tmp.dir, 'call.wav');
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt });
    const caller = callerTimeline(6000, () => true);
    const frameAt = (ms: number) => caller.slice(at(ms), at(ms) + FRAME);
    let last = startAt;
    const arrive = (ms: number, arrivalMs: number) => {
      // One clock: arrivals never go backwards.
      last = Math.max(last, startAt + arrivalMs);
      clock.advanceTo(last);
      rec.caller(frameAt(ms), clock.now());
    };
    // 0..2000 ms: 20 ms frames with up to 30 ms of jitter.
    for (let ms = 0; ms < 2000; ms += 20) arrive(ms, ms + 20 + ((ms / 20) % 3) * 15);
    // 2000..3000 ms: 100 ms chunks, each split into five frames that arrive together.
    for (let ms = 2000; ms < 3000; ms += 20) arrive(ms, Math.floor(ms / 100) * 100 + 100);
    // 3000..4000 ms in time; then a 600 ms stall: 4000..4600 ms all arrive at 4620 with the next frame.
    for (let ms = 3000; ms < 4000; ms += 20) arrive(ms, ms + 20);
    for (let ms = 4000; ms < 6000; ms += 20) arrive(ms, Math.max(4620, ms + 20));
    const result = await rec.close();
    expect(result.error).toBeNull();
    expect(result.durationMs).toBe(6000);
    const { left, right } = readRecording(path);
    // Audio that was delayed (not lost) inserts no silence: the caller stays on its own timeline.
    expect(firstMismatch(left, caller)).toBe(-1);
    expect(soundingBlocks(right)).toEqual([]);
  });

  it('places a late agent frame right after the one before it, never over it', async () => {
    const path = join(tmp.dir, 'call.wav');
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt: 0 });
    const f1 = tone(AGENT_HZ, 0, FRAME);
    const f2 = tone(AGENT_HZ, 5, FRAME);
    const f3 = tone(AGENT_HZ, 9, FRAME);
    rec.agent(f1, 1000);
    rec.agent(f2, 1010); // overlaps f1: goes at 1020
    rec.agent(f3, 1100);
    const result = await rec.close(1200);
    expect(result.durationMs).toBe(1200);
    const { left, right } = readRecording(path);
    const expected = new Int16Array(at(1200));
    expected.set(f1, at(1000));
    expected.set(f2, at(1020));
    expected.set(f3, at(1100));
    expect(firstMismatch(right, expected)).toBe(-1);
    expect(soundingBlocks(left)).toEqual([]);
  });

  it('stops recording at maxDurationMs', async () => {
    const path = join(tmp.dir, 'call.wav');
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt: 0, maxDurationMs: 1000 });
    const caller = callerTimeline(2000, () => true);
    for (let ms = 0; ms < 2000; ms += 20) rec.caller(caller.slice(at(ms), at(ms + 20)), ms + 20);
    rec.agent(tone(AGENT_HZ, 0, FRAME), 1500);
    const result = await rec.close(2000);
    expect(result.durationMs).toBe(1000);
    const { left, right } = readRecording(path);
    expect(firstMismatch(left, caller.subarray(0, at(1000)))).toBe(-1);
    expect(soundingBlocks(right)).toEqual([]);
  });

  it('refuses bad options with a clear error', () => {
    const path = join(tmp.dir, 'x.wav');
    expect(() => new CallRecorder({ path: '', sampleRate: RATE, startAt: 0 })).toThrow(/path is empty/);
    expect(() => new CallRecorder({ path, sampleRate: 0, startAt: 0 })).toThrow(/sample rate/);
    expect(() => new CallRecorder({ path, sampleRate: RATE, startAt: Number.NaN })).toThrow(/startAt/);
    expect(() => new CallRecorder({ path, sampleRate: RATE, startAt: 0, maxDurationMs: -1 })).toThrow(/maxDurationMs/);
  });
});
