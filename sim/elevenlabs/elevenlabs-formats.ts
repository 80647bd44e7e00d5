// ElevenLabs `output_format` values the simulator can produce, and the bytes for each. PCM is headerless
// little-endian int16 mono; ulaw/alaw are raw G.711 bytes at 8 kHz. MP3 and Opus are real vendor formats
// the simulator refuses: it has no encoder for them, and pretending would hand clients undecodable bytes.
import { aLawEncode, muLawEncode } from '../../src/audio/g711.js';
import { pcm16ToBytes } from '../../src/audio/pcm.js';

export type SimOutputFormat = {
  name: string;
  encoding: 'pcm16' | 'mulaw' | 'alaw';
  sampleRate: number;
  bytesPerSample: 1 | 2;
  /** What the REST endpoint labels the body with. */
  contentType: string;
};

/** The vendor's default when the query names none. */
export const DEFAULT_OUTPUT_FORMAT = 'mp3_44100_128';

const PCM_RATES = [8000, 16000, 22050, 24000, 44100, 48000];

export function parseOutputFormat(value: string | null): { format: SimOutputFormat } | { error: string } {
  const name = value ?? DEFAULT_OUTPUT_FORMAT;
  const pcm = /^pcm_(\d+)$/.exec(name);
  if (pcm && PCM_RATES.includes(Number(pcm[1]))) {
    return { format: { name, encoding: 'pcm16', sampleRate: Number(pcm[1]), bytesPerSample: 2, contentType: 'audio/pcm' } };
  }
  if (name === 'ulaw_8000') return { format: { name, encoding: 'mulaw', sampleRate: 8000, bytesPerSample: 1, contentType: 'audio/basic' } };
  if (name === 'alaw_8000') return { format: { name, encoding: 'alaw', sampleRate: 8000, bytesPerSample: 1, contentType: 'audio/x-alaw-basic' } };
  if (/^(mp3|opus)_/.test(name)) {
    return {
      error:
        `output_format ${name} is valid for ElevenLabs but the simulator cannot encode MP3/Opus` +
        `${value === null ? ' (it is the default when output_format is omitted)' : ''}; ask for pcm_<rate>, ulaw_8000 or alaw_8000`,
    };
  }
  return { error: `invalid output_format ${name}` };
}

export function encodeAudio(samples: Int16Array, format: SimOutputFormat): Buffer {
  if (format.encoding === 'mulaw') return Buffer.from(muLawEncode(samples));
  if (format.encoding === 'alaw') return Buffer.from(aLawEncode(samples));
  // Copy: slices of it are sent later and must not alias the synthesis buffer.
  return Buffer.from(pcm16ToBytes(samples));
}

/** An MP3 ID3v2 tag header, for the `wrong_audio_format` fault. */
export const ID3_HEADER = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x23]);
