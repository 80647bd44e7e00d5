// The bytes /v1/speak sends for a text: the simulated voice, encoded as asked, in a WAV container or
// none. The `wrong_audio_format` fault sends a container the client did not ask for: a WAV header in
// front of raw audio, or an MP3 (ID3) header when WAV was asked.
import { synthesizeSpeech } from '../sim-voice.js';
import type { SpeakParams } from './deepgram-params.js';
import { bytesPerSample, encodeRaw, wavHeader } from './raw-audio.js';

const ID3_HEADER = Buffer.from([0x49, 0x44, 0x33, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]);

export function speakBytes(text: string, params: SpeakParams, wrongFormat: boolean): Buffer {
  const speech = synthesizeSpeech(text, params.sampleRate, params.model);
  const raw = encodeRaw(speech.samples, params.encoding);
  if (wrongFormat) {
    return params.container === 'wav' ? Buffer.concat([ID3_HEADER, raw]) : Buffer.concat([wavHeader(params.encoding, params.sampleRate, raw.length), raw]);
  }
  if (params.container === 'wav') return Buffer.concat([wavHeader(params.encoding, params.sampleRate, raw.length), raw]);
  return raw;
}

export function bytesPerSecond(params: SpeakParams): number {
  return params.sampleRate * bytesPerSample(params.encoding);
}

/** The REST response's content type, e.g. `audio/l16;rate=24000` for headerless linear16. */
export function speakContentType(params: SpeakParams): string {
  if (params.container === 'wav') return 'audio/wav';
  const name = params.encoding === 'linear16' ? 'l16' : params.encoding;
  return `audio/${name};rate=${params.sampleRate}`;
}
