// Telephone-band input needs a different starting cepstral mean. The decoder normalises features
// by a running cepstral mean that starts at the model's `-cmninit` and is only updated when an
// utterance ends, so the FIRST utterance is decoded against the start value. The en-us value fits
// wideband speech; 8 kHz audio upsampled to 16 kHz has no energy above 4 kHz, its mean is far
// from it, and the first utterance comes out as nonsense ("on what about on appointment" for "I
// would like to book an appointment"). The model's feat.params overrides `-cmninit` given on the
// command line, so we hand the decoder a copy of feat.params (`-featparams`) with a narrowband
// start value instead.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedFile } from './pocketsphinx-cache.js';

/**
 * Cepstral mean the decoder converged to on 8 kHz espeak-ng speech (upsampled to 16 kHz), read
 * from its log after a booking dialogue. Measured on a different synthesizer from the flite voice
 * the tests use, so the tests do not grade their own training data.
 */
export const NARROWBAND_CMN_INIT = '44.08,20.82,-33.70,41.83,-25.52,-1.64,5.89,-28.29,7.68,-12.05,6.06,-0.22,-11.98';

/** Stream rates at or below this are treated as telephone band. */
export const NARROWBAND_MAX_RATE = 8000;

/**
 * Decoder arguments for a stream at `sampleRate`: none for wideband input, or `-featparams` with
 * the narrowband start mean (none either when the model has no feat.params to copy).
 */
export function featureParamsArgs(hmmDir: string, sampleRate: number): string[] {
  if (sampleRate > NARROWBAND_MAX_RATE) return [];
  const source = join(hmmDir, 'feat.params');
  if (!existsSync(source)) return [];
  const original = readFileSync(source, 'utf8');
  const lines = original.split('\n').filter((line) => !line.trim().startsWith('-cmninit'));
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  lines.push(`-cmninit ${NARROWBAND_CMN_INIT}`, '');
  return ['-featparams', cachedFile('params', lines.join('\n'))];
}
