// The streaming decoder (native/pocketsphinx-stream.c, built by scripts/ensure-deps.mjs) on real
// speech: partial results while an utterance is spoken, finals with word times, odd input, and
// the fallback to pocketsphinx_continuous when it is not used.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs build script without type declarations.
import { buildNative } from '../../../scripts/ensure-deps.mjs';
import { findNativeDecoder } from '../../../src/providers/local/pocketsphinx-native.js';
import { parseStreamDecoderLine } from '../../../src/providers/local/pocketsphinx-stream-output.js';
import { PocketsphinxStt } from '../../../src/providers/local/pocketsphinx-stt.js';
import type { SttEvent } from '../../../src/providers/types.js';
import { silence, speak } from '../../helpers/speech.js';
import { wordEditDistance, normalizeWords } from '../../helpers/wer.js';
import { concatPcm } from '../../../src/audio/pcm.js';

type Final = Extract<SttEvent, { type: 'final' }>;
type Partial = Extract<SttEvent, { type: 'partial' }>;

const LONG = 'I would like to book an appointment for next Tuesday afternoon at half past three please';
const M = '/usr/share/pocketsphinx/model/en-us';

let decoder: string;

beforeAll(() => {
  (buildNative as () => string | null)();
  const found = findNativeDecoder();
  if (!found) throw new Error('build/native/pocketsphinx-stream was not built (see the build output above)');
  decoder = found;
});

/** Streams `samples` in 20 ms chunks, then finalize(), and resolves with every event up to the final. */
async function run(provider: PocketsphinxStt, samples: Int16Array): Promise<SttEvent[]> {
  const events: SttEvent[] = [];
  await new Promise<void>((resolve, reject) => {
    const stream = provider.open({
      sampleRate: 16000,
      signal: new AbortController().signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'error') reject(new Error(event.message));
        if (event.type === 'final') {
          stream.close();
          resolve();
        }
      },
    });
    for (let i = 0; i < samples.length; i += 320) stream.write(samples.subarray(i, i + 320));
    stream.finalize();
    setTimeout(() => reject(new Error('no final')), 20_000).unref();
  });
  return events;
}


