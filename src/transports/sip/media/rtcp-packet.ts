// RTCP (RFC 3550 section 6): the compound packets we send (SR or RR, then SDES CNAME, then BYE at
// the end) and reading what peers send, enough for round-trip time and their view of our stream.
// Reading never throws; a malformed compound packet comes back as the reason.

export interface ReportBlock {
  /** The source this block reports on. */
  ssrc: number;
  /** Fraction of packets lost since the previous report, 0..255 (/256). */
  fractionLost: number;
  /** Cumulative packets lost (24-bit signed: duplicates can make it negative). */
  cumulativeLost: number;
  extendedHighestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR from that source, 0 if none. */
  lastSr: number;
  /** Delay since that SR, in 1/65536 s. */
  delaySinceLastSr: number;
}

export interface SenderInfo {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export type RtcpItem =
  | { type: 'sr'; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
  | { type: 'rr'; ssrc: number; reports: ReportBlock[] }
  | { type: 'sdes'; cnames: { ssrc: number; cname: string }[] }
  | { type: 'bye'; ssrcs: number[] }
  | { type: 'other'; packetType: number };

export type RtcpParseResult = { ok: true; items: RtcpItem[] } | { ok: false; reason: string };

const VERSION = 2;
const PT_SR = 200;
const PT_RR = 201;
const PT_SDES = 202;
const PT_BYE = 203;
const SDES_CNAME = 1;
const REPORT_BLOCK_BYTES = 24;
/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET_S = 2_208_988_800;

export interface NtpTime {
  seconds: number;
  fraction: number;
}

export function ntpFromUnixMs(ms: number): NtpTime {
  const whole = Math.floor(ms / 1000);
  const fraction = Math.floor(((ms - whole * 1000) / 1000) * 2 ** 32) >>> 0;
  return { seconds: (whole + NTP_UNIX_OFFSET_S) >>> 0, fraction };
}

/** The "compact" middle 32 bits (16.16 fixed point seconds) used by LSR and round-trip maths. */
export function ntpMiddle32(t: NtpTime): number {
  return (((t.seconds & 0xffff) << 16) | (t.fraction >>> 16)) >>> 0;
}

function header(count: number, packetType: number, lengthBytes: number): Buffer {
  const out = Buffer.alloc(4);
  out[0] = (VERSION << 6) | (count & 0x1f);
  out[1] = packetType;
  out.writeUInt16BE(lengthBytes / 4 - 1, 2);
  return out;
}

function reportBlockBytes(r: ReportBlock): Buffer {
  const out = Buffer.alloc(REPORT_BLOCK_BYTES);
  out.writeUInt32BE(r.ssrc >>> 0, 0);
  // Clamped to the 24-bit signed range as RFC 3550 section 6.4.1 asks.
  const lost = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost));
  out.writeUInt32BE((((r.fractionLost & 0xff) << 24) | (lost & 0xffffff)) >>> 0, 4);
  out.writeUInt32BE(r.extendedHighestSequence >>> 0, 8);
  out.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(r.jitter))) >>> 0, 12);
  out.writeUInt32BE(r.lastSr >>> 0, 16);
  out.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(r.delaySinceLastSr))) >>> 0, 20);
  return out;
}

export function writeSenderReport(ssrc: number, sender: SenderInfo, reports: ReportBlock[]): Buffer {
  const length = 28 + reports.length * REPORT_BLOCK_BYTES;
  const body = Buffer.alloc(24);
  body.writeUInt32BE(ssrc >>> 0, 0);
  body.writeUInt32BE(sender.ntpSeconds >>> 0, 4);
  body.writeUInt32BE(sender.ntpFraction >>> 0, 8);
  body.writeUInt32BE(sender.rtpTimestamp >>> 0, 12);
  body.writeUInt32BE(sender.packetCount >>> 0, 16);
  body.writeUInt32BE(sender.octetCount >>> 0, 20);
  return Buffer.concat([header(reports.length, PT_SR, length), body, ...reports.map(reportBlockBytes)]);
}

export function writeReceiverReport(ssrc: number, reports: ReportBlock[]): Buffer {
  const length = 8 + reports.length * REPORT_BLOCK_BYTES;
  const body = Buffer.alloc(4);
  body.writeUInt32BE(ssrc >>> 0, 0);
  return Buffer.concat([header(reports.length, PT_RR, length), body, ...reports.map(reportBlockBytes)]);
}

