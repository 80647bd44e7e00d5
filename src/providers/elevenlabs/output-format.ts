// Which ElevenLabs `output_format` a synthesis asks for, and how to decode it. `pcm` follows the
// request's sample rate (pcm_<rate>, headerless S16LE); `ulaw_8000` is G.711 μ-law at 8 kHz (what
// telephony wants), decoded to PCM16 at 8000 Hz and resampled when the request asks for another rate.
import type { RawEncoding } from '../audio-decoder.js';
import { ProviderError } from '../provider-error.js';

export type ElevenLabsOutputFormat = 'pcm' | 'ulaw_8000';

/** Rates ElevenLabs offers as `pcm_<rate>`. */
export const ELEVENLABS_PCM_RATES: readonly number[] = [8000, 16000, 22050, 24000, 44100, 48000];

export type ResolvedFormat = {
  /** The `output_format` query value. */
  wire: string;
  encoding: RawEncoding;
  /** Sample rate of the bytes on the wire. */
  wireRate: number;
  bytesPerSecond: number;
};

export function resolveOutputFormat(provider: string, format: ElevenLabsOutputFormat, sampleRate: number): ResolvedFormat {
  if (format === 'ulaw_8000') return { wire: 'ulaw_8000', encoding: 'mulaw', wireRate: 8000, bytesPerSecond: 8000 };
  if (!ELEVENLABS_PCM_RATES.includes(sampleRate)) {
    throw new ProviderError(provider, 'bad_request', `sample rate ${sampleRate} is not offered as PCM (supported: ${ELEVENLABS_PCM_RATES.join(', ')})`);
  }
  return { wire: `pcm_${sampleRate}`, encoding: 'pcm16', wireRate: sampleRate, bytesPerSecond: sampleRate * 2 };
}
