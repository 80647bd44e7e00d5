// Rough LLM-style tokenisation for simulated streaming: a word or a single punctuation mark, with the
// whitespace before it attached (as BPE tokenisers do), so concatenating the tokens gives the text back.

const TOKEN = /\s*(?:[\p{L}\p{N}'’]+|[^\s\p{L}\p{N}'’])|\s+$/gu;

export function splitIntoTokens(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

/** The common rule of thumb for English: about four characters per token. */
export function estimateTokenCount(chars: number): number {
  return Math.ceil(chars / 4);
}
