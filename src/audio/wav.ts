// RIFF/WAVE reading and writing for the encodings Parley meets: PCM16, mu-law and A-law.
import { aLawDecode, muLawDecode } from './g711.js';
import { pcm16FromBytes, pcm16ToBytes } from './pcm.js';

/** Raised for a WAV file that is malformed or uses an encoding Parley does not read. */
export class WavFormatError extends Error {
  override readonly name = 'WavFormatError';
}

export type WavAudio = {
  sampleRate: number;
  channels: number;
  /** As stored in the file (8 for mu-law/A-law); `samples` are always PCM16. */
  bitsPerSample: number;
  /** PCM16, channels interleaved. */
  samples: Int16Array;
};

const FORMAT_PCM = 1;
const FORMAT_IEEE_FLOAT = 3;
const FORMAT_A_LAW = 6;
const FORMAT_MU_LAW = 7;
const FORMAT_EXTENSIBLE = 0xfffe;
const FORMAT_NAMES: Record<number, string> = {
  [FORMAT_PCM]: 'PCM',
  2: 'Microsoft ADPCM',
  [FORMAT_IEEE_FLOAT]: 'IEEE float',
  [FORMAT_A_LAW]: 'A-law',
  [FORMAT_MU_LAW]: 'mu-law',
  0x11: 'IMA ADPCM',
  0x55: 'MP3',
};
/** Chunk sizes that streaming writers leave in place of the unknown final length. */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);

type FmtChunk = { format: number; channels: number; sampleRate: number; blockAlign: number; bitsPerSample: number };

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

function describeFormat(format: number): string {
  const name = FORMAT_NAMES[format];
  return name ? `format ${format} (${name})` : `format ${format}`;
}

function readFmt(view: DataView, at: number, size: number): FmtChunk {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes, expected at least 16`);
  let format = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const blockAlign = view.getUint16(at + 12, true);
  const bitsPerSample = view.getUint16(at + 14, true);
  if (format === FORMAT_EXTENSIBLE) {
    if (size < 40) throw new WavFormatError(`WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, expected 40`);
    // The sub-format GUID starts with the ordinary format code.
    format = view.getUint16(at + 24, true);
  }
  return { format, channels, sampleRate, blockAlign, bitsPerSample };
}

function checkSupported(fmt: FmtChunk): void {
  const { format, bitsPerSample, channels, sampleRate } = fmt;
  const ok =
    (format === FORMAT_PCM && bitsPerSample === 16) ||
    ((format === FORMAT_MU_LAW || format === FORMAT_A_LAW) && bitsPerSample === 8);
  if (!ok) {
    throw new WavFormatError(
      `unsupported WAV encoding: ${describeFormat(format)} with ${bitsPerSample} bits per sample ` +
        `(supported: 16-bit PCM, 8-bit mu-law, 8-bit A-law)`,
    );
  }
  if (channels < 1) throw new WavFormatError('WAV fmt chunk declares 0 channels');
  if (sampleRate < 1) throw new WavFormatError('WAV fmt chunk declares a sample rate of 0');
  if (fmt.blockAlign !== channels * (bitsPerSample / 8)) {
    throw new WavFormatError(
      `WAV block align is ${fmt.blockAlign}, expected ${channels * (bitsPerSample / 8)} for ${channels} channel(s) of ${bitsPerSample} bits`,
    );
  }
}

function decodeData(fmt: FmtChunk, data: Uint8Array): Int16Array {
  if (fmt.format === FORMAT_MU_LAW) return muLawDecode(data);
  if (fmt.format === FORMAT_A_LAW) return aLawDecode(data);
  // Copy first so the samples never share memory with the caller's file bytes.
  return pcm16FromBytes(data.slice());
}

/**
 * Parses a WAV file. Unknown chunks (LIST, fact, cue ...) are skipped. A data chunk whose size
 * is 0 or 0xFFFFFFFF (left so by streaming writers), or runs past the end of the file, takes the
 * rest of the file; a trailing partial sample frame is dropped.
 */
export function readWav(bytes: Uint8Array): WavAudio {
  if (bytes.length < 12) throw new WavFormatError(`not a WAV file: only ${bytes.length} bytes`);
  const riff = fourCC(bytes, 0);
  if (riff !== 'RIFF') {
    throw new WavFormatError(`not a WAV file: starts with ${JSON.stringify(riff)}, expected "RIFF"`);
  }
  const wave = fourCC(bytes, 8);
  if (wave !== 'WAVE') throw new WavFormatError(`not a WAV file: RIFF type is ${JSON.stringify(wave)}, expected "WAVE"`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: FmtChunk | null = null;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = fourCC(bytes, at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (body + size > bytes.length) throw new WavFormatError('WAV fmt chunk is cut off');
      fmt = readFmt(view, body, size);
      checkSupported(fmt);
    } else if (id === 'data') {
      if (!fmt) throw new WavFormatError('WAV data chunk comes before the fmt chunk');
      const available = bytes.length - body;
      let length = UNKNOWN_SIZES.has(size) || size > available ? available : size;
      length -= length % fmt.blockAlign;
      return {
        sampleRate: fmt.sampleRate,
        channels: fmt.channels,
        bitsPerSample: fmt.bitsPerSample,
        samples: decodeData(fmt, bytes.subarray(body, body + length)),
      };
    }
    // Chunks are padded to an even length.
    at = body + size + (size & 1);
  }
  throw new WavFormatError(fmt ? 'WAV file has no data chunk' : 'WAV file has no fmt chunk');
}

/** Serialises interleaved PCM16 as a canonical 44-byte-header WAV file. */
export function writeWav(audio: { sampleRate: number; channels: number; samples: Int16Array }): Buffer {
  const { sampleRate, channels, samples } = audio;
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be >= 1, got ${channels}`);
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new RangeError(`bad sample rate ${sampleRate}`);
  if (samples.length % channels !== 0) {
    throw new RangeError(`${samples.length} samples is not a whole number of ${channels}-channel frames`);
  }
  const dataBytes = samples.length * 2;
  const out = Buffer.alloc(44 + dataBytes);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(FORMAT_PCM, 20);
  out.writeUInt16LE(channels, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * channels * 2, 28);
  out.writeUInt16LE(channels * 2, 32);
  out.writeUInt16LE(16, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  out.set(pcm16ToBytes(samples), 44);
  return out;
}

/** Averages interleaved channels into one; returns `samples` itself when already mono. */
export function toMono(samples: Int16Array, channels: number): Int16Array {
  if (!Number.isInteger(channels) || channels < 1) throw new RangeError(`channels must be >= 1, got ${channels}`);
  if (channels === 1) return samples;
  if (samples.length % channels !== 0) {
    throw new RangeError(`${samples.length} samples is not a whole number of ${channels}-channel frames`);
  }
  const out = new Int16Array(samples.length / channels);
  for (let i = 0, s = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += samples[s++];
    out[i] = Math.round(sum / channels);
  }
  return out;
}
