// G.711 companding (ITU-T G.711): mu-law (North America, Japan) and A-law (elsewhere), the
// 8-bit codecs of telephone lines. Both directions are table lookups: decoding through 256-entry
// tables and encoding through 65536-entry tables indexed by the raw 16-bit sample.

/** Added to the magnitude before segmenting so the mu-law curve passes through zero. */
const MU_LAW_BIAS = 0x84;
/** Largest magnitude that still fits the top segment once the bias is added. */
const MU_LAW_CLIP = 32635;

/** Negatives use ones' complement (~x), as the ITU G.191 reference does, so x and ~x encode symmetrically. */
function muLawEncodeSample(sample: number): number {
  const sign = sample < 0 ? 0x80 : 0;
  const magnitude = Math.min(sign ? ~sample : sample, MU_LAW_CLIP) + MU_LAW_BIAS;
  // The segment (exponent) is the position of the top set bit among bits 7..14.
  const segment = 31 - Math.clz32(magnitude) - 7;
  const mantissa = (magnitude >> (segment + 3)) & 0x0f;
  return ~(sign | (segment << 4) | mantissa) & 0xff;
}

function muLawDecodeByte(code: number): number {
  const bits = ~code & 0xff;
  const segment = (bits >> 4) & 0x07;
  const magnitude = ((((bits & 0x0f) << 3) + MU_LAW_BIAS) << segment) - MU_LAW_BIAS;
  return bits & 0x80 ? -magnitude : magnitude;
}

/** A-law works on 13-bit magnitudes (the sample's top 13 bits); negatives use ones' complement. */
function aLawEncodeSample(sample: number): number {
  const positive = sample >= 0;
  const magnitude = (positive ? sample : ~sample) >> 3;
  // Segment 0 covers 0..31; segment s >= 1 covers [16 << s, 32 << s).
  const segment = magnitude < 32 ? 0 : 31 - Math.clz32(magnitude) - 4;
  const mantissa = segment === 0 ? magnitude >> 1 : (magnitude >> segment) & 0x0f;
  // Sign bit is 1 for positive; even bits are inverted to keep line density up (the 0x55 mask).
  return ((positive ? 0x80 : 0) | (segment << 4) | mantissa) ^ 0x55;
}

function aLawDecodeByte(code: number): number {
  const bits = code ^ 0x55;
  const segment = (bits >> 4) & 0x07;
  const mantissa = bits & 0x0f;
  // Reconstruct at the middle of the quantisation interval, then scale 13-bit back to 16-bit.
  const magnitude13 = segment === 0 ? (mantissa << 1) + 1 : ((mantissa | 0x10) << segment) + (1 << (segment - 1));
  const magnitude = magnitude13 << 3;
  return bits & 0x80 ? magnitude : -magnitude;
}

function decodeTable(decodeByte: (code: number) => number): Int16Array {
  const table = new Int16Array(256);
  for (let code = 0; code < 256; code++) table[code] = decodeByte(code);
  return table;
}

const MU_LAW_DECODE = decodeTable(muLawDecodeByte);
const A_LAW_DECODE = decodeTable(aLawDecodeByte);

let muLawEncodeTable: Uint8Array | null = null;
let aLawEncodeTable: Uint8Array | null = null;

/** Indexed by the sample's 16-bit two's-complement pattern; built on first use (64 KiB each). */
function encodeTable(encodeSample: (sample: number) => number): Uint8Array {
  const table = new Uint8Array(65536);
  for (let i = 0; i < 65536; i++) table[i] = encodeSample((i << 16) >> 16);
  return table;
}

export function muLawEncode(pcm: Int16Array): Uint8Array {
  const table = (muLawEncodeTable ??= encodeTable(muLawEncodeSample));
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[pcm[i] & 0xffff];
  return out;
}

export function muLawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = MU_LAW_DECODE[bytes[i]];
  return out;
}

export function aLawEncode(pcm: Int16Array): Uint8Array {
  const table = (aLawEncodeTable ??= encodeTable(aLawEncodeSample));
  const out = new Uint8Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = table[pcm[i] & 0xffff];
  return out;
}

export function aLawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = A_LAW_DECODE[bytes[i]];
  return out;
}
