import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock.js';
import type { Session } from '../../src/session/session.js';
import { SessionRegistry, type SessionOwner } from '../../src/session/session-registry.js';

const WINDOW = 30_000;

/** The slice of a Session the registry uses. */
class FakeSession {
  endReasons: string[] = [];
  constructor(readonly id: string) {}
  get hasEnded(): boolean {
    return this.endReasons.length > 0;
  }
  end(reason: string): void {
    this.endReasons.push(reason);
  }
}

class FakeOwner implements SessionOwner {
  takeovers = 0;
  takeover(): void {
    this.takeovers++;
  }
}

function setup() {
  const clock = new VirtualClock();
  const registry = new SessionRegistry(clock, WINDOW);
  const fake = new FakeSession('call-1');
  const session = fake as unknown as Session;
  const owner = new FakeOwner();
  registry.add(session, owner);
  return { clock, registry, fake, session, owner };
}

describe('SessionRegistry', () => {
  it('keeps a detached session for the resume window and hands it to a reconnect', () => {
    const { clock, registry, fake, session, owner } = setup();
    expect(registry.isAttached('call-1')).toBe(true);
    registry.detach('call-1', owner);
    expect(registry.isAttached('call-1')).toBe(false);
    expect(registry.size).toBe(1);
    clock.advance(WINDOW - 1);
    const next = new FakeOwner();
    expect(registry.resume('call-1', next)).toBe(session);
    expect(registry.isAttached('call-1')).toBe(true);
    expect(owner.takeovers).toBe(0); // it had already gone
    // The expiry was cancelled: the call lives on past the old deadline.
    clock.advance(WINDOW * 3);
    expect(fake.hasEnded).toBe(false);
    expect(registry.size).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
  });

  it('ends the session once the window passes without a reconnect', () => {
    const { clock, registry, fake, owner } = setup();
    registry.detach('call-1', owner);
    clock.advance(WINDOW - 1);
    expect(fake.hasEnded).toBe(false);
    clock.advance(1);
    expect(fake.endReasons).toEqual(['client did not reconnect']);
    expect(registry.size).toBe(0);
    expect(registry.sessions()).toEqual([]);
    expect(registry.resume('call-1', new FakeOwner())).toBeNull();
  });

  it('a second detach after a resume starts a fresh window', () => {
    const { clock, registry, fake, owner } = setup();
    registry.detach('call-1', owner);
    clock.advance(WINDOW / 2);
    const next = new FakeOwner();
    registry.resume('call-1', next);
    registry.detach('call-1', next);
    clock.advance(WINDOW - 1);
    expect(fake.hasEnded).toBe(false);
    clock.advance(1);
    expect(fake.hasEnded).toBe(true);
  });

  it('a resume takes the session from a connection that still holds it', () => {
    const { registry, session, owner } = setup();
    const next = new FakeOwner();
    expect(registry.resume('call-1', next)).toBe(session);
    expect(owner.takeovers).toBe(1);
    expect(next.takeovers).toBe(0);
    expect(registry.isAttached('call-1')).toBe(true);
  });

  it("ignores the stale owner's detach after a takeover", () => {
    const { clock, registry, fake, owner } = setup();
    const next = new FakeOwner();
    registry.resume('call-1', next);
    registry.detach('call-1', owner); // the old socket finally notices it is closed
    expect(registry.isAttached('call-1')).toBe(true);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(WINDOW * 2);
    expect(fake.hasEnded).toBe(false);
    expect(registry.size).toBe(1);
  });

  it('refuses unknown and already ended sessions', () => {
    const { registry, fake } = setup();
    expect(registry.resume('nope', new FakeOwner())).toBeNull();
    fake.end('hung up');
    expect(registry.resume('call-1', new FakeOwner())).toBeNull();
  });

  it('endAll ends every session, attached or waiting, and leaves no timer behind', () => {
    const { clock, registry, fake, owner } = setup();
    const other = new FakeSession('call-2');
    registry.add(other as unknown as Session, new FakeOwner());
    registry.detach('call-1', owner);
    registry.endAll('server shutting down');
    expect(fake.endReasons).toEqual(['server shutting down']);
    expect(other.endReasons).toEqual(['server shutting down']);
    expect(registry.size).toBe(0);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(WINDOW * 2);
    expect(fake.endReasons).toHaveLength(1);
  });
});
