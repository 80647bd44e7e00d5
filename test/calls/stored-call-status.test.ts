// The stored status of a call agrees with the metrics' reading of its end reason, sharpened by
// what the timeline showed.
import { describe, expect, it } from 'vitest';
import { storedCallStatus } from '../../src/calls/call-persistence.js';

describe('storedCallStatus', () => {
  it('reads the end reason like the metrics do', () => {
    expect(storedCallStatus('client ended the session', 2, false)).toBe('completed');
    expect(storedCallStatus('budget exceeded', 2, false)).toBe('failed');
    expect(storedCallStatus('client did not reconnect', 2, false)).toBe('abandoned');
    expect(storedCallStatus('server shutting down', 2, false)).toBe('abandoned');
  });

  it('is failed after an unrecoverable error, and abandoned when the caller never spoke', () => {
    expect(storedCallStatus('client ended the session', 2, true)).toBe('failed');
    expect(storedCallStatus('client ended the session', 0, false)).toBe('abandoned');
    expect(storedCallStatus('budget exceeded', 0, false)).toBe('failed');
  });
});
