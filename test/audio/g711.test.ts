import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../src/audio/g711.js';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);
const ALL_SAMPLES = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);

function sine(freq: number, rate: number, n: number, amplitude: number): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)));
}

function snrDb(reference: Int16Array, decoded: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < reference.length; i++) {
    signal += reference[i] ** 2;
    noise += (decoded[i] - reference[i]) ** 2;
  }
  return 10 * Math.log10(signal / noise);
}

/** Largest |decode(encode(x)) - x| over xs with |x| <= limit, measured against |x|/32 + slack. */
function worstExcess(encode: typeof muLawEncode, decode: typeof muLawDecode, limit: number, slack: number): number {
  const decoded = decode(encode(ALL_SAMPLES));
  let worst = -Infinity;
  for (let i = 0; i < ALL_SAMPLES.length; i++) {
    const x = ALL_SAMPLES[i];
    if (Math.abs(x) > limit) continue;
    worst = Math.max(worst, Math.abs(decoded[i] - x) - (Math.abs(x) / 32 + slack));
  }
  return worst;
}

describe('mu-law', () => {
  it('encodes and decodes the known code points', () => {
    expect(muLawEncode(new Int16Array([0]))[0]).toBe(0xff);
    expect([...muLawDecode(new Uint8Array([0x00, 0x80, 0xff, 0x7f, 0x7e, 0xfe]))]).toEqual([
      -32124, 32124, 0, 0, -8, 8,
    ]);
    expect([...muLawEncode(new Int16Array([32767, -32768, 32124, -32124]))]).toEqual([0x80, 0x00, 0x80, 0x00]);
  });

  it('has a 256-entry decode table symmetric about zero', () => {
    const decoded = muLawDecode(ALL_CODES);
    for (let c = 0; c < 128; c++) expect(decoded[c] + decoded[c | 0x80]).toBe(0);
    // Monotonic within each sign half: larger code bytes mean smaller magnitudes.
    for (let c = 0x81; c < 0x100; c++) expect(decoded[c]).toBeLessThan(decoded[c - 1]);
  });

  it('maps every reconstruction level back to its own code (except negative zero)', () => {
    const again = muLawEncode(muLawDecode(ALL_CODES));
    const moved = [...ALL_CODES].filter((c) => again[c] !== c);
    expect(moved).toEqual([0x7f]);
    expect(again[0x7f]).toBe(0xff);
  });

  it('keeps round-trip error within half a quantisation step over the whole range', () => {
    // Step at magnitude m is about m/16, so half a step is m/32; +5 covers the bias near zero.
    expect(worstExcess(muLawEncode, muLawDecode, 32635, 5)).toBeLessThanOrEqual(0);
    const decoded = muLawDecode(muLawEncode(ALL_SAMPLES));
    for (let i = 0; i < ALL_SAMPLES.length; i++) {
      if (Math.abs(ALL_SAMPLES[i]) < 4) expect(decoded[i]).toBe(0);
    }
  });

  it('passes a 1 kHz sine at SNR >= 30 dB', () => {
    const tone = sine(1000, 8000, 8000, 16000);
    expect(snrDb(tone, muLawDecode(muLawEncode(tone)))).toBeGreaterThanOrEqual(30);
    const quiet = sine(440, 8000, 8000, 500);
    expect(snrDb(quiet, muLawDecode(muLawEncode(quiet)))).toBeGreaterThanOrEqual(30);
  });
});

describe('A-law', () => {
  it('encodes and decodes the known code points', () => {
    expect(aLawEncode(new Int16Array([0]))[0]).toBe(0xd5);
    expect(aLawEncode(new Int16Array([-1]))[0]).toBe(0x55);
    expect([...aLawDecode(new Uint8Array([0xd5, 0x55, 0xaa, 0x2a]))]).toEqual([8, -8, 32256, -32256]);
    expect([...aLawEncode(new Int16Array([32767, -32768]))]).toEqual([0xaa, 0x2a]);
  });

  it('has a 256-entry decode table symmetric about zero', () => {
    const decoded = aLawDecode(ALL_CODES);
    for (let c = 0; c < 128; c++) expect(decoded[c] + decoded[c | 0x80]).toBe(0);
    expect(new Set(decoded).size).toBe(256);
  });

  it('maps every reconstruction level back to its own code', () => {
    expect(aLawEncode(aLawDecode(ALL_CODES))).toEqual(ALL_CODES);
  });

  it('keeps round-trip error within half a quantisation step over the whole range', () => {
    expect(worstExcess(aLawEncode, aLawDecode, 32767, 9)).toBeLessThanOrEqual(0);
  });

  it('passes a 1 kHz sine at SNR >= 30 dB', () => {
    const tone = sine(1000, 8000, 8000, 16000);
    expect(snrDb(tone, aLawDecode(aLawEncode(tone)))).toBeGreaterThanOrEqual(30);
    const quiet = sine(440, 8000, 8000, 500);
    expect(snrDb(quiet, aLawDecode(aLawEncode(quiet)))).toBeGreaterThanOrEqual(30);
  });
});

describe('agreement with sox (an independent G.711 implementation)', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function sox(args: string[]): void {
    execFileSync('sox', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  }

  for (const [encoding, encode, decode] of [
    ['mu-law', muLawEncode, muLawDecode],
    ['a-law', aLawEncode, aLawDecode],
  ] as const) {
    it(`decodes every ${encoding} byte exactly as sox does`, () => {
      fs.writeFileSync(path.join(dir, 'codes.raw'), ALL_CODES);
      sox(['-t', 'raw', '-r', '8000', '-e', encoding, '-b', '8', '-c', '1', 'codes.raw', '-t', 'raw', '-e', 'signed', '-b', '16', 'decoded.raw']);
      const bytes = new Uint8Array(fs.readFileSync(path.join(dir, 'decoded.raw')));
      expect(decode(ALL_CODES)).toEqual(new Int16Array(bytes.buffer, 0, 256));
    });

    it(`encodes every ${encoding} reconstruction level exactly as sox does`, () => {
      // Reconstruction levels sit mid-interval, so truncating and rounding encoders must agree there.
      const levels = decode(ALL_CODES);
      fs.writeFileSync(path.join(dir, 'levels.raw'), new Uint8Array(levels.buffer));
      sox(['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', 'levels.raw', '-D', '-t', 'raw', '-e', encoding, '-b', '8', 'encoded.raw']);
      const theirs = new Uint8Array(fs.readFileSync(path.join(dir, 'encoded.raw')));
      expect(encode(levels)).toEqual(theirs);
    });
  }
});
