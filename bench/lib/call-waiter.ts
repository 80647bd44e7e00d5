// Waits on what a BenchClient has received, woken by its events rather than by polling, so many
// callers stay cheap for the load generator. Also keeps each turn_complete by turn id.
import type { BenchClient, TurnComplete } from './bench-client.js';

/** turn_complete as the server sends it: BenchClient's view plus the texts and provider fallbacks. */
export type CompletedTurn = TurnComplete & { user_text?: string; agent_text?: string; provider_issues?: string[] };

export class CallWaiter {
  readonly turns = new Map<string, CompletedTurn>();
  private readonly wakers = new Set<() => void>();

  constructor(readonly client: BenchClient) {
    const wake = () => {
      for (const w of [...this.wakers]) w();
    };
    client.setListener({
      onReplyStart: wake,
      onReplyEnd: wake,
      onTurnComplete: (turn) => {
        this.turns.set(turn.turn_id, turn as CompletedTurn);
        wake();
      },
      onClose: wake,
    });
  }

  /** Resolves with what `probe` finds (anything but null/undefined/false), or null after `timeoutMs`. */
  until<T>(probe: () => T | null | undefined | false, timeoutMs: number): Promise<T | null> {
    const first = probe();
    if (first !== null && first !== undefined && first !== false) return Promise.resolve(first);
    return new Promise((resolve) => {
      const done = (value: T | null) => {
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve(value);
      };
      const check = () => {
        const found = probe();
        if (found !== null && found !== undefined && found !== false) done(found);
      };
      const timer = setTimeout(() => done(null), Math.max(0, timeoutMs));
      this.wakers.add(check);
    });
  }
}
