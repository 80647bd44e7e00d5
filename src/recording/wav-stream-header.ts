// The 44-byte header of a WAV file written while a call runs: sizes start as placeholders
// (readers take "the rest of the file") and are patched once the final length is known.
import { open } from 'node:fs/promises';
import { writeWav } from '../audio/wav.js';

/** Size of the canonical header `writeWav` produces; the data follows it directly. */
export const WAV_HEADER_BYTES = 44;
/** Offsets of the RIFF chunk size and the data chunk size in that header. */
const RIFF_SIZE_AT = 4;
const DATA_SIZE_AT = 40;
/** What a streaming writer leaves in a size field until it knows the length (readWav accepts it). */
export const UNKNOWN_SIZE = 0xffffffff;
/** The largest data chunk a 32-bit RIFF size can describe. */
export const MAX_WAV_DATA_BYTES = UNKNOWN_SIZE - (WAV_HEADER_BYTES - 8) - 1;

/** A PCM16 header for `channels` at `sampleRate`, with both sizes left as placeholders. */
export function streamingWavHeader(sampleRate: number, channels: number): Buffer {
  const header = writeWav({ sampleRate, channels, samples: new Int16Array(0) });
  header.writeUInt32LE(UNKNOWN_SIZE, RIFF_SIZE_AT);
  header.writeUInt32LE(UNKNOWN_SIZE, DATA_SIZE_AT);
  return header;
}

/** The two size fields for `dataBytes` of audio, to write over the placeholders. */
export function wavSizePatches(dataBytes: number): { at: number; bytes: Buffer }[] {
  if (!Number.isInteger(dataBytes) || dataBytes < 0 || dataBytes > MAX_WAV_DATA_BYTES) {
    throw new RangeError(`WAV data size ${dataBytes} is out of range`);
  }
  const riff = Buffer.alloc(4);
  riff.writeUInt32LE(WAV_HEADER_BYTES - 8 + dataBytes);
  const data = Buffer.alloc(4);
  data.writeUInt32LE(dataBytes);
  return [
    { at: RIFF_SIZE_AT, bytes: riff },
    { at: DATA_SIZE_AT, bytes: data },
  ];
}

/**
 * Writes the real sizes into a recording left with placeholders (e.g. by a crash mid-call), from
 * the file's length. Returns false, changing nothing, for a file that is not such a recording.
 */
export async function repairWavSizes(path: string): Promise<boolean> {
  const fh = await open(path, 'r+');
  try {
    const { size } = await fh.stat();
    if (size < WAV_HEADER_BYTES) return false;
    const header = Buffer.alloc(WAV_HEADER_BYTES);
    await fh.read(header, 0, WAV_HEADER_BYTES, 0);
    const tag = (at: number) => header.toString('latin1', at, at + 4);
    if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE' || tag(12) !== 'fmt ' || tag(36) !== 'data') return false;
    const blockAlign = header.readUInt16LE(32);
    let dataBytes = Math.min(size - WAV_HEADER_BYTES, MAX_WAV_DATA_BYTES);
    if (blockAlign > 0) dataBytes -= dataBytes % blockAlign;
    for (const patch of wavSizePatches(dataBytes)) await fh.write(patch.bytes, 0, 4, patch.at);
    return true;
  } finally {
    await fh.close();
  }
}
