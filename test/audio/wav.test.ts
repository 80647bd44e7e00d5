import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WavFormatError, readWav, toMono, writeWav } from '../../src/audio/wav.js';
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../src/audio/g711.js';

let dir = '';
let speechPath = '';

function run(cmd: string, args: string[]): Buffer {
  return execFileSync(cmd, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

function file(name: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.join(dir, name)));
}

/** Raw little-endian PCM16 from sox, as an independent decoding of the same file. */
function soxRawSamples(name: string, extra: string[] = []): Int16Array {
  const raw = run('sox', [name, ...extra, '-t', 'raw', '-e', 'signed', '-b', '16', '-']);
  return new Int16Array(new Uint8Array(raw).buffer, 0, raw.length / 2);
}

function chunk(id: string, body: Uint8Array, declaredSize = body.length): Buffer {
  const header = Buffer.alloc(8);
  header.write(id, 0, 'latin1');
  header.writeUInt32LE(declaredSize >>> 0, 4);
  return Buffer.concat([header, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE', 'latin1'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

function fmt(format: number, channels: number, rate: number, bits: number, extra?: Buffer): Buffer {
  const b = Buffer.alloc(16);
  const blockAlign = (channels * bits) / 8;
  b.writeUInt16LE(format, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * blockAlign, 8);
  b.writeUInt16LE(blockAlign, 12);
  b.writeUInt16LE(bits, 14);
  return chunk('fmt ', extra ? Buffer.concat([b, extra]) : b);
}

/** The 24 extra bytes of WAVE_FORMAT_EXTENSIBLE, with the given sub-format code. */
function extensible(subFormat: number, validBits: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(22, 0);
  b.writeUInt16LE(validBits, 2);
  b.writeUInt32LE(0x4, 4);
  b.writeUInt16LE(subFormat, 8);
  Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]).copy(b, 10);
  return b;
}

function pcmBytes(samples: Int16Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-'));
  speechPath = path.join(dir, 'speech.wav');
  run('flite', ['-voice', 'kal16', '-t', 'The quick brown fox jumps over the lazy dog.', '-o', speechPath]);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('readWav on real files', () => {
  it('reads flite speech exactly as sox decodes it', () => {
    const wav = readWav(file('speech.wav'));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.channels).toBe(1);
    expect(wav.bitsPerSample).toBe(16);
    expect(wav.samples.length).toBeGreaterThan(16000); // over a second of speech
    expect(wav.samples).toEqual(soxRawSamples('speech.wav'));
    const peak = wav.samples.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
    expect(peak).toBeGreaterThan(1000);
  });

  it('reads a sox-converted 8 kHz mu-law file (with a fact chunk) to PCM16', () => {
    run('sox', ['speech.wav', '-r', '8000', '-e', 'mu-law', 'speech-ulaw.wav']);
    const bytes = file('speech-ulaw.wav');
    const wav = readWav(bytes);
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 8 });
    expect(wav.samples).toEqual(soxRawSamples('speech-ulaw.wav'));
    // And the codes themselves match re-encoding, since PCM16 -> mu-law is exact at reconstruction levels.
    expect(muLawDecode(muLawEncode(wav.samples))).toEqual(wav.samples);
  });

  it('reads a sox-converted A-law file to PCM16', () => {
    run('sox', ['speech.wav', '-r', '8000', '-e', 'a-law', 'speech-alaw.wav']);
    const wav = readWav(file('speech-alaw.wav'));
    expect(wav).toMatchObject({ sampleRate: 8000, channels: 1, bitsPerSample: 8 });
    expect(wav.samples).toEqual(soxRawSamples('speech-alaw.wav'));
    expect(aLawDecode(aLawEncode(wav.samples))).toEqual(wav.samples);
  });

  it('reads a 3-channel WAVE_FORMAT_EXTENSIBLE file from sox, interleaved', () => {
    run('sox', ['speech.wav', '-c', '3', 'speech-3ch.wav']);
    const bytes = file('speech-3ch.wav');
    expect(new DataView(bytes.buffer).getUint16(20, true)).toBe(0xfffe);
    const wav = readWav(bytes);
    expect(wav.channels).toBe(3);
    expect(wav.samples).toEqual(soxRawSamples('speech-3ch.wav'));
    const mono = readWav(file('speech.wav')).samples;
    expect(toMono(wav.samples, 3)).toEqual(mono);
  });

  it('reads espeak-ng --stdout output, whose data size is a streaming placeholder', () => {
    const out = run('espeak-ng', ['--stdout', 'Testing one two three']);
    const bytes = new Uint8Array(out);
    const declared = new DataView(bytes.buffer, bytes.byteOffset).getUint32(40, true);
    expect(declared).toBeGreaterThan(bytes.length); // the placeholder really is bogus
    const wav = readWav(bytes);
    expect(wav.channels).toBe(1);
    expect(wav.samples.length).toBe((bytes.length - 44) / 2);
    fs.writeFileSync(path.join(dir, 'espeak.wav'), writeWav(wav));
    expect(soxRawSamples('espeak.wav')).toEqual(wav.samples);
  });

  it('rejects a 32-bit float file from sox, naming what it found', () => {
    run('sox', ['speech.wav', '-e', 'floating-point', '-b', '32', 'speech-float.wav']);
    expect(() => readWav(file('speech-float.wav'))).toThrow(WavFormatError);
    expect(() => readWav(file('speech-float.wav'))).toThrow(/format 3 \(IEEE float\) with 32 bits per sample/);
  });

  it('rejects an 8-bit unsigned PCM file, naming what it found', () => {
    run('sox', ['speech.wav', '-e', 'unsigned', '-b', '8', 'speech-u8.wav']);
    expect(() => readWav(file('speech-u8.wav'))).toThrow(/format 1 \(PCM\) with 8 bits per sample/);
  });
});

