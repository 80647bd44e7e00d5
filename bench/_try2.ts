import { buildCorpus } from './lib/speech-corpus.js';
for (const u of buildCorpus()) console.log(u.text, u.samples.length / 16, u.onsetMs, u.offsetMs);
