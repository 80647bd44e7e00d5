// Shared set-up for the CartesiaTts tests: a simulator with quick latencies, an adapter pointed at
// it, and a collector that drains a synthesis into audio, words and the error it ended with.
import { concatPcm } from '../../../src/audio/pcm.js';
import { CartesiaTts, type CartesiaTtsOptions } from '../../../src/providers/cartesia/cartesia-tts.js';
import type { TtsAudio, WordTiming } from '../../../src/providers/types.js';
import { startSimServer, type SimServer, type SimServerOptions } from '../../../sim/sim-server.js';

export const VOICE = 'voice-parley';

export async function startCartesiaSim(options: SimServerOptions = {}): Promise<SimServer> {
  return startSimServer({ ...options, latencies: { ttsTtfbMs: 10, ttsRealtimeFactor: 40, ...options.latencies } });
}

export function ttsFor(sim: SimServer, options: Partial<CartesiaTtsOptions> = {}): CartesiaTts {
  return new CartesiaTts({ apiKey: sim.control.keys.cartesia, baseUrl: sim.wsUrl, voiceId: VOICE, ...options });
}

export type Collected = { chunks: TtsAudio[]; samples: Int16Array; words: WordTiming[]; error: unknown };

export async function collect(stream: AsyncIterable<TtsAudio>, onChunk?: (chunk: TtsAudio, index: number) => void): Promise<Collected> {
  const chunks: TtsAudio[] = [];
  let error: unknown = null;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      onChunk?.(chunk, chunks.length - 1);
    }
  } catch (err) {
    error = err;
  }
  return { chunks, samples: concatPcm(chunks.map((c) => c.samples)), words: chunks.flatMap((c) => c.words ?? []), error };
}

export function signal(): AbortSignal {
  return new AbortController().signal;
}

/** Exact sample equality (vitest's deep equality is slow on long typed arrays). */
export function sameSamples(a: Int16Array, b: Int16Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
