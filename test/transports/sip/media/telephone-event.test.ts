import { describe, expect, it } from 'vitest';
import { DtmfReceiver, DtmfSender, decodeTelephoneEvent, encodeTelephoneEvent, isDtmfDigit } from '../../../../src/transports/sip/media/telephone-event.js';

describe('telephone events', () => {
  it('encodes the RFC 4733 payload', () => {
    expect([...encodeTelephoneEvent(11, true, 800)]).toEqual([11, 0x80 | 10, 0x03, 0x20]);
    expect(decodeTelephoneEvent(new Uint8Array([3, 0x0a, 0, 160]))).toEqual({ event: 3, end: false, volume: 10, duration: 160 });
    expect(decodeTelephoneEvent(new Uint8Array([3, 0x0a]))).toBeNull();
  });

  it('knows the digits', () => {
    for (const d of '0123456789*#ABCDabcd') expect(isDtmfDigit(d)).toBe(true);
    for (const d of ['E', 'x', ' ', '12', '']) expect(isDtmfDigit(d)).toBe(false);
  });

  it('receiver: one digit per press, ignores retransmitted ends, flushes a press whose end was lost', () => {
    const digits: string[] = [];
    const rx = new DtmfReceiver((d) => digits.push(d));
    const ev = (event: number, end: boolean) => encodeTelephoneEvent(event, end, 160);
    expect(rx.packet(100, ev(1, false), 0)).toBe(true);
    rx.packet(100, ev(1, true), 20);
    rx.packet(100, ev(1, true), 40);
    expect(digits).toEqual(['1']);
    rx.packet(900, ev(10, false), 100); // '*' without an end...
    rx.packet(1800, ev(12, true), 200); // ...ended by the next press
    expect(digits).toEqual(['1', '*', 'A']);
    rx.packet(2600, ev(0, false), 300);
    rx.tick(500);
    expect(digits).toEqual(['1', '*', 'A']);
    rx.tick(1100);
    expect(digits).toEqual(['1', '*', 'A', '0']);
    rx.packet(3400, ev(16, true), 1200); // hook flash: not a digit
    expect(rx.packet(3500, new Uint8Array([99, 0x8a, 0, 160]), 1300)).toBe(false);
    expect(digits).toEqual(['1', '*', 'A', '0']);
  });

  it('sender: seven packets per digit, then a 50 ms gap, resolves after the last', async () => {
    const tx = new DtmfSender();
    let resolved = false;
    const done = tx.enqueue('9*').then(() => (resolved = true));
    const sent: { slot: number; event: number; end: boolean; marker: boolean; start: number }[] = [];
    for (let slot = 0; slot < 30; slot++) {
      const p = tx.next(slot, slot * 20);
      if (p) {
        const e = decodeTelephoneEvent(p.payload)!;
        sent.push({ slot, event: e.event, end: e.end, marker: p.marker, start: p.startSlot });
      }
    }
    await done;
    expect(resolved).toBe(true);
    // The last end packet leaves at 120 ms; the next press may start 50 ms later, at the 180 ms slot.
    expect(sent.map((s) => s.slot)).toEqual([0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 13, 14, 15]);
    expect(sent.map((s) => s.start)).toEqual([0, 0, 0, 0, 0, 0, 0, 9, 9, 9, 9, 9, 9, 9]);
    expect(sent.filter((s) => s.marker).map((s) => s.slot)).toEqual([0, 9]);
    expect(sent.filter((s) => s.end)).toHaveLength(6);
    expect(tx.idle).toBe(true);
  });

  it('sender: abort rejects what is queued', async () => {
    const tx = new DtmfSender();
    const p = tx.enqueue('12');
    tx.next(0, 0);
    expect(tx.sending).toBe(true);
    tx.abort(new Error('hold'));
    await expect(p).rejects.toThrow('hold');
    expect(tx.idle).toBe(true);
  });
});
