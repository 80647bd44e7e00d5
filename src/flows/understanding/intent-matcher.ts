// Fuzzy intent matching over example phrases. Each utterance word is compared with each example
// word by spelling similarity (so ASR slips like "cancer my appointment" still match "cancel"),
// words are weighted by how much they tell intents apart (a word every intent uses counts little),
// and an example's score is the F-measure of how much of the example was said (recall) and how
// much of what was said the example explains (precision).
import { STOPWORDS, stem, tokenize } from './normalize.js';
import { wordSimilarity } from './similarity.js';

export type IntentExamples = Readonly<Record<string, readonly string[]>>;

export type IntentScore = { intent: string; score: number; example: string };

/** Below this word similarity two words are different words. */
const WORD_MATCH = 0.85;
const STOPWORD_WEIGHT = 0.25;

type Example = { intent: string; text: string; words: string[]; weights: number[]; total: number };

export class IntentMatcher {
  private readonly examples: Example[] = [];
  private readonly weight = new Map<string, number>();
  private readonly unknownWeight: number;

  constructor(intents: IntentExamples) {
    const names = Object.keys(intents);
    const df = new Map<string, number>();
    const perIntent = names.map((name) => intents[name].map((text) => ({ text, words: wordsOf(text) })));
    perIntent.forEach((examples) => {
      for (const w of new Set(examples.flatMap((e) => e.words))) df.set(w, (df.get(w) ?? 0) + 1);
    });
    const n = Math.max(names.length, 2);
    this.unknownWeight = 1 + Math.log(n) / 2;
    for (const [w, count] of df) this.weight.set(w, STOPWORDS.has(w) ? STOPWORD_WEIGHT : 1 + Math.log(n / count));
    perIntent.forEach((examples, k) => {
      for (const { text, words } of examples) {
        if (words.length === 0) continue;
        const weights = words.map((w) => this.weightOf(w));
        this.examples.push({ intent: names[k], text, words, weights, total: sum(weights) });
      }
    });
  }

  /** Best score per intent, best first. `only` restricts the intents considered. */
  rank(text: string, only?: Iterable<string>): IntentScore[] {
    const allowed = only ? new Set(only) : null;
    const said = wordsOf(text);
    if (said.length === 0) return [];
    // Adjacent words joined, for a word the recogniser split in two ("good bye", "re schedule").
    const candidates = [...said, ...said.slice(1).map((w, i) => said[i] + w)];
    const best = new Map<string, IntentScore>();
    for (const ex of this.examples) {
      if (allowed && !allowed.has(ex.intent)) continue;
      const score = this.score(ex, said, candidates);
      const prev = best.get(ex.intent);
      if (!prev || score > prev.score) best.set(ex.intent, { intent: ex.intent, score, example: ex.text });
    }
    return [...best.values()].sort((a, b) => b.score - a.score || a.intent.localeCompare(b.intent));
  }

  /** The best intent when it scores at least `threshold` and clearly beats the runner-up. */
  match(text: string, only?: Iterable<string>, threshold = 0.5): IntentScore | null {
    const [first, second] = this.rank(text, only);
    if (!first || first.score < threshold) return null;
    if (second && first.score - second.score < 0.05 && first.score < 0.9) return null;
    return first;
  }

  private score(ex: Example, said: string[], candidates: string[]): number {
    let recalled = 0;
    ex.words.forEach((w, i) => {
      recalled += ex.weights[i] * bestMatch(w, candidates);
    });
    let explained = 0;
    let saidTotal = 0;
    // A word split in two ("re schedule") is explained by the example word both halves make.
    const joined = said.slice(1).map((w, i) => bestMatch(said[i] + w, ex.words));
    said.forEach((w, i) => {
      const weight = this.weightOf(w);
      saidTotal += weight;
      explained += weight * Math.max(bestMatch(w, ex.words), joined[i - 1] ?? 0, joined[i] ?? 0);
    });
    const recall = recalled / ex.total;
    const precision = saidTotal > 0 ? explained / saidTotal : 0;
    return recall + precision === 0 ? 0 : (2 * recall * precision) / (recall + precision);
  }

  /** Words no example uses weigh like rare words: what the caller said beyond the example matters. */
  private weightOf(word: string): number {
    return this.weight.get(word) ?? (STOPWORDS.has(word) ? STOPWORD_WEIGHT : this.unknownWeight);
  }
}

function wordsOf(text: string): string[] {
  return tokenize(text).map(stem);
}

function bestMatch(word: string, pool: readonly string[]): number {
  let best = 0;
  for (const other of pool) {
    const s = wordSimilarity(word, other);
    if (s > best) best = s;
    if (best === 1) break;
  }
  return best >= WORD_MATCH ? best : 0;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
