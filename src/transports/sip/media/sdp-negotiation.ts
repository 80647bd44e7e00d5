// SDP offer/answer (RFC 3264 over RFC 4566 descriptions) for one G.711 audio stream with RFC 4733
// telephone events. Parsing is sdp-transform's; what is acceptable, what we answer and which
// direction each side sends is decided here. We accept the first usable audio stream of an offer
// and reject every other stream (video, a second audio, T.38, SRTP) by answering its port 0, so the
// answer keeps the offer's m-lines in count and order as RFC 3264 section 6 requires.
import { isIP } from 'node:net';
import { parse, write, type MediaDescription, type SessionDescription } from 'sdp-transform';
import { G711_CLOCK_RATE, STATIC_PAYLOAD_TYPE, isG711Codec, type G711Codec } from './g711-codec.js';

export type { G711Codec };
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface NegotiatedMedia {
  remoteAddress: string;
  remotePort: number;
  codec: G711Codec;
  payloadType: number;
  dtmfPayloadType: number | null;
  /** The packet time the peer asked for (a=ptime, default 20); we always send 20 ms packets. */
  ptimeMs: number;
  /** our direction */
  direction: MediaDirection;
  /** Where the peer wants RTCP: a=rtcp (RFC 3605) when given, otherwise the RTP port + 1. */
  remoteRtcpPort?: number;
}

export interface LocalMedia {
  address: string;
  port: number;
  sessionId: string;
  sessionVersion: number;
  /** preference, default ['PCMU','PCMA'] */
  codecs?: G711Codec[];
  direction?: MediaDirection;
}

/** 400: the SDP cannot be read; 488 (Not Acceptable Here): nothing in it we can use. */
export class SdpNegotiationError extends Error {
  override readonly name = 'SdpNegotiationError';
  constructor(
    readonly status: 488 | 400,
    message: string,
  ) {
    super(message);
  }
}

const DEFAULT_CODECS: readonly G711Codec[] = ['PCMU', 'PCMA'];
/** The dynamic payload type we offer telephone-event on; the customary one (Asterisk, baresip, Twilio). */
const OFFER_DTMF_PAYLOAD_TYPE = 101;
/** DTMF 0-9 * # A-D and flash (RFC 4733 events 0-16). */
const DTMF_EVENTS = '0-16';
const PTIME_MS = 20;
/** Larger than any real SDP body by far; a bound against being handed something huge. */
const MAX_SDP_LENGTH = 65536;

export function createOffer(local: LocalMedia): string {
  const ipVer = checkLocal(local);
  const codecs = preferredCodecs(local);
  const pts = codecs.map((c) => STATIC_PAYLOAD_TYPE[c]);
  const audio: MediaDescription = {
    type: 'audio',
    port: local.port,
    protocol: 'RTP/AVP',
    payloads: [...pts, OFFER_DTMF_PAYLOAD_TYPE].join(' '),
    rtp: [
      ...codecs.map((c) => ({ payload: STATIC_PAYLOAD_TYPE[c], codec: c, rate: G711_CLOCK_RATE })),
      { payload: OFFER_DTMF_PAYLOAD_TYPE, codec: 'telephone-event', rate: G711_CLOCK_RATE },
    ],
    fmtp: [{ payload: OFFER_DTMF_PAYLOAD_TYPE, config: DTMF_EVENTS }],
    ptime: PTIME_MS,
    direction: local.direction ?? 'sendrecv',
  };
  return write(sessionFor(local, ipVer, [audio]));
}

export function answerOffer(offerSdp: string, local: LocalMedia): { sdp: string; media: NegotiatedMedia } {
  const offer = parseSdp(offerSdp);
  const ipVer = checkLocal(local);
  const codecs = preferredCodecs(local);
  const reasons: string[] = [];
  let media: NegotiatedMedia | null = null;

  const answered = offer.media.map((m, index): MediaDescription => {
    if (media !== null) return rejectedLine(m);
    const verdict = acceptAudio(offer, m, codecs, ipVer);
    if (typeof verdict === 'string') {
      reasons.push(`stream ${index + 1} (${m.type}): ${verdict}`);
      return rejectedLine(m);
    }
    const ours = intersect(invert(verdict.offerDirection), local.direction ?? 'sendrecv');
    media = { ...verdict.media, direction: ours };
    const payloads = [verdict.media.payloadType];
    const rtp: MediaDescription['rtp'] = [{ payload: verdict.media.payloadType, codec: verdict.media.codec, rate: G711_CLOCK_RATE }];
    const fmtp: MediaDescription['fmtp'] = [];
    if (verdict.media.dtmfPayloadType !== null) {
      payloads.push(verdict.media.dtmfPayloadType);
      rtp.push({ payload: verdict.media.dtmfPayloadType, codec: 'telephone-event', rate: G711_CLOCK_RATE });
      fmtp.push({ payload: verdict.media.dtmfPayloadType, config: verdict.dtmfEvents });
    }
    return {
      type: 'audio',
      port: local.port,
      protocol: m.protocol,
      payloads: payloads.join(' '),
      rtp,
      fmtp,
      ptime: PTIME_MS,
      direction: ours,
    };
  });

  if (media === null) {
    const why = reasons.length > 0 ? reasons.join('; ') : 'the offer has no media streams';
    throw new SdpNegotiationError(488, `no acceptable audio stream: ${why}`);
  }
  return { sdp: write(sessionFor(local, ipVer, answered)), media };
}

