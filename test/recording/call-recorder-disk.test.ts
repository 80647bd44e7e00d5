// CallRecorder and the disk: a ten-minute call in bounded memory, a disk that falls behind (audio
// dropped and counted, the timeline intact), disk errors (reported once, never thrown), and the
// header of a file read before the call ended.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readWav } from '../../src/audio/wav.js';
import { CallRecorder } from '../../src/recording/call-recorder.js';
import { repairWavSizes } from '../../src/recording/wav-stream-header.js';
import { AGENT_HZ, CALLER_HZ, FRAME, RATE, at, firstMismatch, readRecording, tempDir, tone } from './recording-fixtures.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.remove());

const TEN_MINUTES_MS = 10 * 60 * 1000;
/** The recorder's fixed window: 3 s of stereo PCM16 at 16 kHz. */
const WINDOW_BYTES = at(3000) * 4;

/**
 * Feeds a ten-minute call: the caller's tone throughout, and a 2 s agent reply every 10 s.
 * `pause` runs after every second of audio; returns the most memory the recorder held.
 */
async function feedTenMinutes(rec: CallRecorder, pause: () => Promise<void> | void): Promise<number> {
  let maxBuffered = 0;
  const agentFrame = tone(AGENT_HZ, 0, FRAME, 6000);
  const callerFrame = new Int16Array(FRAME);
  for (let ms = 0; ms < TEN_MINUTES_MS; ms += 20) {
    const from = at(ms);
    for (let i = 0; i < FRAME; i++) callerFrame[i] = Math.round(8000 * Math.sin((2 * Math.PI * CALLER_HZ * (from + i)) / RATE));
    rec.caller(callerFrame.slice(), ms + 20);
    if (ms % 10_000 < 2000) rec.agent(agentFrame, ms);
    maxBuffered = Math.max(maxBuffered, rec.bufferedBytes);
    if (ms % 1000 === 980) await pause();
  }
  return maxBuffered;
}

function expectedTenMinutes(): { left: Int16Array; right: Int16Array } {
  const left = tone(CALLER_HZ, 0, at(TEN_MINUTES_MS));
  const right = new Int16Array(left.length);
  const agentFrame = tone(AGENT_HZ, 0, FRAME, 6000);
  for (let ms = 0; ms < TEN_MINUTES_MS; ms += 20) if (ms % 10_000 < 2000) right.set(agentFrame, at(ms));
  return { left, right };
}

