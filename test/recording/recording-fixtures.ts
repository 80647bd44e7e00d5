// Shared pieces of the recording tests: tones on the recording's timeline, a temp folder, and a
// recording read back and split into its two channels.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWav, type WavAudio } from '../../src/audio/wav.js';

export const RATE = 16000;
export const FRAME = 320;
export const CALLER_HZ = 440;
export const AGENT_HZ = 1000;

/** Frames (samples per channel) in `ms` at 16 kHz. */
export function at(ms: number): number {
  return (ms * RATE) / 1000;
}

/** A tone whose phase follows absolute sample index `from`, so any slice is predictable. */
export function tone(hz: number, from: number, count: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * hz * (from + i)) / RATE));
  return out;
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'parley-recording-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type Recording = { wav: WavAudio; left: Int16Array; right: Int16Array };

export function readRecording(path: string): Recording {
  const wav = readWav(new Uint8Array(readFileSync(path)));
  const frames = wav.samples.length / wav.channels;
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0; i < frames; i++) {
    left[i] = wav.samples[i * wav.channels];
    right[i] = wav.samples[i * wav.channels + 1];
  }
  return { wav, left, right };
}

/** The first index where the two differ (or where one ends early), or -1 when they are equal. */
export function firstMismatch(actual: Int16Array, expected: Int16Array): number {
  const n = Math.min(actual.length, expected.length);
  for (let i = 0; i < n; i++) if (actual[i] !== expected[i]) return i;
  return actual.length === expected.length ? -1 : n;
}

/** 20 ms blocks (by index) holding any non-zero sample. */
export function soundingBlocks(channel: Int16Array): number[] {
  const blocks: number[] = [];
  for (let b = 0; b * FRAME < channel.length; b++) {
    const block = channel.subarray(b * FRAME, (b + 1) * FRAME);
    if (block.some((s) => s !== 0)) blocks.push(b);
  }
  return blocks;
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
