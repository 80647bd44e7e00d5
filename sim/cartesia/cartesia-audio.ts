// Turns simulated speech into the bytes Cartesia would stream for an output format, and cuts those
// bytes into chunks of uneven size: real payloads are not frame- or even sample-aligned.
import { aLawEncode, muLawEncode } from '../../src/audio/g711.js';
import { pcm16ToBytes } from '../../src/audio/pcm.js';
import type { CartesiaEncoding } from './cartesia-request.js';

export function bytesPerSample(encoding: CartesiaEncoding): number {
  if (encoding === 'pcm_f32le') return 4;
  if (encoding === 'pcm_s16le') return 2;
  return 1;
}

export function encodeSamples(samples: Int16Array, encoding: CartesiaEncoding): Buffer {
  switch (encoding) {
    case 'pcm_s16le':
      // Copy, so later slicing never aliases the caller's samples.
      return Buffer.from(pcm16ToBytes(samples));
    case 'pcm_f32le': {
      const out = Buffer.alloc(samples.length * 4);
      for (let i = 0; i < samples.length; i++) out.writeFloatLE(samples[i] / 32768, i * 4);
      return out;
    }
    case 'pcm_mulaw':
      return Buffer.from(muLawEncode(samples));
    case 'pcm_alaw':
      return Buffer.from(aLawEncode(samples));
  }
}

/**
 * Byte lengths of successive chunks covering `total` bytes: about 40 ms each, nudged by a few bytes
 * so that boundaries land mid-sample (odd lengths for 16-bit, non-multiples of 4 for float).
 */
export function chunkLengths(total: number, bytesPerSecond: number): number[] {
  const base = Math.max(8, Math.round(bytesPerSecond * 0.04));
  const nudges = [3, -1, 1, 5, -3, 0];
  const lengths: number[] = [];
  let at = 0;
  for (let k = 0; at < total; k++) {
    const n = Math.min(total - at, Math.max(1, base + nudges[k % nudges.length]));
    lengths.push(n);
    at += n;
  }
  return lengths;
}
