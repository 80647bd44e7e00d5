import { describe, expect, it } from 'vitest';
import {
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  writeBye,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
  type ReportBlock,
} from '../../../../src/transports/sip/media/rtcp-packet.js';

const block: ReportBlock = {
  ssrc: 0x01020304,
  fractionLost: 25,
  cumulativeLost: -3,
  extendedHighestSequence: 0x00017fff,
  jitter: 77,
  lastSr: 0x12345678,
  delaySinceLastSr: 65536,
};

describe('RTCP packets', () => {
  it('round-trips a compound SR + SDES + BYE', () => {
    const sender = { ntpSeconds: 3_900_000_000, ntpFraction: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000 };
    const compound = Buffer.concat([writeSenderReport(0xaabbccdd, sender, [block]), writeSdesCname(0xaabbccdd, 'parley-1@host'), writeBye(0xaabbccdd)]);
    expect(compound.length % 4).toBe(0);
    const parsed = parseRtcp(compound);
    expect(parsed).toEqual({
      ok: true,
      items: [
        { type: 'sr', ssrc: 0xaabbccdd, sender, reports: [block] },
        { type: 'sdes', cnames: [{ ssrc: 0xaabbccdd, cname: 'parley-1@host' }] },
        { type: 'bye', ssrcs: [0xaabbccdd] },
      ],
    });
  });

  it('round-trips an RR with no blocks and CNAMEs of every padding length', () => {
    for (const cname of ['a', 'ab', 'abc', 'abcd', 'abcde']) {
      const parsed = parseRtcp(Buffer.concat([writeReceiverReport(7, []), writeSdesCname(7, cname)]));
      expect(parsed).toEqual({ ok: true, items: [{ type: 'rr', ssrc: 7, reports: [] }, { type: 'sdes', cnames: [{ ssrc: 7, cname }] }] });
    }
  });

  it('refuses malformed compounds with a reason', () => {
    const rr = writeReceiverReport(7, [block]);
    expect(parseRtcp(rr.subarray(0, 6)).ok).toBe(false);
    const truncated = Buffer.from(rr.subarray(0, 20));
    expect(parseRtcp(truncated)).toMatchObject({ ok: false, reason: /past the end/ });
    const v1 = Buffer.from(rr);
    v1[0] = 0x41;
    expect(parseRtcp(v1)).toMatchObject({ ok: false, reason: /version 1/ });
    const lying = Buffer.from(writeReceiverReport(7, []));
    lying[0] = 0x83; // claims three report blocks in an 8-byte packet
    expect(parseRtcp(lying)).toMatchObject({ ok: false, reason: /too short/ });
  });

  it('converts Unix time to NTP and its middle 32 bits', () => {
    const t = ntpFromUnixMs(1_700_000_000_500);
    expect(t.seconds).toBe(1_700_000_000 + 2_208_988_800);
    expect(t.fraction).toBe(2 ** 31);
    expect(ntpMiddle32(t)).toBe((((t.seconds & 0xffff) << 16) | 0x8000) >>> 0);
  });
});
