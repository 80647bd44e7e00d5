// Headerless audio in the three encodings the simulator speaks, out (client audio is read with the
// adapters' AudioDecoder, which carries a split sample to the next frame).
import { aLawEncode, muLawEncode } from '../../src/audio/g711.js';
import { pcm16ToBytes } from '../../src/audio/pcm.js';
import type { RawAudioEncoding } from './deepgram-params.js';

export function encodeRaw(samples: Int16Array, encoding: RawAudioEncoding): Buffer {
  if (encoding === 'mulaw') return Buffer.from(muLawEncode(samples));
  if (encoding === 'alaw') return Buffer.from(aLawEncode(samples));
  return Buffer.from(pcm16ToBytes(samples));
}

export function bytesPerSample(encoding: RawAudioEncoding): number {
  return encoding === 'linear16' ? 2 : 1;
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