/** Reads the answer to our own offer (outbound INVITE), which offered `offeredCodecs`. */
export function readAnswer(answerSdp: string, offeredCodecs: G711Codec[]): NegotiatedMedia {
  const answer = parseSdp(answerSdp);
  const audio = answer.media.find((m) => m.type === 'audio');
  if (!audio) throw new SdpNegotiationError(488, 'the answer has no audio stream');
  if (audio.port === 0) throw new SdpNegotiationError(488, 'the answer rejected the audio stream (port 0)');
  const accepted = offeredCodecs.length > 0 ? offeredCodecs : [...DEFAULT_CODECS];
  const verdict = acceptAudio(answer, audio, accepted, null);
  if (typeof verdict === 'string') throw new SdpNegotiationError(488, `unusable answer: ${verdict}`);
  return { ...verdict.media, direction: invert(verdict.offerDirection) };
}

interface AcceptedAudio {
  media: Omit<NegotiatedMedia, 'direction'>;
  /** The direction the other side declared, already lowered for an old-style c=0.0.0.0 hold. */
  offerDirection: MediaDirection;
  dtmfEvents: string;
}

/** What we can use of one m-line, or why not. `ipVer` null: any address family is fine. */
function acceptAudio(
  session: SessionDescription,
  m: MediaDescription,
  codecs: readonly G711Codec[],
  ipVer: 4 | 6 | null,
): AcceptedAudio | string {
  if (m.type !== 'audio') return 'not audio';
  if (m.port === 0) return 'disabled by the offerer (port 0)';
  if (m.protocol.toUpperCase() !== 'RTP/AVP') return `transport ${m.protocol} not supported (plain RTP/AVP only, no SRTP)`;
  const connection = m.connection ?? session.connection;
  if (!connection) throw new SdpNegotiationError(400, 'an audio stream has no connection address (c=)');
  if (ipVer !== null && connection.version !== ipVer) return `address family IP${connection.version} differs from ours (IP${ipVer})`;

  const payloads = payloadList(m);
  let chosen: { codec: G711Codec; pt: number } | null = null;
  for (const pt of payloads) {
    const codec = g711At(m, pt);
    if (codec !== null && codecs.includes(codec)) {
      chosen = { codec, pt };
      break;
    }
  }
  if (!chosen) {
    const offered = payloads.map((pt) => codecName(m, pt)).join(', ');
    return `no common codec (offered ${offered || 'none'}; we take ${codecs.join(', ')})`;
  }

  const dtmf = m.rtp.find(
    (r) => r.codec.toLowerCase() === 'telephone-event' && r.rate === G711_CLOCK_RATE && payloads.includes(r.payload),
  );
  const dtmfEvents = dtmf ? (m.fmtp.find((f) => f.payload === dtmf.payload)?.config.trim() ?? DTMF_EVENTS) : DTMF_EVENTS;
  const ptime = typeof m.ptime === 'number' && m.ptime >= 10 && m.ptime <= 200 ? m.ptime : PTIME_MS;
  const rtcpPort = m.rtcp && Number.isInteger(m.rtcp.port) && m.rtcp.port > 0 ? m.rtcp.port : m.port + 1;

  let direction: MediaDirection = m.direction ?? session.direction ?? 'sendrecv';
  // RFC 3264 section 8.4: a c= of 0.0.0.0 is the older way of saying "do not send to me".
  if (connection.ip === '0.0.0.0') direction = direction === 'sendrecv' ? 'sendonly' : direction === 'recvonly' ? 'inactive' : direction;

  return {
    media: {
      remoteAddress: connection.ip,
      remotePort: m.port,
      codec: chosen.codec,
      payloadType: chosen.pt,
      dtmfPayloadType: dtmf ? dtmf.payload : null,
      ptimeMs: ptime,
      remoteRtcpPort: rtcpPort,
    },
    offerDirection: direction,
    dtmfEvents,
  };
}

