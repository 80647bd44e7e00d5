import { describe, expect, it } from 'vitest';
import { looksLikeRtcp, parseRtp, writeRtp } from '../../../../src/transports/sip/media/rtp-packet.js';

describe('RTP packets', () => {
  it('writes and reads back a plain header', () => {
    const payload = new Uint8Array([1, 2, 3, 4]);
    const bytes = writeRtp({ marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload });
    expect([...bytes.subarray(0, 12)]).toEqual([0x80, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xf0, 0xde, 0xad, 0xbe, 0xef]);
    const parsed = parseRtp(bytes);
    expect(parsed).toEqual({ ok: true, packet: { marker: true, payloadType: 8, sequence: 65535, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, payload: expect.anything() } });
    if (parsed.ok) expect([...parsed.packet.payload]).toEqual([1, 2, 3, 4]);
  });

  it('skips CSRCs and a header extension and strips padding', () => {
    const header = [0xb2, 0x00, 0x00, 0x07, 0, 0, 0, 160, 0, 0, 0, 9]; // v2, P, X, CC=2
    const csrcs = [0, 0, 0, 1, 0, 0, 0, 2];
    const extension = [0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00]; // one word
    const payload = [5, 6, 7];
    const padding = [0, 0, 3];
    const parsed = parseRtp(new Uint8Array([...header, ...csrcs, ...extension, ...payload, ...padding]));
    expect(parsed.ok).toBe(true);
    if (parsed.ok) {
      expect([...parsed.packet.payload]).toEqual(payload);
      expect(parsed.packet.sequence).toBe(7);
      expect(parsed.packet.ssrc).toBe(9);
    }
  });

  it('gives a reason instead of throwing for malformed packets', () => {
    const cases: [number[], RegExp][] = [
      [[0x80, 0, 0], /too short/],
      [[0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], /version 1/],
      [[0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], /CSRC/],
      [[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], /extension header/],
      [[0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], /extension past/],
      [[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 9], /padding/],
      [[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0], /padding/],
    ];
    for (const [bytes, reason] of cases) {
      const parsed = parseRtp(new Uint8Array(bytes));
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toMatch(reason);
    }
  });

  it('tells RTCP multiplexed on the RTP port from RTP', () => {
    expect(looksLikeRtcp(new Uint8Array([0x80, 200, 0, 6, 0, 0, 0, 0]))).toBe(true);
    expect(looksLikeRtcp(new Uint8Array([0x81, 201, 0, 7, 0, 0, 0, 0]))).toBe(true);
    expect(looksLikeRtcp(new Uint8Array([0x80, 0x80, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0]))).toBe(false); // PCMU + marker
    expect(looksLikeRtcp(new Uint8Array([0x80, 101, 0, 7, 0, 0, 0, 0]))).toBe(false);
  });
});
