import { describe, it, expect } from 'vitest';
import { SentenceChunker, type SentenceChunkerOptions } from '../../src/turn/sentence-chunker.js';
import { mulberry32 } from '../helpers/random.js';

const EVERY_SENTENCE: SentenceChunkerOptions = { firstChunkMinChars: 1, chunkMinChars: 1 };
const DEFAULTS: SentenceChunkerOptions = { firstChunkMinChars: 12, chunkMinChars: 40 };

function whole(text: string, options: SentenceChunkerOptions): string[] {
  const c = new SentenceChunker(options);
  return [...c.push(text), ...c.flush()];
}

const rng = mulberry32;

function tokenized(text: string, options: SentenceChunkerOptions, seed: number): string[] {
  const rand = rng(seed);
  const c = new SentenceChunker(options);
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * 6);
    out.push(...c.push(text.slice(i, i + n)));
    i += n;
  }
  return [...out, ...c.flush()];
}

function charByChar(text: string, options: SentenceChunkerOptions): string[] {
  const c = new SentenceChunker(options);
  const out: string[] = [];
  for (const ch of text) out.push(...c.push(ch));
  return [...out, ...c.flush()];
}

/** Chunks of `text` with every sentence its own chunk; the lead line keeps clause cuts out of the way. */
function sentences(text: string): string[] {
  const chunks = whole(`Okay.\n${text}`, EVERY_SENTENCE);
  expect(chunks[0]).toBe('Okay.');
  return chunks.slice(1);
}

const SENTENCE_CASES: Array<[name: string, text: string, expected: string[]]> = [
  ['plain sentence ends', 'Hello there. How are you? I am fine! Great.', ['Hello there.', 'How are you?', 'I am fine!', 'Great.']],
  ['decimal', 'Pi is 3.14 today. Next.', ['Pi is 3.14 today.', 'Next.']],
  ['money', 'It costs $4.50 now. Yes.', ['It costs $4.50 now.', 'Yes.']],
  ['thousands and decimals', 'We sold 1,000.5 tons. Wow.', ['We sold 1,000.5 tons.', 'Wow.']],
  ['number ending a sentence', 'I am 42. What about you? It is $4.50. Fine.', ['I am 42.', 'What about you?', 'It is $4.50.', 'Fine.']],
  [
    'titles',
    "Dr. Smith is here. Mr. Jones met Mrs. Brown and Ms. Green at St. Paul's. Prof. X left. Done.",
    ['Dr. Smith is here.', "Mr. Jones met Mrs. Brown and Ms. Green at St. Paul's.", 'Prof. X left.', 'Done.'],
  ],
  ['e.g. and i.e. before a capital', 'Bring fruit, e.g. Apples. Use the best, i.e. The red ones. Fine.', ['Bring fruit, e.g. Apples.', 'Use the best, i.e. The red ones.', 'Fine.']],
  ['etc. before lowercase', 'Apples, pears, etc. and more. Then stop.', ['Apples, pears, etc. and more.', 'Then stop.']],
  ['etc. ending a sentence', 'Apples, pears, etc. Then stop.', ['Apples, pears, etc.', 'Then stop.']],
  ['vs.', 'Team A vs. Team B tonight. Next.', ['Team A vs. Team B tonight.', 'Next.']],
  ['a.m. and p.m.', 'Come at 9 a.m. tomorrow. Or at 5 p.m. Then leave.', ['Come at 9 a.m. tomorrow.', 'Or at 5 p.m.', 'Then leave.']],
  ['U.S.', 'He joined the U.S. Army in May. Okay.', ['He joined the U.S. Army in May.', 'Okay.']],
  ['initials', 'I love J. R. R. Tolkien and his books. Me too.', ['I love J. R. R. Tolkien and his books.', 'Me too.']],
  ['the word I ends a sentence', 'So am I. Good.', ['So am I.', 'Good.']],
  ['URL path', 'Visit example.com/a.b today. Bye.', ['Visit example.com/a.b today.', 'Bye.']],
  ['URL with query', 'Open https://x.y/z?q=1.2 now. Bye.', ['Open https://x.y/z?q=1.2 now.', 'Bye.']],
  ['email at a sentence end', 'Mail bob@mail.example.org. Thanks.', ['Mail bob@mail.example.org.', 'Thanks.']],
  ['ellipses mid-sentence', 'Well... I think so. Hmm… Let me see. I was... thinking.', ['Well... I think so.', 'Hmm… Let me see.', 'I was... thinking.']],
  ['mixed terminators', 'Really?! Yes!!! Wait!... Done...', ['Really?!', 'Yes!!!', 'Wait!...', 'Done...']],
  ['list numbers', '1. First mix. 2. Then bake.\n3. Eat. Steps: 4. Rest.', ['1. First mix.', '2. Then bake.', '3. Eat.', 'Steps: 4. Rest.']],
  ['closing quotes', 'She said "Stop." Then she left. "Why?" he asked. Ok.', ['She said "Stop."', 'Then she left.', '"Why?" he asked.', 'Ok.']],
  ['closing brackets', '(This is an aside.) Next one.', ['(This is an aside.)', 'Next one.']],
  ['curly quotes', 'He said “Go.” We went.', ['He said “Go.”', 'We went.']],
  ['paragraphs without punctuation', 'First paragraph\n\nSecond paragraph', ['First paragraph', 'Second paragraph']],
  ['single newlines', 'Options\n- tea\n- coffee', ['Options', '- tea', '- coffee']],
  ['no terminator at all', 'just some words', ['just some words']],
  ['terminator followed by a digit', 'Ready? 3 2 1 go.', ['Ready?', '3 2 1 go.']],
];