describe('pocketsphinx streaming decoder', () => {
  it('is what the provider uses by default, and says it gives interim results', () => {
    expect(new PocketsphinxStt().commandLine[0]).toBe(decoder);
    expect(new PocketsphinxStt().capabilities.streaming).toBe(true);
    const fallback = new PocketsphinxStt({ streamDecoder: null });
    expect(fallback.commandLine[0]).toBe('pocketsphinx_continuous');
    expect(fallback.capabilities.streaming).toBe(false);
  });

  it('gives partials that grow into the final of a long utterance, with times inside the clip', async () => {
    const clip = speak(LONG, 'flite', 16000);
    const clipStart = 300;
    const clipEnd = clipStart + clip.length / 16;
    for (const [name, provider] of [
      ['general model', new PocketsphinxStt()],
      ['booking phrases', new PocketsphinxStt({ phrases: [LONG, 'book an appointment', 'next tuesday', 'half past three'] })],
    ] as const) {
      const events = await run(provider, concatPcm([silence(clipStart), clip, silence(300)]));
      const partials = events.filter((e): e is Partial => e.type === 'partial');
      const final = events.find((e): e is Final => e.type === 'final');
      if (!final) throw new Error('no final');
      console.log(`${name}: ${partials.length} partials: ${partials.map((p) => `"${p.text}"`).join(' -> ')}; final "${final.text}"`);
      expect(events[events.length - 1]).toBe(final);
      expect(partials.length).toBeGreaterThanOrEqual(3);
      // Each partial is a new text, and the last ones are close to the final: the hypothesis
      // settles as more audio arrives (early words can still be revised, so not a strict prefix).
      const texts = partials.map((p) => p.text);
      expect(new Set(texts).size).toBe(texts.length);
      const finalWords = normalizeWords(final.text);
      const distances = texts.map((t) => wordEditDistance(finalWords, normalizeWords(t)));
      expect(distances[distances.length - 1]).toBeLessThan(distances[0]);
      expect(distances[distances.length - 1]).toBeLessThanOrEqual(Math.ceil(finalWords.length * 0.3));
      // The first partial comes while the utterance is still being spoken: it covers an early part.
      expect(partials[0].endMs).toBeLessThan(clipStart + (clipEnd - clipStart) / 2);
      for (const p of partials) {
        expect(p.startMs).toBeGreaterThanOrEqual(clipStart - 100);
        expect(p.endMs).toBeGreaterThanOrEqual(p.startMs);
        expect(p.endMs).toBeLessThanOrEqual(clipEnd);
      }
      for (let i = 1; i < partials.length; i++) expect(partials[i].endMs).toBeGreaterThanOrEqual(partials[i - 1].endMs - 300);
      expect(wordEditDistance(normalizeWords(LONG), finalWords) / normalizeWords(LONG).length).toBeLessThanOrEqual(0.35);
      const words = final.words ?? [];
      expect(words.map((w) => w.word).join(' ')).toBe(final.text);
      expect(words[0].startMs).toBeGreaterThanOrEqual(clipStart - 100);
      expect(words[words.length - 1].endMs).toBeLessThanOrEqual(clipEnd);
    }
  });

  it('the fallback to pocketsphinx_continuous still transcribes, without partials', async () => {
    const text = 'I would like to book an appointment';
    const events = await run(new PocketsphinxStt({ streamDecoder: null }), concatPcm([silence(300), speak(text, 'flite', 16000), silence(300)]));
    expect(events.map((e) => e.type)).toEqual(['final']);
    expect(wordEditDistance(normalizeWords(text), normalizeWords((events[0] as Final).text))).toBeLessThanOrEqual(1);
  });

  it('takes garbage bytes and a half sample at the end as audio, and exits cleanly', () => {
    let seed = 7;
    const garbage = Buffer.alloc(48_001);
    for (let i = 0; i < garbage.length; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      garbage[i] = seed >> 16;
    }
    const speech = Buffer.from(speak('cancel my appointment', 'flite', 16000).buffer);
    // Odd lengths everywhere: the speech starts on an odd byte, and a lone byte ends the input.
    const input = Buffer.concat([garbage, speech, Buffer.alloc(16_000), Buffer.from([0x7f])]);
    const args = ['-hmm', `${M}/en-us`, '-lm', `${M}/en-us.lm.bin`, '-dict', `${M}/cmudict-en-us.dict`, '-samprate', '16000'];
    const result = spawnSync(decoder, args, { input, encoding: 'utf8', maxBuffer: 16 << 20 });
    expect(result.status).toBe(0);
    const events = result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { type: string });
    expect(events[0]).toEqual({ type: 'ready' });
    expect(events.slice(1).every((e) => e.type === 'partial' || e.type === 'final')).toBe(true);
    expect(events.some((e) => e.type === 'final')).toBe(true);
    // Empty input is fine too.
    expect(spawnSync(decoder, args, { input: Buffer.alloc(1) }).status).toBe(0);
  });

  it('reads its output lines into words with the same filler policy as pocketsphinx_continuous', () => {
    const line = '{"type":"final","text":"to me","words":[{"word":"<s>","startMs":0,"endMs":90,"confidence":1},{"word":"to(2)","startMs":90,"endMs":200,"confidence":0.5},{"word":"[NOISE]","startMs":200,"endMs":250,"confidence":1},{"word":"me","startMs":250,"endMs":400,"confidence":1.2}]}';
    expect(parseStreamDecoderLine(line)).toEqual({
      type: 'final',
      utterance: { hypothesis: 'to me', words: [{ word: 'to', startMs: 90, endMs: 200, confidence: 0.5 }, { word: 'me', startMs: 250, endMs: 400, confidence: 1 }] },
    });
    expect(parseStreamDecoderLine('{"type":"ready"}')).toBeNull();
    expect(parseStreamDecoderLine('{"type":"final","te')).toBeNull();
  });
});
