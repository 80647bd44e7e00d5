// The incremental WAV reader for espeak's `--stdout`: the same samples whatever the byte split,
// espeak's placeholder sizes accepted, and anything but mono PCM16 WAV refused early and clearly.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readWav, WavFormatError, writeWav } from '../../../src/audio/wav.js';
import { WavStreamReader } from '../../../src/providers/local/espeak-wav-stream.js';

function feed(bytes: Uint8Array, cuts: number[]): { samples: Int16Array; reader: WavStreamReader } {
  const reader = new WavStreamReader('espeak');
  const parts: Int16Array[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    parts.push(reader.push(bytes.subarray(at, cut)));
    at = cut;
  }
  reader.end();
  const samples = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    samples.set(p, o);
    o += p.length;
  }
  return { samples, reader };
}

const bytesOf = (s: Int16Array) => Buffer.from(s.buffer, s.byteOffset, s.byteLength);

const tone = Int16Array.from({ length: 501 }, (_, i) => Math.round(8000 * Math.sin(i / 7)));

describe('WavStreamReader', () => {
  it('reads real espeak-ng --stdout output (placeholder sizes) like readWav, split at every header byte', () => {
    const wav = new Uint8Array(execFileSync('espeak-ng', ['--stdout', 'Testing the header.']));
    // espeak cannot seek on a pipe, so the sizes stay at its placeholders.
    expect(Buffer.from(wav.subarray(40, 44)).readUInt32LE(0)).toBeGreaterThan(wav.length);
    const expected = readWav(wav).samples;
    expect(expected.length).toBeGreaterThan(10_000);
    for (let cut = 0; cut <= 60; cut++) {
      const { samples, reader } = feed(wav, [cut, cut + 1001]);
      expect(reader.format).toEqual({ sampleRate: 22050 });
      // A byte comparison: toEqual on 20k-sample arrays, 61 times, is needlessly slow.
      expect(samples.length).toBe(expected.length);
      expect(bytesOf(samples).equals(bytesOf(expected))).toBe(true);
    }
  });

  it('handles odd splits inside the samples and one byte at a time', () => {
    const wav = new Uint8Array(writeWav({ sampleRate: 16000, channels: 1, samples: tone }));
    expect(feed(wav, [45, 47, 48, 301]).samples).toEqual(tone);
    const reader = new WavStreamReader('espeak');
    const out: number[] = [];
    for (const byte of wav) out.push(...reader.push(Uint8Array.of(byte)));
    expect(Int16Array.from(out)).toEqual(tone);
    expect(reader.bytesReceived).toBe(wav.length);
  });

  it('skips chunks before data and takes its rate from the header', () => {
    const plain = new Uint8Array(writeWav({ sampleRate: 24000, channels: 1, samples: tone }));
    const list = new Uint8Array([...Buffer.from('LIST'), 3, 0, 0, 0, 1, 2, 3, 0]); // odd size, padded
    const withList = new Uint8Array([...plain.subarray(0, 36), ...list, ...plain.subarray(36)]);
    const { samples, reader } = feed(withList, [20, 40]);
    expect(samples).toEqual(tone);
    expect(reader.format).toEqual({ sampleRate: 24000 });
  });

  it('refuses non-WAV output on the first bytes', () => {
    const reader = new WavStreamReader('espeak');
    expect(() => reader.push(new TextEncoder().encode('Segmentation fault'))).toThrow(/expected a WAV stream.*Segm/);
  });

  it('refuses stereo, 8-bit and non-WAVE RIFF', () => {
    const stereo = new Uint8Array(writeWav({ sampleRate: 16000, channels: 2, samples: new Int16Array(8) }));
    expect(() => new WavStreamReader('espeak').push(stereo)).toThrow(/mono.*2 channels/);
    const eightBit = stereo.slice();
    const view = new DataView(eightBit.buffer);
    view.setUint16(22, 1, true);
    view.setUint16(34, 8, true);
    expect(() => new WavStreamReader('espeak').push(eightBit)).toThrow(/16-bit PCM/);
    const avi = stereo.slice();
    avi.set(new TextEncoder().encode('AVI '), 8);
    expect(() => new WavStreamReader('espeak').push(avi)).toThrow(WavFormatError);
  });

  it('reports a stream that ends inside the header, and accepts an empty one', () => {
    const wav = new Uint8Array(writeWav({ sampleRate: 16000, channels: 1, samples: tone }));
    const reader = new WavStreamReader('espeak');
    expect(reader.push(wav.subarray(0, 30)).length).toBe(0);
    expect(reader.format).toBeNull();
    expect(() => reader.end()).toThrow(/inside the WAV header after 30 bytes/);
    expect(() => new WavStreamReader('espeak').end()).not.toThrow();
  });

  it('gives up on a header that never reaches a data chunk', () => {
    const wav = new Uint8Array(writeWav({ sampleRate: 16000, channels: 1, samples: tone }));
    const big = new Uint8Array(8 + 5000);
    big.set(new TextEncoder().encode('junk'));
    new DataView(big.buffer).setUint32(4, 5000, true);
    const bytes = new Uint8Array([...wav.subarray(0, 36), ...big]);
    expect(() => new WavStreamReader('espeak').push(bytes)).toThrow(/no WAV data chunk within/);
  });
});
