// Transcribes agent audio with pocketsphinx, the way a listener would: to check that what the
// agent synthesized says the words of its reply. `domain` restricts the decoder to what the agent
// may say (its sentences and words), without which the general model hears espeak-ng's voice
// poorly.
import type { PocketsphinxDomain } from '../../src/providers/local/pocketsphinx-domain.js';
import { PocketsphinxStt } from '../../src/providers/local/pocketsphinx-stt.js';
import { silence } from './speech.js';

export async function transcribeBack(samples: Int16Array, domain: PocketsphinxDomain = {}, rate = 16000): Promise<string> {
  const stt = new PocketsphinxStt(domain);
  const finals: string[] = [];
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  let failure: Error | null = null;
  const stream = stt.open({
    sampleRate: rate,
    signal: new AbortController().signal,
    onEvent: (event) => {
      if (event.type === 'final') finals.push(event.text);
      else if (event.type === 'error') failure = new Error(`pocketsphinx: ${event.message}`);
      if (event.type === 'final' || event.type === 'error') done();
    },
  });
  try {
    for (let i = 0; i < samples.length; i += 320) stream.write(samples.subarray(i, i + 320));
    stream.write(silence(500, rate));
    stream.finalize();
    const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error('no transcript from pocketsphinx')), 20_000));
    await Promise.race([finished, timeout]);
    // A pause inside the audio may have split it into several finals: give the rest a moment.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    stream.close();
  }
  if (failure) throw failure;
  return finals.join(' ');
}
