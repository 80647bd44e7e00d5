// Vendor audio arrives in arbitrary byte chunks (a chunk can even split a sample) and in the encoding
// the adapter asked for. One decoder per synthesis turns those bytes into PCM16 sample chunks, and
// refuses audio that is plainly in another format (a container header where raw audio was asked for).
import { aLawDecode, muLawDecode } from '../audio/g711.js';
import { pcm16FromBytes } from '../audio/pcm.js';
import { ProviderError } from './provider-error.js';

export type RawEncoding = 'pcm16' | 'mulaw' | 'alaw';

const CONTAINER_MAGIC: Array<{ name: string; bytes: number[] }> = [
  { name: 'WAV (RIFF)', bytes: [0x52, 0x49, 0x46, 0x46] },
  { name: 'MP3 (ID3)', bytes: [0x49, 0x44, 0x33] },
  { name: 'Ogg', bytes: [0x4f, 0x67, 0x67, 0x53] },
  { name: 'FLAC', bytes: [0x66, 0x4c, 0x61, 0x43] },
  { name: 'JSON', bytes: [0x7b, 0x22] },
];

/** Names the container whose magic bytes start `bytes`, if any. */
export function sniffContainer(bytes: Uint8Array): string | null {
  for (const { name, bytes: magic } of CONTAINER_MAGIC) {
    if (bytes.length >= magic.length && magic.every((b, i) => bytes[i] === b)) return name;
  }
  // No check for a bare MPEG frame sync (0xFFE…): near-silent raw PCM (small negative samples)
  // starts with the same bytes, so that check would refuse good audio.
  return null;
}

export class AudioDecoder {
  private carry: number | null = null;
  private first = true;

  constructor(
    private readonly provider: string,
    private readonly encoding: RawEncoding,
    /** Refuse a container header at the start (off where the caller checks the format itself). */
    private readonly checkContainer = true,
  ) {}

  /** Decodes the next chunk; returns an empty array when the chunk was a lone odd byte. */
  push(bytes: Uint8Array): Int16Array {
    if (this.checkContainer && this.first && bytes.length > 0) {
      this.first = false;
      const container = sniffContainer(bytes);
      if (container) {
        throw new ProviderError(this.provider, 'protocol', `expected raw ${this.encoding} audio but received ${container} data`, {
          code: 'wrong_audio_format',
        });
      }
    }
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
    // Copy: the source buffer may be reused by the socket, and alignment is not guaranteed.
    return pcm16FromBytes(input.slice());
  }

  /** True when a half sample is left over (the stream ended mid-sample). */
  get hasRemainder(): boolean {
    return this.carry !== null;
  }
}