function parseSdp(text: string): SessionDescription {
  if (typeof text !== 'string' || text.trim() === '') throw new SdpNegotiationError(400, 'empty SDP');
  if (text.length > MAX_SDP_LENGTH) throw new SdpNegotiationError(400, `SDP of ${text.length} characters is too long`);
  let sdp: SessionDescription;
  try {
    sdp = parse(text);
  } catch (err) {
    throw new SdpNegotiationError(400, `unparseable SDP: ${(err as Error).message}`);
  }
  if (sdp.version !== 0) throw new SdpNegotiationError(400, 'not an SDP body: no "v=0" line');
  if (!sdp.origin) throw new SdpNegotiationError(400, 'SDP has no origin (o=) line');
  for (const [index, m] of sdp.media.entries()) {
    if (typeof m.type !== 'string' || !Number.isInteger(m.port) || m.port < 0 || m.port > 65535 || typeof m.protocol !== 'string') {
      throw new SdpNegotiationError(400, `malformed media line ${index + 1} (m=)`);
    }
    if (m.connection && typeof m.connection.ip !== 'string') throw new SdpNegotiationError(400, 'malformed connection line (c=)');
  }
  if (sdp.connection && typeof sdp.connection.ip !== 'string') throw new SdpNegotiationError(400, 'malformed connection line (c=)');
  return sdp;
}

function payloadList(m: MediaDescription): number[] {
  return String(m.payloads ?? '')
    .trim()
    .split(/\s+/)
    .filter((p) => /^\d+$/.test(p))
    .map(Number)
    .filter((pt) => pt <= 127);
}

/** The G.711 codec a payload type carries: by rtpmap when given, else by its static number. */
function g711At(m: MediaDescription, pt: number): G711Codec | null {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map) {
    const name = map.codec.toUpperCase();
    const channels = map.encoding ?? 1;
    return isG711Codec(name) && map.rate === G711_CLOCK_RATE && channels === 1 ? name : null;
  }
  if (pt === STATIC_PAYLOAD_TYPE.PCMU) return 'PCMU';
  if (pt === STATIC_PAYLOAD_TYPE.PCMA) return 'PCMA';
  return null;
}

function codecName(m: MediaDescription, pt: number): string {
  const map = m.rtp.find((r) => r.payload === pt);
  if (map) return `${map.codec}/${map.rate ?? '?'}`;
  return g711At(m, pt) ?? `PT ${pt}`;
}

function rejectedLine(m: MediaDescription): MediaDescription {
  return { type: m.type, port: 0, protocol: m.protocol, payloads: String(m.payloads ?? ''), rtp: [], fmtp: [] };
}

function invert(direction: MediaDirection): MediaDirection {
  if (direction === 'sendonly') return 'recvonly';
  if (direction === 'recvonly') return 'sendonly';
  return direction;
}

function intersect(a: MediaDirection, b: MediaDirection): MediaDirection {
  const sends = (d: MediaDirection) => d === 'sendrecv' || d === 'sendonly';
  const receives = (d: MediaDirection) => d === 'sendrecv' || d === 'recvonly';
  const send = sends(a) && sends(b);
  const receive = receives(a) && receives(b);
  return send && receive ? 'sendrecv' : send ? 'sendonly' : receive ? 'recvonly' : 'inactive';
}

function sessionFor(local: LocalMedia, ipVer: 4 | 6, media: MediaDescription[]): SessionDescription {
  return {
    version: 0,
    origin: {
      username: 'parley',
      sessionId: local.sessionId,
      sessionVersion: local.sessionVersion,
      netType: 'IN',
      ipVer,
      address: local.address,
    },
    name: 'Parley',
    connection: { version: ipVer, ip: local.address },
    timing: { start: 0, stop: 0 },
    media,
  };
}

/** Our own description must be right; a mistake here is the caller's bug, not the peer's. */
function checkLocal(local: LocalMedia): 4 | 6 {
  const family = isIP(local.address);
  if (family === 0) throw new TypeError(`local media address must be an IP address, got "${local.address}"`);
  if (!Number.isInteger(local.port) || local.port < 1 || local.port > 65535) {
    throw new RangeError(`local media port must be 1-65535, got ${local.port}`);
  }
  if (!/^\d{1,20}$/.test(local.sessionId)) throw new TypeError(`SDP session id must be digits, got "${local.sessionId}"`);
  if (!Number.isInteger(local.sessionVersion) || local.sessionVersion < 0) {
    throw new RangeError(`SDP session version must be a non-negative integer, got ${local.sessionVersion}`);
  }
  return family === 6 ? 6 : 4;
}

function preferredCodecs(local: LocalMedia): G711Codec[] {
  const codecs = local.codecs ?? [...DEFAULT_CODECS];
  if (codecs.length === 0) throw new RangeError('at least one codec is needed');
  for (const c of codecs) if (!isG711Codec(c)) throw new RangeError(`unsupported codec "${String(c)}"`);
  return [...new Set(codecs)];
}