describe('SentenceChunker sentence ends', () => {
  it.each(SENTENCE_CASES)('%s', (_name, text, expected) => {
    expect(sentences(text)).toEqual(expected);
  });
});

describe('SentenceChunker streaming', () => {
  it('waits for the next visible character before cutting after a period', () => {
    const c = new SentenceChunker(EVERY_SENTENCE);
    expect(c.push('Dr')).toEqual([]);
    expect(c.push('.')).toEqual([]);
    expect(c.push(' ')).toEqual([]);
    expect(c.push('Smith is in.')).toEqual([]);
    expect(c.push(' ')).toEqual([]);
    expect(c.push('B')).toEqual(['Dr. Smith is in.']);
    expect(c.push('ye.')).toEqual([]);
    expect(c.flush()).toEqual(['Bye.']);
  });

  it('does not cut "3." before seeing that "14" follows', () => {
    const c = new SentenceChunker(EVERY_SENTENCE);
    expect(c.push('It is 3.')).toEqual([]);
    expect(c.push('14 exactly.')).toEqual([]);
    expect(c.push(' Yes')).toEqual(['It is 3.14 exactly.']);
  });

  it('waits for a closing quote that may follow the terminator', () => {
    const c = new SentenceChunker(EVERY_SENTENCE);
    expect(c.push('He said "no.')).toEqual([]);
    expect(c.push('"')).toEqual([]);
    expect(c.push(' Then')).toEqual(['He said "no."']);
  });

  it('cuts at a newline as soon as it arrives', () => {
    const c = new SentenceChunker(EVERY_SENTENCE);
    expect(c.push('Title')).toEqual([]);
    expect(c.push('\n')).toEqual(['Title']);
  });

  it('waits after a clause mark until it sees a space', () => {
    const c = new SentenceChunker(DEFAULTS);
    expect(c.push('Well, I think so,')).toEqual([]);
    expect(c.push('000')).toEqual([]);
    expect(c.push(' and the rest,')).toEqual([]);
    expect(c.push(' ok')).toEqual(['Well, I think so,000 and the rest,']);
  });
});

