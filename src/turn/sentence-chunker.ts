// Cuts streamed LLM text into chunks for TTS: whole sentences, so the voice gets natural prosody,
// yet as early as possible, so the caller hears the first words soon.
//
// Rules (decided on the text alone, so feeding it whole or token by token gives the same chunks):
// - A sentence ends at . ! ? or … (a run of them, plus closing quotes/brackets) followed by
//   whitespace. Where the next visible character matters, we wait for it before deciding, so a
//   later token can never undo a cut ("Dr" "." " Smith").
// - Not an end: the next visible character is lowercase (no sentence starts lowercase: catches
//   "etc. and", "a.m. tomorrow", '"Why?" she asked'); after a title or fixed abbreviation
//   (Dr. Mr. Mrs. Ms. St. Prof. vs. e.g. i.e. ...); after a single capital letter (initials,
//   "J. R. R. Tolkien"; but "I." ends sentences); after a dotted capital acronym ("U.S.");
//   after a list number ("1. First": a number of up to 3 digits at the start of the text, a line,
//   or after a colon or another sentence end); an ellipsis of dots only ("...", "…", mid-sentence
//   pauses; "?!" and "!..." still end). A "." inside a token (3.14, example.com/a.b, a@b.org) is
//   never followed by whitespace, so it never qualifies.
// - A newline is always a boundary (paragraphs, list items).
// - The first chunk may also end at a clause boundary (", " "; " ": " " — " " – ") once it is
//   at least `firstChunkMinChars` long. Every later chunk ends at a sentence end and is at least
//   `chunkMinChars` long; shorter sentences are merged with the next. `flush()` emits the rest.
// - Chunks are trimmed; inner whitespace is kept as the LLM wrote it.

export type SentenceChunkerOptions = { firstChunkMinChars: number; chunkMinChars: number };

const TERMINATORS = '.!?…';
const CLOSERS = `"')]}»”’`;
const CLAUSE_MARKS = ',;:';
const DASHES = '—–';

/** Words before a "." that never end a sentence (compared lowercase, without the final dot). */
const NEVER_END = new Set([
  'dr', 'mr', 'mrs', 'ms', 'mx', 'st', 'prof', 'sr', 'jr', 'rev', 'hon', 'capt', 'col', 'gen', 'lt',
  'sgt', 'gov', 'sen', 'rep', 'mt', 'vs', 'cf', 'approx', 'dept', 'fig', 'e.g', 'i.e',
]);
// A missed cut only merges two sentences; a wrong cut breaks prosody mid-sentence. So ambiguous
// words lean to "not an end" ("John Smith Jr. He" stays one chunk), except words that often end
// a spoken sentence ("no", "ft", "etc", "a.m.", which rely on the lowercase rule instead).

type Decision = { kind: 'cut'; end: number } | { kind: 'skip'; next: number } | { kind: 'wait' };

const isSpace = (c: string): boolean => /\s/.test(c);
const isLower = (c: string): boolean => /\p{Ll}/u.test(c);

export class SentenceChunker {
  private buf = '';
  /** Everything in `buf` before this index is known not to be a usable boundary. */
  private scanFrom = 0;
  private emitted = 0;

  constructor(private readonly options: SentenceChunkerOptions) {}

  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    let i = this.scanFrom;
    while (i < this.buf.length) {
      const d = this.decide(i);
      if (d.kind === 'wait') break;
      if (d.kind === 'skip') {
        i = d.next;
        continue;
      }
      const chunk = this.buf.slice(0, d.end).trim();
      const min = this.emitted === 0 ? this.options.firstChunkMinChars : this.options.chunkMinChars;
      if (chunk.length >= min && chunk.length > 0) {
        out.push(chunk);
        this.emitted++;
        this.buf = this.buf.slice(d.end);
        i = 0;
      } else {
        i = d.end; // too short: merge with what follows
      }
    }
    this.scanFrom = i;
    return out;
  }

  /** End of stream: the rest as a last chunk (if not blank); the chunker is then reset. */
  flush(): string[] {
    const rest = this.buf.trim();
    this.reset();
    return rest ? [rest] : [];
  }

  reset(): void {
    this.buf = '';
    this.scanFrom = 0;
    this.emitted = 0;
  }

  /** Whether a boundary ends at or after index `i`; `skip.next` is where to look next. */
  private decide(i: number): Decision {
    const c = this.buf[i];
    if (c === '\n') return { kind: 'cut', end: i + 1 };
    if (TERMINATORS.includes(c)) return this.decideTerminator(i);
    if (this.emitted === 0 && (CLAUSE_MARKS.includes(c) || DASHES.includes(c))) return this.decideClause(i);
    return { kind: 'skip', next: i + 1 };
  }

  private decideTerminator(start: number): Decision {
    const buf = this.buf;
    let j = start;
    while (j < buf.length && TERMINATORS.includes(buf[j])) j++;
    const run = buf.slice(start, j);
    while (j < buf.length && CLOSERS.includes(buf[j])) j++;
    if (j === buf.length) return { kind: 'wait' };
    if (!isSpace(buf[j])) return { kind: 'skip', next: j };
    let k = j;
    while (k < buf.length && isSpace(buf[k])) {
      if (buf[k] === '\n') return { kind: 'cut', end: j };
      k++;
    }
    if (k === buf.length) return { kind: 'wait' };
    if (isLower(buf[k])) return { kind: 'skip', next: k };
    const ellipsis = !/[!?]/.test(run) && (run.length > 1 || run === '…');
    if (ellipsis) return { kind: 'skip', next: k };
    if (run === '.' && this.periodIsNotAnEnd(start)) return { kind: 'skip', next: k };
    return { kind: 'cut', end: j };
  }

  /** Judges the word before a single "." at `dot`. */
  private periodIsNotAnEnd(dot: number): boolean {
    const buf = this.buf;
    let w = dot;
    while (w > 0 && !isSpace(buf[w - 1])) w--;
    const word = buf.slice(w, dot).replace(/^[("'[{«“‘]+/, '');
    if (!word) return false;
    if (NEVER_END.has(word.toLowerCase())) return true;
    if (/^\p{Lu}$/u.test(word) && word !== 'I') return true;
    if (/^(?:\p{Lu}\.)+\p{Lu}$/u.test(word)) return true;
    if (/^\d{1,3}$/.test(word)) {
      let p = w - 1;
      while (p >= 0 && buf[p] !== '\n' && isSpace(buf[p])) p--;
      return p < 0 || '\n:.!?'.includes(buf[p]);
    }
    return false;
  }

  private decideClause(i: number): Decision {
    const buf = this.buf;
    if (i + 1 === buf.length) return { kind: 'wait' };
    if (!isSpace(buf[i + 1])) return { kind: 'skip', next: i + 1 };
    if (DASHES.includes(buf[i]) && (i === 0 || !isSpace(buf[i - 1]))) return { kind: 'skip', next: i + 1 };
    return { kind: 'cut', end: i + 1 };
  }
}
