// Restricting what the decoder listens for. Three ways, for three kinds of flow node:
// - phrases (+ vocabulary): example sentences become a small trigram model, so the decoder expects
//   the domain's words in the domain's orders but can still combine them freely. Measured best
//   for open booking-style answers (see docs in the provider).
// - grammar: a JSGF grammar; only sentences it derives can come out (menus, yes/no, digits).
// - keyphrases: keyword spotting; only the listed phrases are reported, with their times.
// Each becomes files in a shared cache directory named by their content, plus decoder arguments.
import { ProviderError } from '../provider-error.js';
import { cachedFile } from './pocketsphinx-cache.js';
import { loadDictionary } from './pocketsphinx-dictionary.js';
import { buildArpaModel } from './pocketsphinx-language-model.js';
import { spokenWords } from './pocketsphinx-words.js';

export type PocketsphinxDomain = {
  /** Example sentences of the domain; digits are spelled out. */
  phrases?: readonly string[];
  /** Words that may be said, alone or on top of `phrases`. */
  vocabulary?: readonly string[];
  /** A JSGF grammar (the text, not a path); its words must be in the dictionary, lower case. */
  grammar?: string;
  /** Phrases to spot; nothing else is reported. */
  keyphrases?: readonly string[];
  /** Keyword-spotting threshold (higher: fewer false alarms, more misses). Default 1e-20. */
  keyphraseThreshold?: number;
};

export type DomainArgs = {
  /** Decoder arguments replacing -lm/-dict. */
  args: string[];
  /** Domain words the dictionary does not have; they were left out. */
  unknownWords: string[];
};

const PROVIDER = 'pocketsphinx';

/** True when the options restrict the decoder at all. */
export function hasDomain(domain: PocketsphinxDomain): boolean {
  return Boolean(domain.phrases?.length || domain.vocabulary?.length || domain.grammar || domain.keyphrases?.length);
}

/** Builds (or finds in the cache) the files for a domain; throws a ProviderError for a bad one. */
export function prepareDomain(domain: PocketsphinxDomain, dictPath: string): DomainArgs {
  const kinds = [domain.phrases?.length || domain.vocabulary?.length, domain.grammar, domain.keyphrases?.length].filter(Boolean).length;
  if (kinds > 1) throw new ProviderError(PROVIDER, 'bad_request', 'use one of phrases/vocabulary, grammar or keyphrases, not several');
  const dictionary = loadDictionary(dictPath);

  if (domain.grammar) {
    const words = grammarWords(domain.grammar);
    const unknown = words.filter((w) => !dictionary.has(w));
    if (unknown.length > 0) throw new ProviderError(PROVIDER, 'bad_request', `grammar words missing from the dictionary ${dictPath}: ${unknown.join(', ')}`, { code: 'unknown_words' });
    return { args: ['-jsgf', cachedFile('gram', domain.grammar), '-dict', cachedFile('dic', dictionary.subset(words))], unknownWords: [] };
  }

  if (domain.keyphrases?.length) {
    const threshold = domain.keyphraseThreshold ?? 1e-20;
    if (!(threshold > 0)) throw new RangeError(`keyphraseThreshold must be > 0, got ${threshold}`);
    const phrases = domain.keyphrases.map((p) => spokenWords(p)).filter((p) => p.length > 0);
    const words = phrases.flat();
    const unknown = [...new Set(words.filter((w) => !dictionary.has(w)))];
    if (unknown.length > 0) throw new ProviderError(PROVIDER, 'bad_request', `keyphrase words missing from the dictionary ${dictPath}: ${unknown.join(', ')}`, { code: 'unknown_words' });
    const list = phrases.map((p) => `${p.join(' ')} /${threshold.toExponential()}/`).join('\n');
    return { args: ['-kws', cachedFile('kws', `${list}\n`), '-dict', cachedFile('dic', dictionary.subset(words))], unknownWords: [] };
  }

  // Phrases and vocabulary: a sentence is cut at any word the dictionary lacks, so no n-gram
  // bridges a gap the decoder could never fill.
  const unknown = new Set<string>();
  const sentences: string[][] = [];
  for (const phrase of domain.phrases ?? []) {
    let run: string[] = [];
    for (const word of spokenWords(phrase)) {
      if (dictionary.has(word)) {
        run.push(word);
        continue;
      }
      unknown.add(word);
      if (run.length > 0) sentences.push(run);
      run = [];
    }
    if (run.length > 0) sentences.push(run);
  }
  const extraWords = (domain.vocabulary ?? []).flatMap((v) => spokenWords(v)).filter((w) => {
    if (dictionary.has(w)) return true;
    unknown.add(w);
    return false;
  });
  if (sentences.length === 0 && extraWords.length === 0) {
    throw new ProviderError(PROVIDER, 'bad_request', `no domain word is in the dictionary ${dictPath} (unknown: ${[...unknown].slice(0, 20).join(', ')})`, { code: 'unknown_words' });
  }
  const model = buildArpaModel({ sentences, extraWords });
  const words = new Set([...sentences.flat(), ...extraWords]);
  return { args: ['-lm', cachedFile('lm', model), '-dict', cachedFile('dic', dictionary.subset(words))], unknownWords: [...unknown].sort() };
}

/** Words a JSGF grammar can produce (rule names, tags, weights and operators removed). */
export function grammarWords(jsgf: string): string[] {
  const body = jsgf
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .split(';')
    .map((statement) => statement.trim())
    .filter((statement) => statement.includes('='))
    .map((statement) => statement.slice(statement.indexOf('=') + 1))
    .join(' ');
  const tokens = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\/[^/]*\//g, ' ')
    .replace(/[|()[\]*+]/g, ' ')
    .split(/\s+/)
    .map((t) => t.replace(/^"|"$/g, ''))
    .filter((t) => t !== '');
  return [...new Set(tokens)];
}
