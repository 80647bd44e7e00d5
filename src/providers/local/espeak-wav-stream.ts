// espeak-ng `--stdout` writes a WAV header with placeholder sizes (it cannot seek back on a pipe)
// followed by PCM16 as it synthesizes. This reads that stream in arbitrary byte chunks: the header
// once, then the samples, so audio can be passed on as soon as it arrives.
import { WavFormatError } from '../../audio/wav.js';
import { AudioDecoder } from '../audio-decoder.js';

/** A header larger than this is not what espeak writes (44 bytes); stop waiting for a data chunk. */
const MAX_HEADER_BYTES = 4096;

export type WavStreamFormat = { sampleRate: number };

export class WavStreamReader {
  private header: Uint8Array = new Uint8Array(0);
  private decoder: AudioDecoder | null = null;
  private formatSeen: WavStreamFormat | null = null;
  private received = 0;

  constructor(private readonly provider: string) {}

  /** The stream's format once the header is complete. */
  get format(): WavStreamFormat | null {
    return this.decoder ? this.formatSeen : null;
  }

  /** Bytes pushed so far, header included. */
  get bytesReceived(): number {
    return this.received;
  }

  /**
   * Takes the next bytes; returns the samples they complete (empty while the header is still
   * incomplete or a sample is split). Throws WavFormatError for anything but mono 16-bit PCM WAV.
   */
  push(bytes: Uint8Array): Int16Array {
    this.received += bytes.length;
    if (this.decoder) return this.decoder.push(bytes);
    const joined = new Uint8Array(this.header.length + bytes.length);
    joined.set(this.header);
    joined.set(bytes, this.header.length);
    const dataStart = this.findData(joined);
    if (dataStart === null) {
      if (joined.length > MAX_HEADER_BYTES) throw new WavFormatError(`no WAV data chunk within the first ${MAX_HEADER_BYTES} bytes`);
      this.header = joined;
      return new Int16Array(0);
    }
    this.header = new Uint8Array(0);
    this.decoder = new AudioDecoder(this.provider, 'pcm16', false);
    return this.decoder.push(joined.subarray(dataStart));
  }

  /** Call at end of stream: throws when some bytes came but never a complete header. */
  end(): void {
    if (!this.decoder && this.received > 0) {
      throw new WavFormatError(`stream ended inside the WAV header after ${this.received} bytes`);
    }
  }

  /** Offset of the first data byte, or null while the header is incomplete. */
  private findData(bytes: Uint8Array): number | null {
    // Check the magic as soon as it is there, so non-WAV output fails on its first chunk.
    const tag = (at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
    if (bytes.length >= 4 && tag(0) !== 'RIFF') throw new WavFormatError(`expected a WAV stream, got bytes starting ${JSON.stringify(printable(bytes.subarray(0, 8)))}`);
    if (bytes.length >= 12 && tag(8) !== 'WAVE') throw new WavFormatError(`RIFF type is ${JSON.stringify(tag(8))}, expected "WAVE"`);
    if (bytes.length < 12) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 12;
    while (at + 8 <= bytes.length) {
      const id = tag(at);
      const size = view.getUint32(at + 4, true);
      const body = at + 8;
      if (id === 'data') {
        if (!this.formatSeen) throw new WavFormatError('WAV data chunk comes before the fmt chunk');
        return body;
      }
      if (id === 'fmt ') {
        if (body + size > bytes.length) return null;
        this.formatSeen = readFormat(view, body, size);
      }
      // Chunks are padded to an even length.
      at = body + size + (size & 1);
    }
    return null;
  }
}

function readFormat(view: DataView, at: number, size: number): WavStreamFormat {
  if (size < 16) throw new WavFormatError(`fmt chunk is ${size} bytes, expected at least 16`);
  const format = view.getUint16(at, true);
  const channels = view.getUint16(at + 2, true);
  const sampleRate = view.getUint32(at + 4, true);
  const bits = view.getUint16(at + 14, true);
  if (format !== 1 || bits !== 16) throw new WavFormatError(`expected 16-bit PCM, got format ${format} with ${bits} bits per sample`);
  if (channels !== 1) throw new WavFormatError(`expected mono audio, got ${channels} channels`);
  if (sampleRate < 1000 || sampleRate > 192000) throw new WavFormatError(`implausible sample rate ${sampleRate} Hz`);
  return { sampleRate };
}

function printable(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
}
