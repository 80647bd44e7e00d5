// After a barge-in, only the words the caller actually heard go into the chat context, so the
// agent never "remembers" saying what was cut off.
//
// Chunks play back to back. A fully played chunk counts whole. In the chunk being played:
// - with word timings, a word counts once at least half of it was played (a listener who heard
//   most of a word understood it; a word cut in its first half was not heard). When the timings
//   have as many words as the chunk text, the text's own words are used (they keep punctuation);
//   otherwise (the engine spelled numbers out, say) the timing words themselves.
// - without timings, the played share of the chunk's duration is taken as the same share of its
//   characters, and only words that end within it count.
// A chunk with no audio (durationMs <= 0) was never heard.
import type { WordTiming } from '../providers/types.js';

export type SpokenChunk = { text: string; durationMs: number; words?: readonly WordTiming[] /* relative to the chunk start */ };

export function heardText(chunks: readonly SpokenChunk[], playedMs: number): string {
  if (!(playedMs > 0)) return '';
  const heard: string[] = [];
  let start = 0;
  for (const chunk of chunks) {
    if (chunk.durationMs <= 0) continue;
    if (playedMs <= start) break;
    const end = start + chunk.durationMs;
    const words = splitWords(chunk.text);
    if (playedMs >= end) heard.push(...words);
    else heard.push(...heardInChunk(chunk, words, playedMs - start));
    start = end;
  }
  return heard.join(' ');
}

function splitWords(text: string): string[] {
  return text.split(/\s+/).filter((w) => w !== '');
}

function heardInChunk(chunk: SpokenChunk, words: string[], positionMs: number): string[] {
  if (chunk.words && chunk.words.length > 0) {
    const timed = chunk.words;
    let n = 0;
    while (n < timed.length && positionMs >= (timed[n].startMs + timed[n].endMs) / 2) n++;
    if (timed.length === words.length) return words.slice(0, n);
    return timed.slice(0, n).flatMap((w) => splitWords(w.word));
  }
  const text = words.join(' ');
  const heardChars = (positionMs / chunk.durationMs) * text.length;
  const out: string[] = [];
  let offset = 0;
  for (const w of words) {
    offset += w.length;
    if (offset > heardChars) break;
    out.push(w);
    offset += 1; // the space after it
  }
  return out;
}
