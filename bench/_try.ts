import { buildCorpus } from './lib/speech-corpus.js';
import { benchBargeIn } from './steps/bargein.js';
const corpus = buildCorpus();
const r = await benchBargeIn({ corpus, sessions: 2, cycles: 5, log: console.log });
console.log(JSON.stringify(r).slice(0, 300));
