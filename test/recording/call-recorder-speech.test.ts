// CallRecorder with real speech (flite): the caller's words on the left and the agent's on the
// right, sample for sample at their offsets, checked once more with sox reading the file.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { VirtualClock } from '../../src/clock.js';
import { Playout } from '../../src/session/playout.js';
import { CallRecorder } from '../../src/recording/call-recorder.js';
import { speak } from '../helpers/speech.js';
import { FRAME, RATE, at, firstMismatch, readRecording, tempDir } from './recording-fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

/** Pads to whole 20 ms frames, as the session's frame assembler delivers them. */
function wholeFrames(samples: Int16Array): Int16Array {
  const out = new Int16Array(Math.ceil(samples.length / FRAME) * FRAME);
  out.set(samples);
  return out;
}

describe('CallRecorder with real speech', () => {
  it('records the caller and the agent speaking, each at its offset', async () => {
    const callerSpeech = wholeFrames(speak('I would like to book a table for two on Friday evening, please.'));
    const agentSpeech = speak('Certainly. Which time would suit you best?');
    expect(callerSpeech.length).toBeGreaterThan(at(1500));
    expect(agentSpeech.length).toBeGreaterThan(at(1000));

    const clock = new VirtualClock(12_345);
    const startAt = clock.now();
    const path = join(tmp.dir, 'speech.wav');
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt });
    const playout = new Playout({
      clock,
      sampleRate: RATE,
      send: (frame, dueAt) => rec.agent(frame, dueAt),
      events: { onStarted: () => {}, onFinished: () => {} },
    });
    // The caller speaks from 300 ms; the agent answers at 1000 ms and is cut off at 1990 ms.
    const callerFrom = 300;
    const callerMs = (callerSpeech.length / RATE) * 1000;
    const endMs = callerFrom + callerMs + 500;
    for (let ms = 0; ms <= endMs; ms += 10) {
      clock.advanceTo(startAt + ms);
      if (ms === 1000) playout.push('reply', agentSpeech);
      if (ms === 1990) playout.clear();
      const frameStart = ms - 20 - callerFrom;
      if (ms % 20 === 0 && frameStart >= 0 && frameStart < callerMs) {
        rec.caller(callerSpeech.slice(at(frameStart), at(frameStart) + FRAME), clock.now());
      }
    }
    const result = await rec.close(clock.now());
    expect(result.error).toBeNull();
    expect(result.durationMs).toBe(endMs);

    const { left, right } = readRecording(path);
    const expectedLeft = new Int16Array(at(endMs));
    expectedLeft.set(callerSpeech, at(callerFrom));
    expect(firstMismatch(left, expectedLeft)).toBe(-1);
    const expectedRight = new Int16Array(at(endMs));
    expectedRight.set(agentSpeech.subarray(0, at(1000)), at(1000));
    expect(firstMismatch(right, expectedRight)).toBe(-1);

    // An independent reader: sox takes the left channel out of the file.
    const soxLeft = execFileSync('sox', [path, '-t', 'raw', '-e', 'signed', '-b', '16', '-', 'remix', '1'], { maxBuffer: 64 * 1024 * 1024 });
    const soxSamples = new Int16Array(new Uint8Array(soxLeft).buffer, 0, soxLeft.length / 2);
    expect(firstMismatch(soxSamples, expectedLeft)).toBe(-1);
  });
});
