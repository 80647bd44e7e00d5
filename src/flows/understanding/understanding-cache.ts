// What the understander made of each utterance, kept so that replaying a conversation (FlowLlm
// replays it from the start on every request) asks the LLM once per utterance, and so an earlier
// turn is always read the way it was read when the agent answered it.
//
// Requests for the same key while one is under way share it; the shared request is aborted only
// when every request waiting on it was aborted. Settled entries are bounded, least recently used
// first out.
import { AbortedError } from '../../providers/types.js';
import type { Understood } from '../flow-engine.js';

type InFlight = { promise: Promise<Understood>; waiters: number; controller: AbortController };

export class UnderstandingCache {
  private readonly settled = new Map<string, Understood>();
  private readonly inFlight = new Map<string, InFlight>();

  constructor(private readonly limit = 2000) {
    if (!(Number.isInteger(limit) && limit > 0)) throw new RangeError(`UnderstandingCache: limit must be a positive integer, got ${limit}`);
  }

  get size(): number {
    return this.settled.size;
  }

  /** A settled result, without asking anyone. */
  peek(key: string): Understood | undefined {
    return this.settled.get(key);
  }

  /** The cached result, or `compute`'s (shared with concurrent requests for the same key). */
  async get(key: string, signal: AbortSignal, compute: (signal: AbortSignal) => Promise<Understood>): Promise<Understood> {
    if (signal.aborted) throw new AbortedError();
    const hit = this.settled.get(key);
    if (hit) {
      this.settled.delete(key);
      this.settled.set(key, hit);
      return hit;
    }
    let flight = this.inFlight.get(key);
    if (!flight) {
      const controller = new AbortController();
      const promise = compute(controller.signal).then((result) => {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
        this.remember(key, result);
        return result;
      });
      // A rejection nobody waits for any more must not surface as unhandled.
      promise.catch(() => {
        if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
      });
      flight = { promise, waiters: 0, controller };
      this.inFlight.set(key, flight);
    }
    return this.wait(key, flight, signal);
  }

  private wait(key: string, flight: InFlight, signal: AbortSignal): Promise<Understood> {
    flight.waiters++;
    return new Promise<Understood>((resolve, reject) => {
      let done = false;
      const leave = () => {
        done = true;
        flight.waiters--;
        signal.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        if (done) return;
        leave();
        if (flight.waiters === 0 && this.inFlight.get(key) === flight) {
          this.inFlight.delete(key);
          flight.controller.abort();
        }
        reject(new AbortedError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      flight.promise.then(
        (result) => {
          if (done) return;
          leave();
          resolve(result);
        },
        (err: unknown) => {
          if (done) return;
          leave();
          reject(err);
        },
      );
    });
  }

  private remember(key: string, result: Understood): void {
    this.settled.delete(key);
    this.settled.set(key, result);
    while (this.settled.size > this.limit) {
      const oldest = this.settled.keys().next().value as string;
      this.settled.delete(oldest);
    }
  }
}
