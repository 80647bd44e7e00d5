// EspeakTts with the real espeak-ng: the streamed audio is exactly what espeak-ng writes (resampled
// to the asked rate), it is speech of a plausible length that pocketsphinx transcribes back, and
// the voice, rate and pitch settings change it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Resampler } from '../../../src/audio/resampler.js';
import { readWav, writeWav } from '../../../src/audio/wav.js';
import { EspeakTts, type EspeakTtsOptions } from '../../../src/providers/local/espeak-tts.js';
import type { TtsAudio } from '../../../src/providers/types.js';
import { concatPcm } from '../../../src/audio/pcm.js';
import { providerFailure } from '../../helpers/provider-failure.js';

const BOOKING = 'Please book an appointment for tomorrow morning at ten.';
const created: EspeakTts[] = [];
afterAll(() => Promise.all(created.map((t) => t.close())));

function tts(options: EspeakTtsOptions = {}): EspeakTts {
  const t = new EspeakTts(options);
  created.push(t);
  return t;
}

async function collect(provider: EspeakTts, text: string, sampleRate: number, voice?: string): Promise<{ chunks: TtsAudio[]; samples: Int16Array }> {
  const chunks: TtsAudio[] = [];
  for await (const chunk of provider.synthesize({ text, sampleRate, voice, signal: new AbortController().signal })) chunks.push(chunk);
  return { chunks, samples: concatPcm(chunks.map((c) => c.samples)) };
}


/** espeak-ng run directly on the same text and settings, its whole WAV read at once. */
function espeakDirect(text: string, args: string[] = []): { sampleRate: number; samples: Int16Array } {
  const wav = readWav(new Uint8Array(execFileSync('espeak-ng', ['--stdout', '--stdin', '-b', '1', '-s', '170', '-p', '50', '-a', '100', ...args], { input: text })));
  return { sampleRate: wav.sampleRate, samples: wav.samples };
}

const bytesOf = (s: Int16Array) => Buffer.from(s.buffer, s.byteOffset, s.byteLength);
const ms = (samples: number, rate: number) => (samples * 1000) / rate;

/** Share of 20 ms frames louder than -40 dBFS. */
function voicedShare(samples: Int16Array, rate: number): number {
  const frame = rate / 50;
  let loud = 0;
  let frames = 0;
  for (let at = 0; at + frame <= samples.length; at += frame, frames++) {
    let sum = 0;
    for (let i = at; i < at + frame; i++) sum += samples[i] * samples[i];
    if (Math.sqrt(sum / frame) > 328) loud++;
  }
  return loud / frames;
}

/** Median fundamental frequency of the clearly periodic 40 ms frames (autocorrelation, 60–500 Hz). */
function medianPitchHz(samples: Int16Array, rate: number): number {
  const frame = Math.round(rate * 0.04);
  const pitches: number[] = [];
  for (let at = 0; at + frame <= samples.length; at += frame) {
    let energy = 0;
    for (let i = at; i < at + frame; i++) energy += samples[i] * samples[i];
    if (energy / frame < 1000 ** 2) continue;
    let best = 0;
    let bestLag = 0;
    for (let lag = Math.floor(rate / 500); lag <= Math.ceil(rate / 60); lag++) {
      let sum = 0;
      for (let i = at; i + lag < at + frame; i++) sum += samples[i] * samples[i + lag];
      const r = sum / energy;
      if (r > best) [best, bestLag] = [r, lag];
    }
    if (best > 0.5) pitches.push(rate / bestLag);
  }
  pitches.sort((a, b) => a - b);
  return pitches[Math.floor(pitches.length / 2)];
}

