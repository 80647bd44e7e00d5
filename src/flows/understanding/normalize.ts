// Turns caller text (typed, or ASR output that is lower-case, unpunctuated and spells numbers as
// words) into a token list every extractor and the intent matcher share, so "It's 3pm.", "its 3 pm"
// and "it is three p m" all arrive as the same kind of sequence.

/** Contractions with and without the apostrophe (pocketsphinx drops it: "its", "dont"). */
const CONTRACTIONS: Record<string, string[]> = {
  "it's": ['it', 'is'], its: ['it', 'is'],
  "that's": ['that', 'is'], thats: ['that', 'is'],
  "what's": ['what', 'is'], whats: ['what', 'is'],
  "there's": ['there', 'is'],
  "here's": ['here', 'is'],
  "name's": ['name', 'is'],
  "i'm": ['i', 'am'], im: ['i', 'am'],
  "i'd": ['i', 'would'],
  "i'll": ['i', 'will'],
  "i've": ['i', 'have'],
  "you're": ['you', 'are'],
  "we're": ['we', 'are'],
  "they're": ['they', 'are'],
  "let's": ['let', 'us'],
  "don't": ['do', 'not'], dont: ['do', 'not'],
  "doesn't": ['does', 'not'], doesnt: ['does', 'not'],
  "didn't": ['did', 'not'], didnt: ['did', 'not'],
  "isn't": ['is', 'not'], isnt: ['is', 'not'],
  "wasn't": ['was', 'not'], wasnt: ['was', 'not'],
  "aren't": ['are', 'not'], arent: ['are', 'not'],
  "can't": ['can', 'not'], cant: ['can', 'not'], cannot: ['can', 'not'],
  "won't": ['will', 'not'], wont: ['will', 'not'],
  "wouldn't": ['would', 'not'], wouldnt: ['would', 'not'],
  "couldn't": ['could', 'not'], couldnt: ['could', 'not'],
  "shouldn't": ['should', 'not'],
  "haven't": ['have', 'not'], havent: ['have', 'not'],
  "o'clock": ['oclock'], "o'clock.": ['oclock'],
  wanna: ['want', 'to'],
  gonna: ['going', 'to'],
  gotta: ['got', 'to'],
};

const EDGE_PUNCT = /^[\s,!?;:"'()[\]{}<>*_~`.]+|[\s,!?;:"'()[\]{}<>*_~`.]+$/g;

/**
 * Lower-case tokens. Keeps characters inside a token that carry meaning for values ("14:30",
 * "5/3", "555-1234", "john.smith@example.com", "5th"), splits glued units ("3pm" → "3", "pm";
 * "twenty-one" → "twenty", "one"), maps "a.m."/"p.m." to "am"/"pm" and expands contractions.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const raw = text.toLowerCase().replace(/[\u2018\u2019\u02bc]/g, "'").replace(/[\u201c\u201d]/g, '"').split(/[\s,;!?()[\]{}"]+/);
  for (const piece of raw) {
    if (!piece) continue;
    const meridiem = /^(\d{1,2}(?::\d{2})?)?([ap])\.?m\.?$/.exec(piece);
    if (meridiem) {
      if (meridiem[1]) out.push(meridiem[1]);
      out.push(`${meridiem[2]}m`);
      continue;
    }
    let token = piece.replace(EDGE_PUNCT, '');
    if (!token) continue;
    const glued = /^(\d{1,2}(?::\d{2})?)(am|pm|h)$/.exec(token);
    if (glued) {
      out.push(glued[1], glued[2] === 'h' ? 'oclock' : glued[2]);
      continue;
    }
    const expanded = CONTRACTIONS[token];
    if (expanded) {
      out.push(...expanded);
      continue;
    }
    // Possessive or other apostrophes left in a word: "john's" → "john".
    if (/^[a-z]+'s$/.test(token)) token = token.slice(0, -2);
    // Keep the apostrophe of names like O'Neil or D'Angelo; drop any other.
    if (!/^[a-z]'[a-z]{2,}$/.test(token)) token = token.replace(/'/g, '');
    if (/^[a-z]+(-[a-z]+)+$/.test(token)) {
      out.push(...token.split('-'));
      continue;
    }
    if (token) out.push(token);
  }
  return out;
}

/** Tokens joined by single spaces: the canonical form of an utterance. */
export function normalizeText(text: string): string {
  return tokenize(text).join(' ');
}

/**
 * A crude stemmer: enough to make "booking", "booked" and "books" meet "book", and "hours" meet
 * "hour", without a dictionary. Applied the same way to examples and utterances, so its errors cancel.
 */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return `${word.slice(0, -3)}y`;
  if (word.endsWith('ing') && word.length > 5) return undouble(word.slice(0, -3));
  if (word.endsWith('ed') && word.length > 4) return undouble(word.slice(0, -2));
  if (word.endsWith('ly') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('es') && /(?:ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss') && !word.endsWith('us') && !word.endsWith('is')) return word.slice(0, -1);
  return word;
}

function undouble(word: string): string {
  return /([bdgmnprt])\1$/.test(word) ? word.slice(0, -1) : word;
}

/** Words that carry little meaning for intent matching; they still count, only less. */
export const STOPWORDS = new Set([
  'a', 'an', 'the', 'i', 'me', 'my', 'we', 'us', 'our', 'you', 'your', 'it', 'is', 'am', 'are', 'was', 'be',
  'to', 'of', 'for', 'in', 'on', 'at', 'and', 'or', 'so', 'do', 'does', 'would', 'could', 'can', 'will',
  'like', 'want', 'please', 'just', 'um', 'uh', 'er', 'erm', 'hmm', 'well', 'oh', 'okay', 'ok', 'that',
  'this', 'there', 'some', 'with', 'have', 'has', 'get', 'need', 'let', 'what', 'hi', 'hello', 'hey',
]);

/** Filler sounds and hedges that may open or pad an utterance. */
export const FILLERS = new Set(['um', 'uh', 'er', 'erm', 'hmm', 'mm', 'ah', 'eh', 'well', 'so', 'like', 'oh']);
