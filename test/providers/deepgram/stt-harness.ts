// Runs a DeepgramStt stream in a test: records every event with its arrival time and offers waits.
import type { SttEvent, SttStream } from '../../../src/providers/types.js';
import type { DeepgramStt } from '../../../src/providers/deepgram/deepgram-stt.js';

export type Recorded = SttEvent & { at: number };

export class SttHarness {
  readonly events: Recorded[] = [];
  readonly controller = new AbortController();
  readonly stream: SttStream;
  private readonly waiters = new Set<() => void>();

  constructor(stt: DeepgramStt, sampleRate = 16000) {
    this.stream = stt.open({
      sampleRate,
      signal: this.controller.signal,
      onEvent: (event) => {
        this.events.push({ ...event, at: performance.now() });
        for (const w of [...this.waiters]) w();
      },
    });
  }

  /** Writes audio in 20 ms frames, as a capture pipeline does (faster than real time). */
  write(samples: Int16Array, sampleRate = 16000): void {
    const frame = Math.round(sampleRate / 50);
    for (let i = 0; i < samples.length; i += frame) this.stream.write(samples.subarray(i, i + frame));
  }

  of<T extends SttEvent['type']>(type: T): Array<Extract<Recorded, { type: T }>> {
    return this.events.filter((e): e is Extract<Recorded, { type: T }> => e.type === type);
  }

  waitFor<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`not reached within ${timeoutMs} ms; events: ${JSON.stringify(this.events.map((e) => e.type))}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(attempt);
      };
      this.waiters.add(attempt);
      attempt();
    });
  }

  waitForType<T extends SttEvent['type']>(type: T, timeoutMs = 5000): Promise<Extract<Recorded, { type: T }>> {
    return this.waitFor(() => this.of(type)[0], timeoutMs);
  }
}

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
