// The two codecs the SIP endpoint speaks, by their RTP names (RFC 3551): static payload types,
// 8 kHz, one byte per sample. Every phone, PBX and carrier supports at least one of them.
import { aLawDecode, aLawEncode, muLawDecode, muLawEncode } from '../../../audio/g711.js';

export type G711Codec = 'PCMU' | 'PCMA';

export const G711_CLOCK_RATE = 8000;

/** RFC 3551 static payload types. */
export const STATIC_PAYLOAD_TYPE: Record<G711Codec, number> = { PCMU: 0, PCMA: 8 };

export function isG711Codec(name: string): name is G711Codec {
  return name === 'PCMU' || name === 'PCMA';
}

export function encodeG711(codec: G711Codec, samples: Int16Array): Uint8Array {
  return codec === 'PCMU' ? muLawEncode(samples) : aLawEncode(samples);
}

export function decodeG711(codec: G711Codec, payload: Uint8Array): Int16Array {
  return codec === 'PCMU' ? muLawDecode(payload) : aLawDecode(payload);
}
