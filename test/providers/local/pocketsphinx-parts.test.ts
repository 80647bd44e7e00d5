// The pocketsphinx provider's pure parts: reading the decoder's output, mapping decoder time to
// stream time, building the domain language model, and checking what is installed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/providers/provider-error.js';
import { parseDictionary } from '../../../src/providers/local/pocketsphinx-dictionary.js';
import { grammarWords, prepareDomain } from '../../../src/providers/local/pocketsphinx-domain.js';
import { featureParamsArgs, NARROWBAND_CMN_INIT } from '../../../src/providers/local/pocketsphinx-feature-params.js';
import { DEFAULT_DICT_PATH, DEFAULT_HMM_DIR, missingInstallParts, resolveBinary } from '../../../src/providers/local/pocketsphinx-install.js';
import { buildArpaModel } from '../../../src/providers/local/pocketsphinx-language-model.js';
import { DecoderOutputReader, type DecodedUtterance } from '../../../src/providers/local/pocketsphinx-output.js';
import { DecoderTimeline } from '../../../src/providers/local/pocketsphinx-timeline.js';
import { spokenWords } from '../../../src/providers/local/pocketsphinx-words.js';

function read(chunks: string[]): DecodedUtterance[] {
  const out: DecodedUtterance[] = [];
  const reader = new DecoderOutputReader((u) => out.push(u));
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return out;
}

