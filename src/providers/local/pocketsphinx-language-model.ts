// A small trigram language model in ARPA text form, built from a domain's example phrases, so
// pocketsphinx searches only the words a conversation flow expects (in the orders it expects
// them) instead of the 130 000-word general model. Absolute discounting with back-off: every
// seen n-gram gives up D of its count, and that mass goes to the shorter history, so unseen
// word orders of the domain's words remain possible, only less likely.

const DISCOUNT = 0.5;
const BOS = '<s>';
const EOS = '</s>';
/** ARPA's "impossible" log probability, used for <s> as a predicted word. */
const LOG_ZERO = -99;

export type LanguageModelInput = {
  /** Sentences already split into dictionary words. */
  sentences: readonly (readonly string[])[];
  /** Extra words that may be said although no sentence uses them. */
  extraWords?: readonly string[];
};

type Counts = Map<string, number>;

function bump(map: Counts, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function key(...words: string[]): string {
  return words.join(' ');
}

function log10(p: number): string {
  return p <= 0 ? String(LOG_ZERO) : Math.log10(p).toFixed(4);
}

/** Builds the ARPA text. Throws when there are no words at all. */
export function buildArpaModel(input: LanguageModelInput): string {
  const unigrams: Counts = new Map();
  const bigrams: Counts = new Map();
  const trigrams: Counts = new Map();
  for (const sentence of input.sentences) {
    if (sentence.length === 0) continue;
    const tokens = [BOS, ...sentence, EOS];
    for (let i = 1; i < tokens.length; i++) {
      bump(unigrams, tokens[i]);
      bump(bigrams, key(tokens[i - 1], tokens[i]));
      if (i >= 2) bump(trigrams, key(tokens[i - 2], tokens[i - 1], tokens[i]));
    }
  }
  const vocabulary = new Set<string>([...unigrams.keys(), ...(input.extraWords ?? [])]);
  vocabulary.delete(BOS);
  if (vocabulary.size === 0 || (vocabulary.size === 1 && vocabulary.has(EOS) && !input.extraWords?.length)) {
    throw new RangeError('the language model needs at least one word');
  }
  vocabulary.add(EOS);

  // Unigrams: discounted counts, plus the discounted mass spread evenly over the whole vocabulary
  // (so words from `extraWords` that no sentence uses still get a fair share).
  const total = [...unigrams.values()].reduce((a, b) => a + b, 0);
  const p1 = new Map<string, number>();
  if (total === 0) {
    for (const word of vocabulary) p1.set(word, 1 / vocabulary.size);
  } else {
    const leftover = (DISCOUNT * unigrams.size) / total;
    for (const word of vocabulary) p1.set(word, Math.max(0, (unigrams.get(word) ?? 0) - DISCOUNT) / total + leftover / vocabulary.size);
  }

  const bigramProb = conditional(bigrams);
  const trigramProb = conditional(trigrams);
  const bigramBackoff = backoffWeights(bigrams, (_history, word) => p1.get(word) ?? 0);
  const trigramBackoff = backoffWeights(trigrams, (history, word) => bigramProb.get(key(history.split(' ')[1], word)) ?? 0);

  const lines: string[] = ['\\data\\', `ngram 1=${vocabulary.size + 1}`, `ngram 2=${bigrams.size}`];
  if (trigrams.size > 0) lines.push(`ngram 3=${trigrams.size}`);
  lines.push('', '\\1-grams:');
  lines.push(`${LOG_ZERO} ${BOS} ${log10(bigramBackoff.get(BOS) ?? 1)}`);
  for (const word of [...vocabulary].sort()) {
    const bo = bigramBackoff.get(word);
    lines.push(`${log10(p1.get(word) ?? 0)} ${word}${bo === undefined || word === EOS ? '' : ` ${log10(bo)}`}`);
  }
  lines.push('', '\\2-grams:');
  for (const [gram, p] of [...bigramProb].sort(byKey)) {
    const bo = trigramBackoff.get(gram);
    lines.push(`${log10(p)} ${gram}${bo === undefined ? '' : ` ${log10(bo)}`}`);
  }
  if (trigrams.size > 0) {
    lines.push('', '\\3-grams:');
    for (const [gram, p] of [...trigramProb].sort(byKey)) lines.push(`${log10(p)} ${gram}`);
  }
  lines.push('', '\\end\\', '');
  return lines.join('\n');
}

function byKey(a: [string, number], b: [string, number]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

function historyOf(gram: string): string {
  return gram.slice(0, gram.lastIndexOf(' '));
}

function historyTotals(grams: Counts): Counts {
  const totals: Counts = new Map();
  for (const [gram, count] of grams) totals.set(historyOf(gram), (totals.get(historyOf(gram)) ?? 0) + count);
  return totals;
}

/** P(word | history) for each seen n-gram, discounted. */
function conditional(grams: Counts): Map<string, number> {
  const totals = historyTotals(grams);
  const probs = new Map<string, number>();
  for (const [gram, count] of grams) probs.set(gram, (count - DISCOUNT) / (totals.get(historyOf(gram)) ?? count));
  return probs;
}

/**
 * Back-off weight of each history: the mass it gave up, renormalised over the words it never
 * saw (as the shorter history predicts them), so each history's distribution sums to one.
 */
function backoffWeights(grams: Counts, lower: (history: string, word: string) => number): Map<string, number> {
  const totals = historyTotals(grams);
  const seenTypes: Counts = new Map();
  const lowerSeen = new Map<string, number>();
  for (const gram of grams.keys()) {
    const history = historyOf(gram);
    const word = gram.slice(history.length + 1);
    bump(seenTypes, history);
    lowerSeen.set(history, (lowerSeen.get(history) ?? 0) + lower(history, word));
  }
  const weights = new Map<string, number>();
  for (const [history, total] of totals) {
    const leftover = (DISCOUNT * (seenTypes.get(history) ?? 0)) / total;
    const unseenLower = Math.max(1e-6, 1 - (lowerSeen.get(history) ?? 0));
    weights.set(history, leftover / unseenLower);
  }
  return weights;
}
