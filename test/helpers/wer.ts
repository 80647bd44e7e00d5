// Word error rate for transcripts: (substitutions + deletions + insertions) / reference words,
// by Levenshtein distance over normalised words. Both sides go through the same normalisation,
// so "3 pm", "3 p.m." and "three PM" count as the same words.
import { spokenWords } from '../../src/providers/local/pocketsphinx-words.js';

/**
 * Lower-case words, punctuation stripped (inner apostrophes kept), numbers spelled out: the words
 * as the recogniser outputs them (the same rule that builds its domain vocabulary).
 */
export function normalizeWords(text: string): string[] {
  return spokenWords(text);
}

/** Edit distance between two word sequences. */
export function wordEditDistance(reference: readonly string[], hypothesis: readonly string[]): number {
  let previous = Array.from({ length: hypothesis.length + 1 }, (_, j) => j);
  for (let i = 1; i <= reference.length; i++) {
    const current = [i];
    for (let j = 1; j <= hypothesis.length; j++) {
      const substitution = previous[j - 1] + (reference[i - 1] === hypothesis[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, previous[j] + 1, current[j - 1] + 1));
    }
    previous = current;
  }
  return previous[hypothesis.length];
}

export type WerResult = { errors: number; referenceWords: number; wer: number };

/** Corpus WER: errors summed over all pairs divided by all reference words. */
export function wordErrorRate(pairs: ReadonlyArray<{ reference: string; hypothesis: string }>): WerResult {
  let errors = 0;
  let referenceWords = 0;
  for (const { reference, hypothesis } of pairs) {
    const ref = normalizeWords(reference);
    errors += wordEditDistance(ref, normalizeWords(hypothesis));
    referenceWords += ref.length;
  }
  return { errors, referenceWords, wer: referenceWords === 0 ? 0 : errors / referenceWords };
}