describe('DecoderOutputReader', () => {
  const utterance = [
    'i would like to book',
    '<s> 0.920 1.090 0.999100',
    'i 1.100 1.260 0.361130',
    'would 1.270 1.450 0.438325',
    '<sil> 1.460 1.500 0.999200',
    '[NOISE] 1.510 1.600 0.900000',
    'like 1.610 1.690 1.000100',
    'to(3) 1.700 1.800 0.564753',
    'book 1.810 2.100 0.5',
    '</s> 2.110 2.300 1.000000',
    '',
  ].join('\n');

  it('keeps real words with times in ms, drops markers, fillers and variant numbers, clamps confidence', () => {
    const [u] = read([utterance]);
    expect(u.hypothesis).toBe('i would like to book');
    expect(u.words.map((w) => w.word)).toEqual(['i', 'would', 'like', 'to', 'book']);
    expect(u.words[0]).toEqual({ word: 'i', startMs: 1100, endMs: 1260, confidence: 0.36113 });
    expect(u.words[2].confidence).toBe(1);
  });

  it('reports each utterance at its </s> even when lines arrive split across chunks', () => {
    const out: DecodedUtterance[] = [];
    const reader = new DecoderOutputReader((u) => out.push(u));
    const second = 'tomorrow\n<s> 3.0 3.1 1.0\ntomorrow 3.100 3.700 0.9\n</s> 3.710 3.900 1.0\n';
    const all = utterance + second;
    for (let i = 0; i < all.length; i += 7) reader.push(all.slice(i, i + 7));
    expect(out.map((u) => u.words.map((w) => w.word).join(' '))).toEqual(['i would like to book', 'tomorrow']);
    reader.discard();
  });

  it('completes a grammar utterance (no </s>) when the output goes quiet', async () => {
    const out: DecodedUtterance[] = [];
    const reader = new DecoderOutputReader((u) => out.push(u));
    reader.push('yes please\n<sil> 0.000 1.190 1.000000\nyes 1.200 1.570 1.000000\nplease 1.580 2.180 1.000000\n<sil> 2.190 2.640 1.000000\n');
    expect(out).toHaveLength(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(out.map((u) => u.words.map((w) => w.word))).toEqual([['yes', 'please']]);
  });

  it('reads keyword-spotting output: multi-word phrases, newest first, sorted into time order', () => {
    const [u] = read(['three  friday \nthree  4.360 4.550 0.885401\nfriday  3.660 4.130 0.880897\n']);
    expect(u.words.map((w) => [w.word, w.startMs])).toEqual([['friday', 3660], ['three', 4360]]);
    const [phrase] = read(['yes please \nyes please  1.190 2.190 0.870040\n']);
    expect(phrase.words).toEqual([{ word: 'yes please', startMs: 1190, endMs: 2190, confidence: 0.87004 }]);
  });

  it('treats garbage as hypothesis lines without words, never as words', () => {
    const out = read(['\u0000\u0001 binary junk\nINFO: something 1.0\nnot a number x y z\n12 34\n']);
    expect(out.flatMap((u) => u.words)).toEqual([]);
  });
});

describe('DecoderTimeline', () => {
  it('maps decoder ms to stream ms across inserted silence', () => {
    const t = new DecoderTimeline();
    t.audio(1000, 1000);
    t.insertedSilence(700);
    t.audio(500, 500);
    expect(t.toStreamMs(400)).toBe(400);
    expect(t.toStreamMs(1300)).toBe(1000); // inside the inserted silence: where it was inserted
    expect(t.toStreamMs(1800)).toBe(1100);
    expect(t.toStreamMs(5000)).toBe(1500); // never past the audio written
    expect(t.decoderPositionMs).toBe(2200);
    expect(t.streamPositionMs).toBe(1500);
  });

  it('subtracts the resampler delay and keeps working after many finalizes', () => {
    const t = new DecoderTimeline(2);
    for (let i = 0; i < 400; i++) {
      t.audio(100, 100);
      t.insertedSilence(50);
    }
    t.audio(100, 100);
    expect(t.toStreamMs(400 * 150 + 50)).toBe(40_048);
  });
});

describe('spokenWords', () => {
  it('writes phrases the way the dictionary spells them', () => {
    expect(spokenWords('Tomorrow at 3pm, please!')).toEqual(['tomorrow', 'at', 'three', 'pm', 'please']);
    expect(spokenWords('the 21st at 9:30 a.m.')).toEqual(['the', 'twenty', 'first', 'at', 'nine', 'thirty', 'am']);
    expect(spokenWords('call 07700 900123')).toEqual('call zero seven seven zero zero nine zero zero one two three'.split(' '));
    expect(spokenWords("o'clock")).toEqual(["o'clock"]);
  });
});

/** log10 P(word | history) under the ARPA model, following back-off as the decoder does. */
function arpaScorer(arpa: string): (history: string[], word: string) => number {
  const prob = new Map<string, number>();
  const backoff = new Map<string, number>();
  for (const line of arpa.split('\n')) {
    const parts = line.trim().split(/\s+/);
    if (parts.length < 2 || !/^-?\d/.test(parts[0])) continue;
    const numeric = /^-?\d/.test(parts[parts.length - 1]) && parts.length > 2;
    const words = parts.slice(1, numeric ? -1 : undefined);
    prob.set(words.join(' '), Number(parts[0]));
    if (numeric) backoff.set(words.join(' '), Number(parts[parts.length - 1]));
  }
  const score = (history: string[], word: string): number => {
    const gram = [...history, word].join(' ');
    if (prob.has(gram)) return prob.get(gram)!;
    if (history.length === 0) return -99;
    return (backoff.get(history.join(' ')) ?? 0) + score(history.slice(1), word);
  };
  return score;
}

describe('buildArpaModel', () => {
  const sentences = [['book', 'an', 'appointment'], ['cancel', 'my', 'appointment'], ['book', 'my', 'haircut'], ['yes']];
  const arpa = buildArpaModel({ sentences, extraWords: ['goodbye'] });

  it('writes an ARPA header whose counts match its sections', () => {
    const counts = [...arpa.matchAll(/^ngram (\d)=(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
    for (const [order, count] of counts) {
      const section = arpa.split(`\\${order}-grams:\n`)[1].split('\n\n')[0];
      expect(section.split('\n').filter(Boolean)).toHaveLength(count);
    }
    expect(arpa.trimEnd().endsWith('\\end\\')).toBe(true);
  });

  it('gives every history a distribution over the vocabulary that sums to one', () => {
    const score = arpaScorer(arpa);
    const vocabulary = ['book', 'an', 'appointment', 'cancel', 'my', 'haircut', 'yes', 'goodbye', '</s>'];
    for (const history of [[], ['<s>'], ['book'], ['my'], ['<s>', 'book'], ['book', 'my'], ['cancel', 'my'], ['goodbye']]) {
      const total = vocabulary.reduce((sum, w) => sum + 10 ** score(history, w), 0);
      expect(total, `history "${history.join(' ')}"`).toBeCloseTo(1, 3);
    }
  });

  it('prefers seen word orders but leaves unseen ones possible', () => {
    const score = arpaScorer(arpa);
    expect(score(['book'], 'an')).toBeGreaterThan(score(['book'], 'cancel'));
    expect(score(['book'], 'cancel')).toBeGreaterThan(-10);
    expect(score([], 'goodbye')).toBeGreaterThan(-10);
  });

  it('refuses an empty model', () => {
    expect(() => buildArpaModel({ sentences: [] })).toThrow(RangeError);
  });

  it('is accepted by pocketsphinx itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'arpa-test-'));
    try {
      const { args } = prepareDomain({ phrases: ['book an appointment', 'cancel my appointment'] }, DEFAULT_DICT_PATH);
      writeFileSync(join(dir, 'quiet.raw'), Buffer.alloc(3200));
      // Exits 0 only if the model and dictionary load.
      execFileSync('pocketsphinx_continuous', ['-hmm', DEFAULT_HMM_DIR, ...args, '-infile', join(dir, 'quiet.raw'), '-logfn', '/dev/null']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('prepareDomain', () => {
  it('builds a model and a dictionary cut down to the domain words, and lists unknown words', () => {
    const domain = prepareDomain({ phrases: ['book with Zxqvbn please'], vocabulary: ['cancel'] }, DEFAULT_DICT_PATH);
    expect(domain.unknownWords).toEqual(['zxqvbn']);
    const lm = readFileSync(domain.args[domain.args.indexOf('-lm') + 1], 'utf8');
    // The unknown word splits the sentence: no n-gram bridges it.
    expect(lm).toContain('book with');
    expect(lm).not.toMatch(/with please/);
    const dict = readFileSync(domain.args[domain.args.indexOf('-dict') + 1], 'utf8');
    expect(dict.split('\n').filter(Boolean).map((l) => l.split(' ')[0].replace(/\(\d\)$/, ''))).toEqual(expect.arrayContaining(['book', 'with', 'please', 'cancel']));
    expect(dict.split('\n').filter(Boolean).length).toBeLessThan(20);
  });

  it('refuses grammar or keyphrase words the dictionary lacks, naming them', () => {
    const grammar = '#JSGF V1.0;\ngrammar g;\npublic <a> = yes | blorpt;';
    expect(() => prepareDomain({ grammar }, DEFAULT_DICT_PATH)).toThrow(/blorpt/);
    expect(() => prepareDomain({ keyphrases: ['book now', 'zzyzx'] }, DEFAULT_DICT_PATH)).toThrow(/zzyzx/);
    expect(() => prepareDomain({ grammar: '#JSGF V1.0; grammar g; public <a> = yes;', keyphrases: ['yes'] }, DEFAULT_DICT_PATH)).toThrow(ProviderError);
  });

  it('finds the words of a JSGF grammar', () => {
    const words = grammarWords('#JSGF V1.0;\n// comment words\ngrammar booking;\npublic <answer> = yes [please] | (no | nope) <day> {tag} /0.5/ thanks* ;\n<day> = monday | tuesday;');
    expect(words.sort()).toEqual(['monday', 'no', 'nope', 'please', 'thanks', 'tuesday', 'yes']);
  });
});

describe('parseDictionary', () => {
  it('keeps every pronunciation variant of a word', () => {
    const dict = parseDictionary('a AH\na(2) EY\nbook B UH K\n;;; comment\n');
    expect(dict.has('a')).toBe(true);
    expect(dict.has('a(2)')).toBe(false);
    expect(dict.subset(['a', 'zzz'])).toBe('a AH\na(2) EY\n');
  });
});

describe('install checks', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('finds the Debian binary on PATH and names every missing part', () => {
    expect(resolveBinary('pocketsphinx_continuous')).toMatch(/pocketsphinx_continuous$/);
    expect(resolveBinary('no-such-decoder-binary')).toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'hmm-'));
    dirs.push(dir);
    const problems = missingInstallParts({ binary: 'no-such-decoder-binary', hmmDir: dir, lmPath: '/nope/en-us.lm.bin', dictPath: '/nope/x.dict' });
    expect(problems).toEqual([
      'decoder binary `no-such-decoder-binary` not found on PATH',
      `acoustic model directory ${dir} lacks mdef, means, variances, transition_matrices`,
      'language model /nope/en-us.lm.bin not found',
      'pronunciation dictionary /nope/x.dict not found',
    ]);
  });

  it('gives 8 kHz streams a copy of feat.params with the narrowband cepstral start mean', () => {
    expect(featureParamsArgs(DEFAULT_HMM_DIR, 16000)).toEqual([]);
    const [flag, path] = featureParamsArgs(DEFAULT_HMM_DIR, 8000);
    expect(flag).toBe('-featparams');
    const text = readFileSync(path, 'utf8');
    expect(text).toContain(`-cmninit ${NARROWBAND_CMN_INIT}`);
    expect(text.match(/-cmninit/g)).toHaveLength(1);
    expect(text).toContain('-feat 1s_c_d_dd');
  });
});
