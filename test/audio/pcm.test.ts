import { describe, it, expect } from 'vitest';
import {
  AudioFormatError,
  DEFAULT_SAMPLE_RATE,
  FRAME_MS,
  SUPPORTED_SAMPLE_RATES,
  clampToInt16,
  concatPcm,
  float32ToInt16,
  int16ToFloat32,
  isSupportedSampleRate,
  msToSamples,
  pcm16FromBytes,
  pcm16ToBytes,
  samplesPerFrame,
  samplesToMs,
} from '../../src/audio/pcm.js';

describe('constants and frame arithmetic', () => {
  it('defines the internal format', () => {
    expect(FRAME_MS).toBe(20);
    expect(DEFAULT_SAMPLE_RATE).toBe(16000);
    expect([...SUPPORTED_SAMPLE_RATES]).toEqual([8000, 16000, 22050, 24000, 44100, 48000]);
  });

  it('gives whole samples per 20 ms frame for every supported rate', () => {
    expect(SUPPORTED_SAMPLE_RATES.map(samplesPerFrame)).toEqual([160, 320, 441, 480, 882, 960]);
  });

  it('rejects rates with no whole number of samples per frame', () => {
    expect(() => samplesPerFrame(11025)).toThrow(RangeError);
    expect(() => samplesPerFrame(0)).toThrow(RangeError);
  });

  it('converts between samples and milliseconds', () => {
    expect(samplesToMs(320, 16000)).toBe(20);
    expect(samplesToMs(441, 22050)).toBe(20);
    expect(samplesToMs(1, 8000)).toBe(0.125);
    expect(msToSamples(20, 48000)).toBe(960);
    expect(msToSamples(1000, 44100)).toBe(44100);
    expect(msToSamples(0.1, 16000)).toBe(2); // 1.6 rounds to 2
  });

  it('recognises supported rates', () => {
    expect(isSupportedSampleRate(22050)).toBe(true);
    expect(isSupportedSampleRate(32000)).toBe(false);
  });
});

describe('pcm16FromBytes', () => {
  it('reads little-endian samples', () => {
    const bytes = new Uint8Array([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
    expect([...pcm16FromBytes(bytes)]).toEqual([1, -1, -32768, 32767]);
  });

  it('copies when the bytes start at an odd offset', () => {
    const backing = new Uint8Array(9);
    backing.set([0x34, 0x12, 0xcc, 0xed], 1);
    const odd = backing.subarray(1, 5);
    const samples = pcm16FromBytes(odd);
    expect([...samples]).toEqual([0x1234, -0x1234]);
    backing[1] = 0; // a copy is unaffected by later changes to the source
    expect(samples[0]).toBe(0x1234);
  });

  it('shares memory with aligned input (zero-copy)', () => {
    const bytes = new Uint8Array([0x10, 0x00, 0x20, 0x00]);
    const samples = pcm16FromBytes(bytes);
    bytes[0] = 0x11;
    expect(samples[0]).toBe(0x11);
  });

  it('reads from a Buffer slice of a larger pool', () => {
    const buf = Buffer.from([9, 0x02, 0x01, 0x04, 0x03]).subarray(1);
    expect([...pcm16FromBytes(buf)]).toEqual([0x0102, 0x0304]);
  });

  it('throws AudioFormatError on an odd byte length', () => {
    expect(() => pcm16FromBytes(new Uint8Array(3))).toThrow(AudioFormatError);
    expect(() => pcm16FromBytes(new Uint8Array(3))).toThrow(/even number of bytes, got 3/);
  });

  it('accepts empty input', () => {
    expect(pcm16FromBytes(new Uint8Array(0)).length).toBe(0);
  });
});

describe('pcm16ToBytes', () => {
  it('writes little-endian bytes', () => {
    const bytes = pcm16ToBytes(new Int16Array([1, -1, -32768, 32767]));
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect([...bytes]).toEqual([0x01, 0x00, 0xff, 0xff, 0x00, 0x80, 0xff, 0x7f]);
  });

  it('respects subarray offsets', () => {
    const all = new Int16Array([7, 8, 9]);
    expect([...pcm16ToBytes(all.subarray(1, 2))]).toEqual([8, 0]);
  });

  it('round-trips through pcm16FromBytes', () => {
    const samples = new Int16Array(1000);
    for (let i = 0; i < samples.length; i++) samples[i] = ((i * 7919) % 65536) - 32768;
    expect(pcm16FromBytes(pcm16ToBytes(samples))).toEqual(samples);
  });
});

describe('concatPcm', () => {
  it('joins parts in order', () => {
    const joined = concatPcm([new Int16Array([1, 2]), new Int16Array(0), new Int16Array([3])]);
    expect([...joined]).toEqual([1, 2, 3]);
  });

  it('returns an empty array for no parts', () => {
    expect(concatPcm([]).length).toBe(0);
  });
});

describe('float conversion', () => {
  it('maps int16 to [-1, 1)', () => {
    expect([...int16ToFloat32(new Int16Array([0, 16384, -32768, 32767]))]).toEqual([
      0,
      0.5,
      -1,
      Math.fround(32767 / 32768),
    ]);
  });

  it('round-trips every int16 value exactly', () => {
    const all = new Int16Array(65536);
    for (let i = 0; i < all.length; i++) all[i] = i - 32768;
    expect(float32ToInt16(int16ToFloat32(all))).toEqual(all);
  });

  it('clamps out-of-range floats instead of wrapping, and maps NaN to 0', () => {
    expect([...float32ToInt16(new Float32Array([1.5, -2, 1, -1, Number.NaN, 0.25]))]).toEqual([
      32767, -32768, 32767, -32768, 0, 8192,
    ]);
  });

  it('clampToInt16 rounds to the nearest integer', () => {
    expect([clampToInt16(1.4), clampToInt16(1.6), clampToInt16(-1.6), clampToInt16(-0.2)]).toEqual([1, 2, -2, 0]);
    expect(Object.is(clampToInt16(-0.2), 0)).toBe(true);
  });
});
