// Headerless audio in the three encodings the simulator speaks, both ways. Client audio may split a
// 16-bit sample across frames, so the reader carries an odd byte to the next frame; a byte still
// carried when the stream ends means the client's audio was not linear16 after all.
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../src/audio/g711.js';
import { pcm16FromBytes, pcm16ToBytes } from '../../src/audio/pcm.js';
import { sniffContainer } from '../../src/providers/audio-decoder.js';
import type { RawAudioEncoding } from './deepgram-params.js';

export class RawAudioReader {
  private carry: number | null = null;

  constructor(private readonly encoding: RawAudioEncoding) {}

  push(bytes: Uint8Array): Int16Array {
    if (this.encoding === 'mulaw') return muLawDecode(bytes);
    if (this.encoding === 'alaw') return aLawDecode(bytes);
    let input = bytes;
    if (this.carry !== null) {
      input = new Uint8Array(bytes.length + 1);
      input[0] = this.carry;
      input.set(bytes, 1);
      this.carry = null;
    }
    if (input.length % 2 === 1) {
      this.carry = input[input.length - 1];
      input = input.subarray(0, input.length - 1);
    }
    return pcm16FromBytes(input.slice());
  }

  get hasRemainder(): boolean {
    return this.carry !== null;
  }
}

export function encodeRaw(samples: Int16Array, encoding: RawAudioEncoding): Buffer {
  if (encoding === 'mulaw') return Buffer.from(muLawEncode(samples));
  if (encoding === 'alaw') return Buffer.from(aLawEncode(samples));
  return Buffer.from(pcm16ToBytes(samples));
}

export function bytesPerSample(encoding: RawAudioEncoding): number {
  return encoding === 'linear16' ? 2 : 1;
}

/**
 * The container whose header starts `bytes` (RIFF, ID3, Ogg, fLaC, JSON), or null. MPEG frame-sync
 * detection is left out: real PCM can start with those bits, and the simulator must not refuse it.
 */
export function containerHeaderOf(bytes: Uint8Array): string | null {
  const found = sniffContainer(bytes);
  return found && !found.includes('frame sync') ? found : null;
}

/** A WAV header (44 bytes) for `dataBytes` of raw audio in `encoding`. */
export function wavHeader(encoding: RawAudioEncoding, sampleRate: number, dataBytes: number): Buffer {
  const width = bytesPerSample(encoding);
  const format = encoding === 'linear16' ? 1 : encoding === 'alaw' ? 6 : 7;
  const out = Buffer.alloc(44);
  out.write('RIFF', 0, 'latin1');
  out.writeUInt32LE(36 + dataBytes, 4);
  out.write('WAVE', 8, 'latin1');
  out.write('fmt ', 12, 'latin1');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(format, 20);
  out.writeUInt16LE(1, 22);
  out.writeUInt32LE(sampleRate, 24);
  out.writeUInt32LE(sampleRate * width, 28);
  out.writeUInt16LE(width, 32);
  out.writeUInt16LE(width * 8, 34);
  out.write('data', 36, 'latin1');
  out.writeUInt32LE(dataBytes, 40);
  return out;
}
