// The pronunciation dictionary (CMUdict format: `word PH ON ES`, variants as `word(2) ...`).
// Read once per path and kept, because restricted decoders start far faster with a dictionary cut
// down to their own words (the full one is 134 000 entries; with a small ARPA model, loading it
// costs seconds per process).
import { readFileSync } from 'node:fs';

export type PronunciationDictionary = {
  has(word: string): boolean;
  /** Dictionary lines for these words (all variants), in the file's format. */
  subset(words: Iterable<string>): string;
};

const loaded = new Map<string, PronunciationDictionary>();

export function loadDictionary(path: string): PronunciationDictionary {
  let dictionary = loaded.get(path);
  if (!dictionary) {
    dictionary = parseDictionary(readFileSync(path, 'utf8'));
    loaded.set(path, dictionary);
  }
  return dictionary;
}

export function parseDictionary(text: string): PronunciationDictionary {
  const entries = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith(';;;')) continue;
    const space = trimmed.search(/\s/);
    if (space <= 0) continue;
    const head = trimmed.slice(0, space);
    const word = head.replace(/\(\d+\)$/, '');
    const list = entries.get(word);
    if (list) list.push(trimmed);
    else entries.set(word, [trimmed]);
  }
  return {
    has: (word) => entries.has(word),
    subset: (words) => {
      const lines: string[] = [];
      for (const word of new Set(words)) lines.push(...(entries.get(word) ?? []));
      return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
    },
  };
}