describe('SentenceChunker chunk sizes', () => {
  it('lets the first chunk end at a clause boundary once long enough, later chunks only at sentence ends', () => {
    const text = 'Well, I think the best option, honestly, is the second one. After that, we can talk, if you like, about the price.';
    expect(whole(text, DEFAULTS)).toEqual([
      'Well, I think the best option,',
      // 28 chars: too short to stand alone, so it takes the next sentence with it
      'honestly, is the second one. After that, we can talk, if you like, about the price.',
    ]);
  });

  it('merges short sentences: the first up to firstChunkMinChars, later ones up to chunkMinChars', () => {
    const text = 'Sure. I can help with that. Let me check the calendar for next week. Okay. Done. Anything else I can do for you today? Bye.';
    const chunks = whole(text, DEFAULTS);
    expect(chunks).toEqual([
      'Sure. I can help with that.',
      'Let me check the calendar for next week.',
      'Okay. Done. Anything else I can do for you today?',
      'Bye.',
    ]);
    expect(chunks[1]).toHaveLength(40);
  });

  it('accepts each clause mark and spaced dashes for the first chunk', () => {
    for (const [text, first] of [
      ['The forecast for today; sunny and warm.', 'The forecast for today;'],
      ['Here is the plan: we leave at noon.', 'Here is the plan:'],
      ['The weather today — sunny and warm.', 'The weather today —'],
      ['The weather today – sunny and warm.', 'The weather today –'],
    ]) {
      expect(whole(text, DEFAULTS)[0]).toBe(first);
    }
  });

  it('does not cut at an unspaced dash or inside numbers', () => {
    expect(whole('Actually—no way. Fine.', EVERY_SENTENCE)).toEqual(['Actually—no way.', 'Fine.']);
    expect(whole('It was 1,000,000 dollars in total.', DEFAULTS)).toEqual(['It was 1,000,000 dollars in total.']);
  });

  it('emits a short last chunk on flush and nothing for blank text', () => {
    const c = new SentenceChunker(DEFAULTS);
    expect(c.push('Hi.')).toEqual([]);
    expect(c.flush()).toEqual(['Hi.']);
    expect(c.push('   \n ')).toEqual([]);
    expect(c.flush()).toEqual([]);
  });

  it('starts over after flush and after reset', () => {
    const c = new SentenceChunker(DEFAULTS);
    expect(c.push('Well, I think the best option, ok')).toEqual(['Well, I think the best option,']);
    c.reset();
    // a fresh stream gets first-chunk treatment again
    expect(c.push('Right, this is the new answer, yes')).toEqual(['Right, this is the new answer,']);
    expect(c.flush()).toEqual(['yes']);
    expect(c.push('Again, the first chunk is short, ok')).toEqual(['Again, the first chunk is short,']);
  });
});

const HARD_TEXTS = [
  'Sure! Dr. Smith, e.g. the one at St. Mary\'s, costs $4.50 or 1,000.5 credits... maybe. See example.com/a.b or https://x.y/z?q=1.2 now. Mail bob@mail.example.org. J. R. R. Tolkien wrote it in the U.S. Then at 5 p.m. we left, etc. and so on.',
  'Here are the steps:\n1. Mix the flour. 2. Add 3.5 cups of water.\n\n3. Bake — carefully — for 40 min. "Done?" she asked. "Yes!" Great… Really?! Okay. Bye.',
  'Hmm, let me think… The answer is 42. Pi is about 3.14159; that is close enough. Mr. and Mrs. Brown vs. Ms. Green: who wins? Nobody knows. (It is a secret.) End',
  'Short. Tiny. Small. Little. Wee. Mini. A bit longer sentence here, with a comma. And the final words of the reply are these.',
];

describe('SentenceChunker split invariance', () => {
  for (const [i, text] of HARD_TEXTS.entries()) {
    for (const [optName, options] of [['defaults', DEFAULTS], ['every sentence', EVERY_SENTENCE]] as const) {
      it(`text ${i} (${optName}) gives the same chunks whole, char by char and in random splits`, () => {
        const expected = whole(text, options);
        expect(expected.length).toBeGreaterThan(1);
        expect(charByChar(text, options)).toEqual(expected);
        for (let seed = 1; seed <= 50; seed++) expect(tokenized(text, options, seed)).toEqual(expected);
      });
    }
  }

  it('hard text 0 is chunked as intended', () => {
    expect(whole(HARD_TEXTS[0], EVERY_SENTENCE)).toEqual([
      'Sure!',
      "Dr. Smith, e.g. the one at St. Mary's, costs $4.50 or 1,000.5 credits... maybe.",
      'See example.com/a.b or https://x.y/z?q=1.2 now.',
      'Mail bob@mail.example.org.',
      'J. R. R. Tolkien wrote it in the U.S. Then at 5 p.m. we left, etc. and so on.',
    ]);
  });

  it('hard text 1 is chunked as intended', () => {
    expect(whole(HARD_TEXTS[1], DEFAULTS)).toEqual([
      'Here are the steps:',
      '1. Mix the flour. 2. Add 3.5 cups of water.',
      '3. Bake — carefully — for 40 min. "Done?" she asked.',
      '"Yes!" Great… Really?! Okay. Bye.',
    ]);
  });

  it('chunks lose no text', () => {
    for (const text of HARD_TEXTS) {
      const squash = (s: string) => s.replace(/\s+/g, '');
      expect(squash(whole(text, DEFAULTS).join(''))).toBe(squash(text));
    }
  });
});