describe('writeWav', () => {
  it('writes a canonical 44-byte header that sox reads back identically', () => {
    const samples = Int16Array.from({ length: 4000 }, (_, i) => Math.round(12000 * Math.sin(i / 7)) - (i % 3));
    const bytes = writeWav({ sampleRate: 24000, channels: 2, samples });
    expect(bytes.length).toBe(44 + samples.length * 2);
    expect(bytes.toString('latin1', 0, 4)).toBe('RIFF');
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.readUInt32LE(28)).toBe(24000 * 2 * 2);
    fs.writeFileSync(path.join(dir, 'written.wav'), bytes);
    expect(run('soxi', ['-r', 'written.wav']).toString().trim()).toBe('24000');
    expect(run('soxi', ['-c', 'written.wav']).toString().trim()).toBe('2');
    expect(soxRawSamples('written.wav')).toEqual(samples);
  });

  it('round-trips real speech through writeWav and readWav', () => {
    const original = readWav(file('speech.wav'));
    const again = readWav(writeWav(original));
    expect(again).toEqual({ ...original, bitsPerSample: 16 });
  });

  it('round-trips from an odd byte offset inside a larger buffer', () => {
    const samples = Int16Array.from([1, -2, 300, -32768, 32767]);
    const wav = writeWav({ sampleRate: 8000, channels: 1, samples });
    const backing = new Uint8Array(wav.length + 3);
    backing.set(wav, 1);
    expect(readWav(backing.subarray(1, 1 + wav.length)).samples).toEqual(samples);
  });

  it('writes an empty file that reads back empty', () => {
    const wav = readWav(writeWav({ sampleRate: 16000, channels: 1, samples: new Int16Array(0) }));
    expect(wav.samples.length).toBe(0);
  });

  it('refuses sample counts that are not whole frames', () => {
    expect(() => writeWav({ sampleRate: 16000, channels: 2, samples: new Int16Array(3) })).toThrow(RangeError);
  });
});

