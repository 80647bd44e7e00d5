import { buildCorpus } from './lib/speech-corpus.js';
import { benchCapacity } from './steps/capacity.js';
const corpus = buildCorpus();
const r = await benchCapacity({ root: process.cwd(), outDir: '.bench-out', corpus, steps: [25, 100], warmupS: 4, holdS: 8, log: console.log });
console.log(JSON.stringify(r, null, 1).slice(0, 3000));
