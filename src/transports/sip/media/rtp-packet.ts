// RTP fixed header (RFC 3550 section 5.1): reading every field a peer may set (CSRC list, header
// extension, padding) and writing the plain header we send (no CSRC, no extension, no padding).
// Reading never throws: anything that is not a well-formed version 2 packet comes back as the reason.

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payload: Uint8Array;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: string };

export const RTP_HEADER_BYTES = 12;
const RTP_VERSION = 2;

export function parseRtp(data: Uint8Array): RtpParseResult {
  if (data.length < RTP_HEADER_BYTES) return { ok: false, reason: `too short (${data.length} bytes)` };
  const b0 = data[0];
  if (b0 >> 6 !== RTP_VERSION) return { ok: false, reason: `version ${b0 >> 6}` };
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);

  let offset = RTP_HEADER_BYTES + csrcCount * 4;
  if (offset > data.length) return { ok: false, reason: 'CSRC list past the end' };
  if (extension) {
    if (offset + 4 > data.length) return { ok: false, reason: 'extension header past the end' };
    offset += 4 + view.getUint16(offset + 2) * 4;
    if (offset > data.length) return { ok: false, reason: 'extension past the end' };
  }
  let end = data.length;
  if (padding) {
    const count = data[data.length - 1];
    if (count === 0 || count > end - offset) return { ok: false, reason: `bad padding count ${count}` };
    end -= count;
  }
  return {
    ok: true,
    packet: {
      marker: (data[1] & 0x80) !== 0,
      payloadType: data[1] & 0x7f,
      sequence: view.getUint16(2),
      timestamp: view.getUint32(4),
      ssrc: view.getUint32(8),
      payload: data.subarray(offset, end),
    },
  };
}

export function writeRtp(packet: RtpPacket): Buffer {
  const out = Buffer.allocUnsafe(RTP_HEADER_BYTES + packet.payload.length);
  out[0] = RTP_VERSION << 6;
  out[1] = (packet.marker ? 0x80 : 0) | (packet.payloadType & 0x7f);
  out.writeUInt16BE(packet.sequence & 0xffff, 2);
  out.writeUInt32BE(packet.timestamp >>> 0, 4);
  out.writeUInt32BE(packet.ssrc >>> 0, 8);
  out.set(packet.payload, RTP_HEADER_BYTES);
  return out;
}

/**
 * RTCP packet types 200-204 sit where an RTP header has marker + payload type (RFC 5761 section 4),
 * so a peer multiplexing RTCP onto the RTP port can be told apart by the second byte.
 */
export function looksLikeRtcp(data: Uint8Array): boolean {
  return data.length >= 8 && data[0] >> 6 === RTP_VERSION && data[1] >= 200 && data[1] <= 204;
}