describe('readWav on constructed files', () => {
  const tone = Int16Array.from([0, 1000, -1000, 32767, -32768, 5, -5, 42]);

  it('skips LIST and other unknown chunks, including odd-sized ones with a pad byte', () => {
    const bytes = riff(
      chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!!', 'latin1')),
      fmt(1, 1, 16000, 16),
      chunk('junk', Buffer.from([1, 2, 3])),
      chunk('data', pcmBytes(tone)),
      chunk('LIST', Buffer.from('INFO', 'latin1')),
    );
    expect(readWav(bytes).samples).toEqual(tone);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with the PCM sub-format', () => {
    const bytes = riff(fmt(0xfffe, 2, 48000, 16, extensible(1, 16)), chunk('data', pcmBytes(tone)));
    expect(readWav(bytes)).toEqual({ sampleRate: 48000, channels: 2, bitsPerSample: 16, samples: tone });
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with the mu-law sub-format', () => {
    const codes = muLawEncode(tone);
    const bytes = riff(fmt(0xfffe, 1, 8000, 8, extensible(7, 8)), chunk('data', Buffer.from(codes)));
    expect(readWav(bytes).samples).toEqual(muLawDecode(codes));
  });

  it('rejects WAVE_FORMAT_EXTENSIBLE with a float sub-format', () => {
    const bytes = riff(fmt(0xfffe, 1, 8000, 32, extensible(3, 32)), chunk('data', Buffer.alloc(8)));
    expect(() => readWav(bytes)).toThrow(/format 3 \(IEEE float\)/);
  });

  it.each([0, 0xffffffff])('takes the rest of the file when the data size is %i', (declared) => {
    const bytes = riff(fmt(1, 1, 16000, 16), chunk('data', pcmBytes(tone), declared));
    expect(readWav(bytes).samples).toEqual(tone);
  });

  it('drops a trailing partial sample frame', () => {
    const stereo = Int16Array.from([1, 2, 3, 4, 5, 6]);
    const body = Buffer.concat([pcmBytes(stereo), Buffer.from([9, 9])]);
    const bytes = riff(fmt(1, 2, 16000, 16), chunk('data', body, 0xffffffff));
    expect(readWav(bytes).samples).toEqual(stereo);
  });

  it('names what it found for non-WAV input', () => {
    expect(() => readWav(Buffer.from('ID3\x04 this is an mp3 really', 'latin1'))).toThrow(
      /starts with "ID3\\u0004", expected "RIFF"/,
    );
    expect(() => readWav(Buffer.from('RIFF\x00\x00\x00\x00AVI LIST', 'latin1'))).toThrow(/RIFF type is "AVI "/);
    expect(() => readWav(new Uint8Array(4))).toThrow(WavFormatError);
  });

  it('reports missing or misplaced chunks', () => {
    expect(() => readWav(riff(fmt(1, 1, 16000, 16)))).toThrow(/no data chunk/);
    expect(() => readWav(riff(chunk('LIST', Buffer.alloc(4))))).toThrow(/no fmt chunk/);
    expect(() => readWav(riff(chunk('data', pcmBytes(tone)), fmt(1, 1, 16000, 16)))).toThrow(/before the fmt chunk/);
  });

  it('rejects ADPCM and inconsistent headers', () => {
    expect(() => readWav(riff(fmt(0x11, 1, 8000, 4), chunk('data', Buffer.alloc(8))))).toThrow(
      /format 17 \(IMA ADPCM\) with 4 bits/,
    );
    const badAlign = fmt(1, 2, 16000, 16);
    badAlign.writeUInt16LE(2, 8 + 12);
    expect(() => readWav(riff(badAlign, chunk('data', Buffer.alloc(8))))).toThrow(/block align is 2, expected 4/);
  });
});

describe('toMono', () => {
  it('averages interleaved channels, rounding halves up', () => {
    expect([...toMono(Int16Array.from([10, 20, -32768, -32767, 32767, 32767, 1, 2]), 2)]).toEqual([
      15, -32767, 32767, 2,
    ]);
    expect([...toMono(Int16Array.from([3, 6, 9, 0, 0, 1]), 3)]).toEqual([6, 0]);
  });

  it('returns mono input as is', () => {
    const mono = Int16Array.from([1, 2, 3]);
    expect(toMono(mono, 1)).toBe(mono);
  });

  it('refuses partial frames and bad channel counts', () => {
    expect(() => toMono(new Int16Array(5), 2)).toThrow(RangeError);
    expect(() => toMono(new Int16Array(4), 0)).toThrow(RangeError);
  });
});