describe('CallRecorder on disk', () => {
  it('records ten minutes in bounded memory when the disk keeps up', async () => {
    const path = join(tmp.dir, 'long.wav');
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt: 0 });
    const maxBuffered = await feedTenMinutes(rec, () => rec.drain());
    // The window, plus what reached the disk queue since the last drain: a second of audio, and the
    // second held back for a quiet agent channel, let go when the agent speaks again.
    expect(maxBuffered).toBeLessThanOrEqual(WINDOW_BYTES + at(2000) * 4);
    const result = await rec.close();
    expect(result.error).toBeNull();
    expect(result.droppedMs).toBe(0);
    expect(result.durationMs).toBe(TEN_MINUTES_MS);
    expect(statSync(path).size).toBe(44 + at(TEN_MINUTES_MS) * 4);
    expect(result.bytes).toBe(statSync(path).size);
    const { left, right } = readRecording(path);
    const expected = expectedTenMinutes();
    expect(firstMismatch(left, expected.left)).toBe(-1);
    expect(firstMismatch(right, expected.right)).toBe(-1);
  });

  it('drops audio, counted, when the disk falls behind, and keeps the timeline whole', async () => {
    const path = join(tmp.dir, 'behind.wav');
    const maxQueuedBytes = 256 * 1024;
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt: 0, maxQueuedBytes });
    // Never yielding: no write can finish while ten minutes of audio arrive.
    const maxBuffered = await feedTenMinutes(rec, () => {});
    expect(maxBuffered).toBeLessThanOrEqual(WINDOW_BYTES + maxQueuedBytes);
    expect(rec.droppedMs).toBeGreaterThan(0);
    const result = await rec.close();
    expect(result.error).toBeNull();
    expect(result.durationMs).toBe(TEN_MINUTES_MS);
    // What was not dropped is in the file at its place; the dropped rest became silence.
    const kept = at(TEN_MINUTES_MS - result.droppedMs);
    expect(kept).toBeGreaterThan(0);
    const { left, right } = readRecording(path);
    const expected = expectedTenMinutes();
    expect(firstMismatch(left.subarray(0, kept), expected.left.subarray(0, kept))).toBe(-1);
    expect(firstMismatch(right.subarray(0, kept), expected.right.subarray(0, kept))).toBe(-1);
    expect(left.subarray(kept).every((s) => s === 0)).toBe(true);
    expect(right.subarray(kept).every((s) => s === 0)).toBe(true);
  });

  it('reports a missing folder once, never throws, and leaves no file', async () => {
    const path = join(tmp.dir, 'no', 'such', 'folder', 'call.wav');
    const errors: Error[] = [];
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt: 0, onError: (e) => errors.push(e) });
    const frame = tone(CALLER_HZ, 0, FRAME);
    for (let ms = 0; ms < 3000; ms += 20) rec.caller(frame, ms + 20);
    await rec.drain();
    for (let ms = 3000; ms < 6000; ms += 20) {
      rec.caller(frame, ms + 20);
      rec.agent(frame, ms);
    }
    const result = await rec.close();
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOENT');
    expect(rec.failed).toBe(true);
    expect(result.error).toBe(errors[0]);
    expect(result.bytes).toBe(0);
    expect(result.durationMs).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it.skipIf(!existsSync('/dev/full'))('reports a full disk once and removes what it wrote', async () => {
    // A link to /dev/full: opening works, every write fails with ENOSPC.
    const path = join(tmp.dir, 'full.wav');
    symlinkSync('/dev/full', path);
    const errors: Error[] = [];
    const rec = new CallRecorder({
      path,
      sampleRate: RATE,
      startAt: 0,
      onError: (e) => {
        errors.push(e);
        throw new Error('a broken handler must not reach the call either');
      },
    });
    const frame = tone(CALLER_HZ, 0, FRAME);
    for (let ms = 0; ms < 5000; ms += 20) {
      rec.caller(frame, ms + 20);
      if (ms % 1000 === 0) await rec.drain();
    }
    const result = await rec.close(5000);
    expect(errors).toHaveLength(1);
    expect((errors[0] as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(result.error).toBe(errors[0]);
    expect(existsSync(path)).toBe(false);
    expect(existsSync('/dev/full')).toBe(true);
  });

  it('leaves a readable WAV with placeholder sizes mid-call, and exact sizes after close', async () => {
    const path = join(tmp.dir, 'mid.wav');
    const rec = new CallRecorder({ path, sampleRate: RATE, startAt: 0 });
    const caller = tone(CALLER_HZ, 0, at(5000));
    for (let ms = 0; ms < 5000; ms += 20) rec.caller(caller.slice(at(ms), at(ms + 20)), ms + 20);
    await rec.drain();

    // As a crash would leave it: sizes unknown, the audio so far readable.
    const mid = readFileSync(path);
    expect(mid.readUInt32LE(4)).toBe(0xffffffff);
    expect(mid.readUInt32LE(40)).toBe(0xffffffff);
    const partial = readWav(new Uint8Array(mid));
    expect(partial.channels).toBe(2);
    const frames = partial.samples.length / 2;
    expect(frames).toBeGreaterThan(0);
    expect(frames).toBeLessThan(at(5000));
    for (let i = 0; i < frames; i += 997) expect(partial.samples[i * 2]).toBe(caller[i]);

    // repairWavSizes makes such a file exact without the recorder.
    const copy = join(tmp.dir, 'crashed.wav');
    writeFileSync(copy, mid);
    expect(await repairWavSizes(copy)).toBe(true);
    const repaired = readFileSync(copy);
    expect(repaired.readUInt32LE(40)).toBe(mid.length - 44);
    expect(repaired.readUInt32LE(4)).toBe(mid.length - 8);

    const result = await rec.close();
    const done = readFileSync(path);
    expect(done.readUInt32LE(40)).toBe(at(5000) * 4);
    expect(done.readUInt32LE(4)).toBe(36 + at(5000) * 4);
    expect(result.bytes).toBe(done.length);
  });
});