describe('EspeakTts audio', () => {
  it('streams exactly what espeak-ng writes, at 22050 Hz natively and resampled to 16000 Hz', async () => {
    const direct = espeakDirect(BOOKING, ['-v', 'en-us']);
    expect(direct.sampleRate).toBe(22050);
    const native = await collect(tts(), BOOKING, 22050);
    expect(native.samples.length).toBe(direct.samples.length);
    expect(bytesOf(native.samples).equals(bytesOf(direct.samples))).toBe(true);

    const r = new Resampler(22050, 16000);
    const expected = concatPcm([r.process(direct.samples), r.flush()]);
    const wide = await collect(tts(), BOOKING, 16000);
    expect(bytesOf(wide.samples).equals(bytesOf(expected))).toBe(true);
  });

  it('gives speech of a plausible length at 16000 and 8000 Hz, with no word timings', async () => {
    const provider = tts();
    const words = BOOKING.split(' ').length;
    for (const rate of [16000, 8000]) {
      const { chunks, samples } = await collect(provider, BOOKING, rate);
      const perWordMs = ms(samples.length, rate) / words;
      // 170 words per minute is ~350 ms a word; espeak adds a sentence-final pause.
      expect(perWordMs).toBeGreaterThan(200);
      expect(perWordMs).toBeLessThan(600);
      expect(voicedShare(samples, rate)).toBeGreaterThan(0.5);
      expect(chunks.every((c) => c.words === undefined)).toBe(true);
      expect(provider.capabilities.wordTimestamps).toBe(false);
    }
    const at16 = (await collect(provider, BOOKING, 16000)).samples.length;
    const at8 = (await collect(provider, BOOKING, 8000)).samples.length;
    // Same audio length; only the resamplers' flushed tails differ by a fraction of a millisecond.
    expect(Math.abs(ms(at16, 16000) - ms(at8, 8000))).toBeLessThan(2);
  });

  it.skipIf(!existsSync('/usr/bin/pocketsphinx_continuous'))('is transcribed back to its key words by pocketsphinx', async () => {
    // pocketsphinx's en-us model hears espeak's default voice poorly; the klatt variant well.
    const provider = tts({ voice: 'en-us+klatt', rate: 150 });
    const dir = mkdtempSync(join(tmpdir(), 'parley-espeak-'));
    try {
      const heard = async (text: string): Promise<string> => {
        const file = join(dir, `${text.length}.wav`);
        writeFileSync(file, writeWav({ sampleRate: 16000, channels: 1, samples: (await collect(provider, text, 16000)).samples }));
        const model = '/usr/share/pocketsphinx/model/en-us';
        const args = ['-infile', file, '-hmm', `${model}/en-us`, '-lm', `${model}/en-us.lm.bin`, '-dict', `${model}/cmudict-en-us.dict`, '-logfn', '/dev/null'];
        return new Promise((resolve, reject) => execFile('pocketsphinx_continuous', args, (err, stdout) => (err ? reject(err) : resolve(stdout.toLowerCase()))));
      };
      const [booking, cancelled] = await Promise.all([heard(BOOKING), heard('Your appointment has been cancelled.')]);
      const keyWords = ['appointment', 'tomorrow', 'morning', 'ten'];
      expect(keyWords.filter((w) => booking.split(/\s+/).includes(w)).length, booking).toBeGreaterThanOrEqual(3);
      expect(cancelled).toContain('cancelled');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('changes with rate, pitch and voice; request.voice overrides the configured voice', async () => {
    const text = 'Our office is open from nine until five.';
    const slow = (await collect(tts({ rate: 110 }), text, 16000)).samples;
    const fast = (await collect(tts({ rate: 300 }), text, 16000)).samples;
    expect(fast.length / slow.length).toBeLessThan(0.6);

    const low = medianPitchHz((await collect(tts({ pitch: 10 }), text, 16000)).samples, 16000);
    const high = medianPitchHz((await collect(tts({ pitch: 90 }), text, 16000)).samples, 16000);
    expect(high / low).toBeGreaterThan(1.3);

    const provider = tts({ voice: 'en-us' });
    const male = (await collect(provider, text, 16000)).samples;
    const female = (await collect(provider, text, 16000, 'en-us+f3')).samples;
    // An empty request voice means the configured one.
    expect(bytesOf((await collect(provider, text, 16000, '')).samples).equals(bytesOf(male))).toBe(true);
    expect(medianPitchHz(female, 16000) / medianPitchHz(male, 16000)).toBeGreaterThan(1.3);
    // The override is exactly espeak-ng's own rendering of that voice.
    const r = new Resampler(22050, 16000);
    const direct = espeakDirect(text, ['-v', 'en-us+f3']).samples;
    expect(bytesOf(female).equals(bytesOf(concatPcm([r.process(direct), r.flush()])))).toBe(true);
    const french = (await collect(provider, 'Bonjour, comment allez-vous?', 16000, 'fr')).samples;
    expect(bytesOf(french).equals(bytesOf((await collect(provider, 'Bonjour, comment allez-vous?', 16000)).samples))).toBe(false);
  });

  it('speaks several sentences of one request, in more than one chunk', async () => {
    const one = (await collect(tts(), 'The first sentence is here.', 16000)).samples.length;
    const { chunks, samples } = await collect(tts(), 'The first sentence is here. The second one follows. And a third.', 16000);
    expect(chunks.length).toBeGreaterThan(1);
    expect(samples.length).toBeGreaterThan(2 * one);
  });

  it('reads leading dashes and SSML characters as text, not options or markup', async () => {
    const provider = tts();
    // As an argument "-v fr" would switch the voice; as text it is said.
    const dashed = (await collect(provider, '-v fr --version', 16000)).samples;
    expect(ms(dashed.length, 16000)).toBeGreaterThan(1000);
    expect(voicedShare(dashed, 16000)).toBeGreaterThan(0.4);
    const markup = await collect(provider, '<speak>Less than < and AT&T</speak>', 16000);
    const direct = espeakDirect('<speak>Less than < and AT&T</speak>', ['-v', 'en-us']).samples;
    const r = new Resampler(22050, 16000);
    expect(bytesOf(markup.samples).equals(bytesOf(concatPcm([r.process(direct), r.flush()])))).toBe(true);
  });

  it('yields nothing for empty or blank text', async () => {
    const provider = tts();
    for (const text of ['', '   ', '\n\t', '\u0000']) expect((await collect(provider, text, 16000)).chunks).toEqual([]);
  });

  it('lists its languages from espeak-ng once the voices are loaded', async () => {
    const provider = tts();
    expect(provider.capabilities).toEqual({ sampleRates: [22050], wordTimestamps: false, languages: ['*'], streaming: true });
    await provider.ready();
    expect(provider.capabilities.languages).toEqual(expect.arrayContaining(['en', 'en-us', 'fr-fr', 'de']));
    expect(provider.name).toBe('espeak');
  });
});

describe('EspeakTts settings errors', () => {

  it('refuses an unknown configured or requested voice with a clear error', async () => {
    const configured = await providerFailure(() => collect(tts({ voice: 'vulcan' }), 'Hello.', 16000));
    expect(configured.kind).toBe('bad_request');
    expect(configured.code).toBe('unknown_voice');
    expect(configured.message).toMatch(/^espeak: unknown voice "vulcan".*espeak-ng --voices/);
    await expect(tts({ voice: 'vulcan' }).ready()).rejects.toThrow(/unknown voice "vulcan"/);

    const requested = await providerFailure(() => collect(tts(), 'Hello.', 16000, 'en-xx'));
    expect(requested.code).toBe('unknown_voice');
    expect(requested.message).toMatch(/"en-xx".*try one of: .*en-us/);
  });

  it('refuses out-of-range settings and sample rates', async () => {
    expect(() => new EspeakTts({ rate: 20 })).toThrow(/rate must be an integer from 80 to 450, got 20/);
    expect(() => new EspeakTts({ pitch: 100 })).toThrow(/pitch must be an integer from 0 to 99/);
    expect(() => new EspeakTts({ volume: -1 })).toThrow(/volume must be an integer from 0 to 200/);
    expect(() => new EspeakTts({ voice: ' ' })).toThrow(/voice must not be empty/);
    for (const rate of [12.5, 8009, 4000]) {
      const badRate = await providerFailure(() => collect(tts(), 'Hello.', rate));
      expect(badRate.kind).toBe('bad_request');
      expect(badRate.message).toMatch(new RegExp(`cannot produce audio at ${rate} Hz`));
    }
  });
});
