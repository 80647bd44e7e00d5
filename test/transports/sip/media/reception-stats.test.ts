import { describe, expect, it } from 'vitest';
import { ReceptionStats } from '../../../../src/transports/sip/media/reception-stats.js';

describe('ReceptionStats', () => {
  it('counts loss across the sequence wrap and the fraction since the last report', () => {
    const s = new ReceptionStats(8000);
    const seqs = [65530, 65531, 65533, 65534, 65535, 0, 2, 3];
    for (const [i, seq] of seqs.entries()) s.update(seq, i * 160, i * 20);
    expect(s.extendedHighestSequence).toBe(65536 + 3);
    expect(s.cumulativeLost).toBe(2); // 65532 and 1
    const first = s.reportBlock(42, 0, 0);
    expect(first).toMatchObject({ ssrc: 42, cumulativeLost: 2, extendedHighestSequence: 65539, fractionLost: Math.floor((2 * 256) / 10) });
    for (const seq of [4, 5]) s.update(seq, 0, 0, false);
    expect(s.reportBlock(42, 0, 0).fractionLost).toBe(0);
  });

  it('counts a duplicate as received, which can make the loss negative', () => {
    const s = new ReceptionStats(8000);
    for (const seq of [1, 2, 2, 3]) s.update(seq, seq * 160, seq * 20);
    expect(s.cumulativeLost).toBe(-1);
  });

  it('takes a far jump as a restart only when the next packet follows it', () => {
    const s = new ReceptionStats(8000);
    for (const seq of [10, 11, 12]) s.update(seq, 0, 0, false);
    s.update(30000, 0, 0, false); // stray
    expect(s.extendedHighestSequence).toBe(12);
    s.update(40000, 0, 0, false);
    s.update(40001, 0, 0, false); // a new sequence space
    expect(s.extendedHighestSequence).toBe(40001);
    expect(s.cumulativeLost).toBe(0);
  });

  it('measures interarrival jitter per RFC 3550', () => {
    const steady = new ReceptionStats(8000);
    for (let i = 0; i < 50; i++) steady.update(i, i * 160, i * 20);
    expect(steady.jitterMs).toBe(0);
    const jittery = new ReceptionStats(8000);
    for (let i = 0; i < 500; i++) jittery.update(i, i * 160, i * 20 + (i % 2) * 10);
    // |D| is 10 ms every packet, so J converges to 10 ms.
    expect(jittery.jitterMs).toBeCloseTo(10, 1);
  });
});
