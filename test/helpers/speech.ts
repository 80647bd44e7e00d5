// Real speech for tests: flite (or espeak-ng) speaks the text, we read the WAV at 16 kHz mono.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resampler } from '../../src/audio/resampler.js';
import { readWav, toMono } from '../../src/audio/wav.js';

/** `espeakVoice` picks espeak-ng's voice (`-v`, e.g. `en-us+klatt`); flite always speaks kal16. */
export function speak(text: string, engine: 'flite' | 'espeak-ng' = 'flite', rate = 16000, espeakVoice?: string): Int16Array {
  const dir = mkdtempSync(join(tmpdir(), 'parley-speech-'));
  const file = join(dir, 'speech.wav');
  try {
    if (engine === 'flite') execFileSync('flite', ['-voice', 'kal16', '-t', text, '-o', file]);
    else execFileSync('espeak-ng', [...(espeakVoice ? ['-v', espeakVoice] : []), '-w', file, text]);
    const wav = readWav(readFileSync(file));
    const mono = toMono(wav.samples, wav.channels);
    if (wav.sampleRate === rate) return mono;
    const r = new Resampler(wav.sampleRate, rate);
    const a = r.process(mono);
    const b = r.flush();
    const out = new Int16Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function silence(ms: number, rate = 16000): Int16Array {
  return new Int16Array(Math.round((ms * rate) / 1000));
}