export function writeSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8').subarray(0, 255);
  // SSRC, CNAME item (type, length, text), then at least one null octet ending the item list,
  // padded to a 32-bit boundary.
  const itemsLength = 2 + text.length + 1;
  const chunkLength = 4 + Math.ceil(itemsLength / 4) * 4;
  const chunk = Buffer.alloc(chunkLength);
  chunk.writeUInt32BE(ssrc >>> 0, 0);
  chunk[4] = SDES_CNAME;
  chunk[5] = text.length;
  text.copy(chunk, 6);
  return Buffer.concat([header(1, PT_SDES, 4 + chunkLength), chunk]);
}

export function writeBye(ssrc: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(ssrc >>> 0, 0);
  return Buffer.concat([header(1, PT_BYE, 8), body]);
}

export function parseRtcp(data: Uint8Array): RtcpParseResult {
  if (data.length < 8) return { ok: false, reason: `too short (${data.length} bytes)` };
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const items: RtcpItem[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (offset + 4 > data.length) return { ok: false, reason: 'truncated header' };
    const b0 = data[offset];
    if (b0 >> 6 !== VERSION) return { ok: false, reason: `version ${b0 >> 6}` };
    const count = b0 & 0x1f;
    const packetType = data[offset + 1];
    const length = (view.getUint16(offset + 2) + 1) * 4;
    if (offset + length > data.length) return { ok: false, reason: `packet type ${packetType} runs past the end` };
    const body = offset + 4;
    const end = offset + length;
    switch (packetType) {
      case PT_SR: {
        if (body + 24 + count * REPORT_BLOCK_BYTES > end) return { ok: false, reason: 'sender report too short' };
        items.push({
          type: 'sr',
          ssrc: view.getUint32(body),
          sender: {
            ntpSeconds: view.getUint32(body + 4),
            ntpFraction: view.getUint32(body + 8),
            rtpTimestamp: view.getUint32(body + 12),
            packetCount: view.getUint32(body + 16),
            octetCount: view.getUint32(body + 20),
          },
          reports: readBlocks(view, body + 24, count),
        });
        break;
      }
      case PT_RR: {
        if (body + 4 + count * REPORT_BLOCK_BYTES > end) return { ok: false, reason: 'receiver report too short' };
        items.push({ type: 'rr', ssrc: view.getUint32(body), reports: readBlocks(view, body + 4, count) });
        break;
      }
      case PT_SDES:
        items.push({ type: 'sdes', cnames: readCnames(data, view, body, end, count) });
        break;
      case PT_BYE: {
        if (body + count * 4 > end) return { ok: false, reason: 'BYE too short' };
        const ssrcs: number[] = [];
        for (let i = 0; i < count; i++) ssrcs.push(view.getUint32(body + i * 4));
        items.push({ type: 'bye', ssrcs });
        break;
      }
      default:
        items.push({ type: 'other', packetType });
    }
    offset = end;
  }
  return { ok: true, items };
}

function readBlocks(view: DataView, at: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const o = at + i * REPORT_BLOCK_BYTES;
    const lossWord = view.getUint32(o + 4);
    const lost24 = lossWord & 0xffffff;
    blocks.push({
      ssrc: view.getUint32(o),
      fractionLost: lossWord >>> 24,
      cumulativeLost: lost24 & 0x800000 ? lost24 - 0x1000000 : lost24,
      extendedHighestSequence: view.getUint32(o + 8),
      jitter: view.getUint32(o + 12),
      lastSr: view.getUint32(o + 16),
      delaySinceLastSr: view.getUint32(o + 20),
    });
  }
  return blocks;
}

/** CNAMEs of the SDES chunks; other item types are skipped, a malformed chunk ends the reading. */
function readCnames(data: Uint8Array, view: DataView, at: number, end: number, count: number): { ssrc: number; cname: string }[] {
  const out: { ssrc: number; cname: string }[] = [];
  let o = at;
  for (let chunk = 0; chunk < count && o + 4 <= end; chunk++) {
    const ssrc = view.getUint32(o);
    o += 4;
    while (o < end && data[o] !== 0) {
      if (o + 2 > end) return out;
      const type = data[o];
      const len = data[o + 1];
      if (o + 2 + len > end) return out;
      if (type === SDES_CNAME) out.push({ ssrc, cname: Buffer.from(data.subarray(o + 2, o + 2 + len)).toString('utf8') });
      o += 2 + len;
    }
    // The null item, then padding to the next 32-bit boundary (relative to the packet start).
    o += 1;
    o += (4 - ((o - at) % 4)) % 4;
  }
  return out;
}
