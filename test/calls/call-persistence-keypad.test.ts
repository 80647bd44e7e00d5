// Keypad and transfer events are stored with the rest of the call's timeline.
import { describe, expect, it } from 'vitest';
import { CallPersistence } from '../../src/calls/call-persistence.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import type { StoreWrite } from '../../src/store/store-writes.js';

describe('CallPersistence: keypad and transfer events', () => {
  it('stores dtmf and call.transfer events as timeline rows, in order', () => {
    const writes: StoreWrite[] = [];
    const persistence = new CallPersistence(
      { tenantId: 't1', agentId: 'a1', agentVersion: 1, callId: 'c1', transport: 'twilio', caller: '+15550001111' },
      { write: (w) => writes.push(w), wallTime: (at) => at, llm: { provider: 'simulated', model: 'simulated' } },
    );
    const events: TimelineEvent[] = [
      { callId: 'c1', at: 1000, type: 'dtmf', digit: '5' },
      { callId: 'c1', at: 2000, type: 'call.transfer', target: 'sip:desk@example.com', mode: 'warm', ok: false, error: 'busy' },
    ];
    for (const e of events) persistence.handle(e);
    const rows = writes.flatMap((w) => (w.kind === 'event' ? [w.event] : []));
    expect(rows.map((r) => [r.seq, r.type, r.payload])).toEqual([
      [0, 'dtmf', { type: 'dtmf', at: 1000, digit: '5' }],
      [1, 'call.transfer', { type: 'call.transfer', at: 2000, target: 'sip:desk@example.com', mode: 'warm', ok: false, error: 'busy' }],
    ]);
  });
});
