// Live sessions by id. A session whose connection dropped waits here for a reconnect within the
// resume window; after that it is ended.
import type { Clock, TimerHandle } from '../clock.js';
import type { Session } from './session.js';

/** The connection currently carrying a session. */
export interface SessionOwner {
  /** Another connection resumed the session: let go of it. */
  takeover(): void;
}

type Entry = { session: Session; owner: SessionOwner | null; expiry: TimerHandle | null };

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly resumeWindowMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(session: Session, owner: SessionOwner): void {
    this.entries.set(session.id, { session, owner, expiry: null });
  }

  /**
   * Claims a session for a new connection; null if unknown, expired or ended. A connection that
   * still holds it (the server has not noticed it is dead yet) is told to let go.
   */
  resume(id: string, owner: SessionOwner): Session | null {
    const entry = this.entries.get(id);
    if (!entry || entry.session.hasEnded) return null;
    entry.expiry?.cancel();
    entry.expiry = null;
    const previous = entry.owner;
    entry.owner = owner;
    previous?.takeover();
    return entry.session;
  }

  isAttached(id: string): boolean {
    return (this.entries.get(id)?.owner ?? null) !== null;
  }

  /** The connection went away: keep the call for the resume window. */
  detach(id: string, owner: SessionOwner): void {
    const entry = this.entries.get(id);
    if (!entry || entry.owner !== owner) return;
    entry.owner = null;
    entry.expiry?.cancel();
    entry.expiry = this.clock.setTimeout(() => this.end(id, 'client did not reconnect'), this.resumeWindowMs);
  }

  end(id: string, reason: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.expiry?.cancel();
    this.entries.delete(id);
    entry.session.end(reason);
  }

  endAll(reason: string): void {
    for (const id of [...this.entries.keys()]) this.end(id, reason);
  }

  sessions(): Session[] {
    return [...this.entries.values()].map((e) => e.session);
  }
}
