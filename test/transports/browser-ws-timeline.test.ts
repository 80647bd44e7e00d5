// The keypad and transfer timeline events on the browser wire, and the `dtmf` client message's schema.
import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '../../src/session/timeline.js';
import { parseClientMessage } from '../../src/transports/browser-ws/protocol.js';
import { toServerMessage } from '../../src/transports/browser-ws/timeline-to-wire.js';

const at = { callId: 'call-1', at: 1234 };

describe('keypad on the browser wire', () => {
  it('sends a dtmf timeline event as a dtmf message, and keeps transfers (phone only) off the wire', () => {
    expect(toServerMessage({ ...at, type: 'dtmf', digit: '#' }, (t) => t)).toEqual({ type: 'dtmf', digit: '#' });
    const transfer: TimelineEvent = { ...at, type: 'call.transfer', target: '+15551234567', mode: 'blind', ok: true };
    expect(toServerMessage(transfer, (t) => t)).toBeNull();
  });

  it('parses a dtmf message of 1 to 32 keypad keys', () => {
    expect(parseClientMessage('{"type":"dtmf","digits":"0123456789*#ABCD"}')).toEqual({ ok: true, message: { type: 'dtmf', digits: '0123456789*#ABCD' } });
    expect(parseClientMessage('{"type":"dtmf","digits":"abc"}')).toMatchObject({ ok: false, code: 'invalid_message' });
    expect(parseClientMessage('{"type":"dtmf","digits":"1","x":1}')).toMatchObject({ ok: false, code: 'invalid_message' });
  });
});
