// Live sessions by id. A session whose connection dropped waits here for a reconnect within the
// resume window; after that it is ended.
import type { Clock, TimerHandle } from '../clock.js';
import type { Session } from './session.js';

type Entry = { session: Session; attached: boolean; expiry: TimerHandle | null };

export class SessionRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly clock: Clock,
    private readonly resumeWindowMs: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  add(session: Session): void {
    this.entries.set(session.id, { session, attached: true, expiry: null });
  }

  /** Claims a detached session for a new connection; null if unknown, expired or still attached. */
  resume(id: string): Session | null {
    const entry = this.entries.get(id);
    if (!entry || entry.attached || entry.session.hasEnded) return null;
    entry.expiry?.cancel();
    entry.expiry = null;
    entry.attached = true;
    return entry.session;
  }

  isAttached(id: string): boolean {
    return this.entries.get(id)?.attached ?? false;
  }

  /** The connection went away: keep the call for the resume window. */
  detach(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    entry.attached = false;
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
