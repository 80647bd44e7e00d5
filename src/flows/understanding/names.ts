// Person names: "my name is John Smith", "it's Jane", "this is Bob Jones", "call me Al", "under
// Smith", "John Smith speaking". When the caller was just asked for a name (`expect`), a short
// answer of name-like words ("john smith", "uh jane doe please") counts too. Spelled names
// ("j o h n") are joined. Output is capitalised: "John Smith".
import { tokenize } from './normalize.js';
import { isNumberToken, readOrdinal } from './number-words.js';
import { monthOf, weekdayOf } from './dates.js';

export type NameOptions = { expect?: boolean };

/** Words that end a name or cannot be part of one. */
const NOT_NAME = new Set([
  'a', 'an', 'the', 'and', 'or', 'but', 'please', 'thanks', 'thank', 'you', 'i', 'me', 'my', 'we', 'us', 'our',
  'your', 'it', 'is', 'am', 'are', 'was', 'be', 'to', 'of', 'for', 'from', 'at', 'on', 'in', 'with', 'by', 'about',
  'calling', 'call', 'speaking', 'here', 'there', 'just', 'so', 'well', 'um', 'uh', 'er', 'erm', 'hmm', 'ah', 'oh',
  'yes', 'yeah', 'yep', 'no', 'nope', 'not', 'okay', 'ok', 'sure', 'hi', 'hello', 'hey', 'good', 'morning',
  'afternoon', 'evening', 'fine', 'sorry', 'actually', 'said', 'meant', 'mean', 'name', 'names', 'surname', 'first', 'last',
  'want', 'would', 'like', 'need', 'book', 'booking', 'appointment', 'appointments', 'cancel', 'move', 'change',
  'reschedule', 'today', 'tomorrow', 'tonight', 'next', 'this', 'that', 'what', 'when', 'where', 'why', 'how',
  'who', 'can', 'could', 'do', 'does', 'did', 'have', 'has', 'looking', 'trying', 'wondering', 'interested',
  'open', 'opening', 'hours', 'time', 'times', 'day', 'date', 'pm', 'am', 'oclock', 'noon', 'midnight', 'person',
  'human', 'someone', 'somebody', 'agent', 'operator', 'receptionist', 'bye', 'goodbye', 'again', 'over', 'start',
  'help', 'if', 'then', 'them', 'they', 'he', 'she', 'his', 'her', 'phone', 'number', 'email', 'still', 'all',
  'right', 'correct', 'wrong', 'dot', 'com', 'gmail', 'instead', 'going', 'got', 'get', 'will', 'free',
  'available', 'busy', 'never', 'mind', 'new', 'happy', 'booked', 'done', 'great', 'perfect', 'nothing', 'else', 'anything', 'thats',
]);

/** Phrases after which a name follows, longest first. */
const INTRODUCERS = [
  ['my', 'name', 'is'], ['the', 'name', 'is'], ['name', 'is'], ['my', 'names'], ['it', 'is', 'under'],
  ['under', 'the', 'name'], ['under', 'the', 'name', 'of'], ['under'], ['this', 'is'], ['it', 'is'], ['i', 'am'],
  ['call', 'me'], ['i', 'said'], ['i', 'meant'], ['for'],
].sort((a, b) => b.length - a.length);

const MAX_NAME_WORDS = 3;

/** The name the caller gave, or null. */
export function extractName(text: string, options: NameOptions = {}): string | null {
  const tokens = joinSpelled(tokenize(text));
  // "John Smith speaking" / "John Smith here".
  const last = tokens.at(-1);
  if ((last === 'speaking' || last === 'here') && tokens.length >= 2 && tokens.length <= MAX_NAME_WORDS + 1) {
    const name = nameWords(tokens.slice(0, -1));
    if (name && name.length === tokens.length - 1) return capitalise(name);
  }
  for (let i = 0; i < tokens.length; i++) {
    for (const intro of INTRODUCERS) {
      if (!intro.every((w, k) => tokens[i + k] === w)) continue;
      // "for" only introduces a name when it closes the utterance ("book it for john smith").
      const rest = tokens.slice(i + intro.length);
      const name = nameWords(rest);
      if (!name) continue;
      if (intro[0] === 'for' && name.length !== rest.length) continue;
      if (intro[0] === 'under' && intro.length === 1 && name.length !== rest.length) continue;
      return capitalise(name);
    }
  }
  if (!options.expect) return null;
  // A short answer to "what name?": name-like words only, between fillers ("uh jane doe please").
  let from = 0;
  let to = tokens.length;
  while (from < to && LEADING_FILLER.has(tokens[from])) from++;
  while (to > from && TRAILING_FILLER.has(tokens[to - 1])) to--;
  const words = tokens.slice(from, to);
  if (words.length === 0 || words.length > MAX_NAME_WORDS) return null;
  const name = nameWords(words);
  return name && name.length === words.length ? capitalise(name) : null;
}

const LEADING_FILLER = new Set(['um', 'uh', 'er', 'erm', 'hmm', 'ah', 'oh', 'well', 'so', 'yes', 'yeah', 'sure', 'ok', 'okay']);
const TRAILING_FILLER = new Set(['please', 'thanks', 'thank', 'you', 'here']);

/** The leading run of name-like words (1 to 3), or null. */
function nameWords(tokens: readonly string[]): string[] | null {
  const out: string[] = [];
  for (const t of tokens) {
    if (!isNameLike(t)) break;
    out.push(t);
    if (out.length === MAX_NAME_WORDS) break;
  }
  return out.length > 0 ? out : null;
}

function isNameLike(token: string): boolean {
  if (!/^[a-z][a-z'-]*$/.test(token) || token.length < 2) return false;
  if (NOT_NAME.has(token) || isNumberToken(token) || readOrdinal([token], 0)) return false;
  return weekdayOf(token) === null && monthOf(token) === null;
}

/** "j o h n smith" → "john smith": a run of two or more single letters is a spelled word. */
function joinSpelled(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    if (run.length >= 2) out.push(run.join(''));
    else out.push(...run);
    run = [];
  };
  for (const t of tokens) {
    if (/^[a-z]$/.test(t)) run.push(t);
    else {
      flush();
      out.push(t);
    }
  }
  flush();
  return out;
}

function capitalise(words: readonly string[]): string {
  return words
    .map((w) => w.replace(/(^|[-'])([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase()).replace(/^Mc([a-z])/, (_, c: string) => `Mc${c.toUpperCase()}`))
    .join(' ');
}
