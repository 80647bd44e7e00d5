// Corrections: "no, I said Wednesday", "sorry, I meant three thirty", "make it four", "not
// Tuesday, Wednesday", "actually it's Jane". Detecting the marker is this file's job; which slot
// the new value belongs to is decided by the flow engine, which knows what has been filled.
import { FILLERS, tokenize } from './normalize.js';

export type CorrectionMarker = {
  /** The marker as said, e.g. "no i said". */
  marker: string;
  /** Index of the first token after the marker. */
  after: number;
};

/** Markers that correct only at the start of an utterance ("no, Wednesday"). */
const OPENING = [['no'], ['nope'], ['sorry'], ['actually'], ['wait'], ['oops'], ['correction'], ['rather'], ['oh', 'no'], ['no', 'no']];

/** Markers that correct wherever they are ("it's Wednesday, I said"). */
const ANYWHERE = [
  ['i', 'said'], ['i', 'meant'], ['i', 'mean'], ['make', 'it'], ['make', 'that'], ['change', 'it', 'to'], ['change', 'that', 'to'],
  ['change', 'to'], ['instead'], ['rather', 'than'], ['should', 'be'], ['supposed', 'to', 'be'], ['not'], ['that', 'is', 'wrong'],
  ['that', 'is', 'not', 'right'], ['you', 'got', 'it', 'wrong'],
];

/** The correction marker in the utterance, or null. Longest, earliest marker wins. */
export function detectCorrection(textOrTokens: string | readonly string[]): CorrectionMarker | null {
  const tokens = typeof textOrTokens === 'string' ? tokenize(textOrTokens) : textOrTokens;
  let first = 0;
  while (first < tokens.length && FILLERS.has(tokens[first])) first++;
  let found: CorrectionMarker | null = null;
  const consider = (marker: string[], at: number) => {
    if (!marker.every((w, k) => tokens[at + k] === w)) return;
    const end = at + marker.length;
    if (!found || end > found.after) found = { marker: marker.join(' '), after: end };
  };
  for (const marker of OPENING) consider(marker, first);
  if (found) {
    // "no, I said …", "sorry, I meant …": an opening marker followed by another one.
    const opening: CorrectionMarker = found;
    for (const marker of ANYWHERE) {
      if (marker.length > 1 && marker.every((w, k) => tokens[opening.after + k] === w)) {
        return { marker: `${opening.marker} ${marker.join(' ')}`, after: opening.after + marker.length };
      }
    }
    return opening;
  }
  for (let i = first; i < tokens.length && !found; i++) {
    for (const marker of [...ANYWHERE].sort((a, b) => b.length - a.length)) {
      consider(marker, i);
      if (found) break;
    }
  }
  return found;
}

/** True when the value starting at `start` is what the caller rejects: "not Tuesday", "not on the 5th". */
export function isNegated(tokens: readonly string[], start: number): boolean {
  for (let k = start - 1; k >= Math.max(0, start - 3); k--) {
    if (tokens[k] === 'not' || (tokens[k] === 'than' && tokens[k - 1] === 'rather')) return true;
    if (!['on', 'at', 'the', 'for', 'it', 'is', 'was'].includes(tokens[k])) return false;
  }
  return false;
}
