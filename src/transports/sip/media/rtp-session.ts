// One call's RTP audio stream (RFC 3550) in G.711 with RFC 4733 DTMF, both ways, on a pair of
// UDP sockets. Everything timed runs on the injected clock, one 20 ms tick for both directions:
//
// - Out: agent frames go out the moment they are given (the caller paces them); a slot the tick
//   finds unfilled gets a silence frame, so the stream never pauses (phones, NATs and recorders
//   expect continuous RTP). Every packet owns one 20 ms slot of the outgoing timeline, which is
//   what its timestamp says, so timestamps stay continuous whatever filled the slot.
// - In: packets are checked, latched onto (symmetric RTP), decoded and pushed into a jitter
//   buffer; each tick pops one frame of it for the agent.
// - RTCP: a report every ~5 s (randomised), round-trip time from the peer's reports, BYE on close.
import type { RemoteInfo } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { JitterBuffer } from '../../../audio/jitter-buffer.js';
import type { Clock, TimerHandle } from '../../../clock.js';
import { G711_CLOCK_RATE, decodeG711, encodeG711 } from './g711-codec.js';
import { ReceptionStats } from './reception-stats.js';
import {
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcp,
  writeBye,
  writeReceiverReport,
  writeSdesCname,
  writeSenderReport,
  type ReportBlock,
} from './rtcp-packet.js';
import { looksLikeRtcp, parseRtp, writeRtp } from './rtp-packet.js';
import type { RtpSockets } from './rtp-port-pool.js';
import type { NegotiatedMedia } from './sdp-negotiation.js';
import { DtmfReceiver, DtmfSender, isDtmfDigit } from './telephone-event.js';

export interface RtpSessionOptions {
  sockets: RtpSockets;
  media: NegotiatedMedia;
  clock: Clock;
  /**
   * PCM16 8 kHz, one 20 ms frame (160) per jitter-buffer tick: every 20 ms from start() to close(),
   * silence while nothing is there to play (before the first packet, on hold, after losses).
   */
  onAudio(samples: Int16Array): void;
  onDtmf(digit: string): void;
  log?: Logger;
  ssrc?: number;
  /** Mean time between RTCP reports (default 5000 ms; each interval is randomised 0.5-1.5x). */
  rtcpIntervalMs?: number;
  /** Jitter buffer depth bounds in 20 ms frames (defaults 2 and 10). */
  jitterBuffer?: { minDepthFrames?: number; maxDepthFrames?: number };
  /** RTCP CNAME (default a random one). */
  cname?: string;
  /** Wall clock for RTCP's NTP timestamps (default Date.now); read once, then advanced by `clock`. */
  wallClockMs?: () => number;
}

export interface RtpStats {
  packetsSent: number;
  /** RTP packets of the stream (audio and events) that passed the checks, duplicates included. */
  packetsReceived: number;
  /** RFC 3550 cumulative loss: packets expected minus received. */
  packetsLost: number;
  /** Packets not played: garbage, foreign payload type or source, duplicate, too late. */
  packetsDiscarded: number;
  /** RFC 3550 interarrival jitter of the received stream. */
  jitterMs: number;
  bufferDepthMs: number;
  concealedFrames: number;
  /** Where the last accepted RTP packet came from. */
  lastRemote: { address: string; port: number } | null;
  /** From the peer's RTCP report blocks about our stream; null until one came. */
  rttMs: number | null;
  /** The latest the 20 ms media tick ran after it was due (event loop stalls). */
  maxSendLagMs: number;
}

export const RTP_FRAME_MS = 20;
export const RTP_FRAME_SAMPLES = 160;
const DEFAULT_RTCP_INTERVAL_MS = 5000;
/** Another source is taken over only once the latched one has been silent this long. */
const LATCH_IDLE_MS = 2000;
/** Slots a late tick still fills with silence; a longer stall is skipped (timestamp jump + marker). */
const MAX_CATCH_UP_SLOTS = 2;
/** Frames a late tick still plays out; beyond that they are skipped. */
const MAX_CATCH_UP_POPS = 5;
/** Round-trip results this far below zero are clock quantisation; further is nonsense. */
const RTT_TOLERANCE_MS = 10;
/** Tolerance on tick arithmetic, so a tick firing exactly on time counts its slot. */
const EPSILON_MS = 0.001;

interface Endpoint {
  address: string;
  port: number;
}

export class RtpSession {
  private media: NegotiatedMedia;
  private readonly clock: Clock;
  private readonly log: Logger | undefined;
  private readonly sockets: RtpSockets;
  private readonly ssrc: number;
  private readonly cname: string;
  private readonly rtcpIntervalMs: number;
  private readonly wallBaseMs: number;
  private readonly clockBaseMs: number;
  private started = false;
  private closed = false;

  // Sending
  private sequence: number;
  private readonly timestampBase: number;
  private streamStart = 0;
  private nextSlot = 0;
  private needMarker = true;
  private silenceRun = 0;
  private packetsSent = 0;
  private octetsSent = 0;
  private packetsSentAtReport = 0;
  private readonly silence = new Map<string, Uint8Array>();
  private readonly dtmfOut = new DtmfSender();

  // Receiving
  private readonly jitter: JitterBuffer;
  private reception: ReceptionStats | null = null;
  private lostBeforeSourceChange = 0;
  private remoteSsrc: number | null = null;
  private latched: Endpoint | null = null;
  private latchedSeenMs = 0;
  private rtcpSource: Endpoint | null = null;
  private lastRemote: Endpoint | null = null;
  private packetsReceived = 0;
  private packetsDiscarded = 0;
  private readonly dtmfIn: DtmfReceiver;
  private lastSrFromPeer: { middle32: number; atMs: number } | null = null;
  private rttMs: number | null = null;

  // Timing
  private tickTimer: TimerHandle | null = null;
  private rtcpTimer: TimerHandle | null = null;
  private popsDone = 0;
  private maxSendLagMs = 0;

  constructor(private readonly options: RtpSessionOptions) {
    checkMedia(options.media);
    this.media = { ...options.media };
    this.clock = options.clock;
    this.log = options.log;
    this.sockets = options.sockets;
    this.ssrc = (options.ssrc ?? randomBytes(4).readUInt32BE(0)) >>> 0;
    this.sequence = randomBytes(2).readUInt16BE(0);
    this.timestampBase = randomBytes(4).readUInt32BE(0);
    this.cname = options.cname ?? `parley-${randomBytes(6).toString('hex')}`;
    this.rtcpIntervalMs = options.rtcpIntervalMs ?? DEFAULT_RTCP_INTERVAL_MS;
    if (!(this.rtcpIntervalMs > 0)) throw new RangeError(`rtcpIntervalMs must be positive, got ${this.rtcpIntervalMs}`);
    this.wallBaseMs = (options.wallClockMs ?? Date.now)();
    this.clockBaseMs = this.clock.now();
    this.jitter = new JitterBuffer({ frameSamples: RTP_FRAME_SAMPLES, sampleRate: G711_CLOCK_RATE, ...options.jitterBuffer });
    this.dtmfIn = new DtmfReceiver((digit) => this.deliverDigit(digit));
  }

  /** Starts receiving, the 20 ms media tick and RTCP. Idempotent. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.sockets.rtp.on('message', this.onRtpMessage);
    this.sockets.rtcp.on('message', this.onRtcpMessage);
    this.sockets.rtp.on('error', this.onSocketError);
    this.sockets.rtcp.on('error', this.onSocketError);
    this.streamStart = this.clock.now();
    this.scheduleTick();
    // RFC 3550 section 6.2: the first report after half the interval.
    this.scheduleRtcp(this.rtcpIntervalMs / 2);
  }

  /** One 20 ms frame of agent audio (160 samples PCM16 8 kHz), sent at once. */
  sendFrame(samples: Int16Array): void {
    if (samples.length !== RTP_FRAME_SAMPLES) {
      throw new RangeError(`an RTP frame is ${RTP_FRAME_SAMPLES} samples (20 ms at 8 kHz), got ${samples.length}`);
    }
    if (!this.started || this.closed || !this.canSend()) return;
    // A key press owns its slots: the audio meant for them is dropped.
    if (this.sendDtmfPacketIfDue()) return;
    this.sendMedia(encodeG711(this.media.codec, samples), this.needMarker || this.silenceRun > 1, false);
  }

  /** Sends RFC 4733 events for the digits (0-9 * # A-D); resolves when the last one went out. */
  sendDtmf(digits: string): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the RTP session is closed'));
    if (!this.started) return Promise.reject(new Error('the RTP session is not started'));
    if (typeof digits !== 'string' || digits.length === 0) return Promise.reject(new Error('no DTMF digits given'));
    for (const c of digits) {
      if (!isDtmfDigit(c)) return Promise.reject(new Error(`"${c}" is not a DTMF digit (0-9, *, #, A-D)`));
    }
    if (this.media.dtmfPayloadType === null) {
      return Promise.reject(new Error('the peer did not negotiate telephone-event (RFC 4733) DTMF'));
    }
    if (!this.canSend()) return Promise.reject(new Error('cannot send DTMF while our media direction does not send (hold)'));
    return this.dtmfOut.enqueue(digits);
  }

  /** A re-INVITE's outcome: new address, codec or direction; sequence and timestamps go on. */
  update(media: NegotiatedMedia): void {
    checkMedia(media);
    const moved = media.remoteAddress !== this.media.remoteAddress || media.remotePort !== this.media.remotePort;
    this.media = { ...media };
    if (moved) {
      // The peer told us where it is now: whatever we latched onto before no longer holds.
      this.latched = null;
      this.rtcpSource = null;
    }
    if (!this.canSend() || media.dtmfPayloadType === null) {
      this.dtmfOut.abort(new Error('DTMF cancelled: the call was put on hold or DTMF was renegotiated away'));
    }
    this.log?.debug({ media: this.media }, 'rtp media updated');
  }

  stats(): RtpStats {
    const lost = this.lostBeforeSourceChange + (this.reception?.cumulativeLost ?? 0);
    return {
      packetsSent: this.packetsSent,
      packetsReceived: this.packetsReceived,
      packetsLost: Math.max(0, lost),
      packetsDiscarded: this.packetsDiscarded,
      jitterMs: this.reception?.jitterMs ?? 0,
      bufferDepthMs: this.jitter.depthFrames * RTP_FRAME_MS,
      concealedFrames: this.jitter.stats.concealedFrames,
      lastRemote: this.lastRemote ? { ...this.lastRemote } : null,
      rttMs: this.rttMs,
      maxSendLagMs: this.maxSendLagMs,
    };
  }

  /**
   * Stops everything and sends RTCP BYE. The sockets stay with their owner, who releases them
   * (RtpSockets.release waits a turn, so the BYE still leaves). Idempotent.
   */
  close(): void {
    if (this.closed) return;
    const wasStarted = this.started;
    if (wasStarted) this.sendReport(true);
    this.closed = true;
    this.tickTimer?.cancel();
    this.rtcpTimer?.cancel();
    this.tickTimer = null;
    this.rtcpTimer = null;
    this.dtmfOut.abort(new Error('DTMF cancelled: the RTP session closed'));
    if (wasStarted) {
      this.sockets.rtp.off('message', this.onRtpMessage);
      this.sockets.rtcp.off('message', this.onRtcpMessage);
      this.sockets.rtp.off('error', this.onSocketError);
      this.sockets.rtcp.off('error', this.onSocketError);
    }
  }

  // ---- the tick ----

  private scheduleTick(): void {
    const elapsed = this.clock.now() - this.streamStart;
    const due = this.streamStart + (Math.floor((elapsed + EPSILON_MS) / RTP_FRAME_MS) + 1) * RTP_FRAME_MS;
    this.tickTimer = this.clock.setTimeout(() => this.tick(due), due - this.clock.now());
  }

  private tick(due: number): void {
    if (this.closed) return;
    const now = this.clock.now();
    this.maxSendLagMs = Math.max(this.maxSendLagMs, now - due);
    const wallSlot = Math.floor((now - this.streamStart + EPSILON_MS) / RTP_FRAME_MS);

    // In: one frame per elapsed 20 ms; after a stall, a few to catch up and the rest skipped.
    const popsDue = wallSlot - this.popsDone;
    for (let i = 0; i < Math.min(popsDue, MAX_CATCH_UP_POPS); i++) {
      const frame = this.jitter.pop(now);
      try {
        this.options.onAudio(frame.samples);
      } catch (err) {
        this.log?.error({ err }, 'rtp onAudio handler failed');
      }
    }
    this.popsDone = Math.max(this.popsDone, wallSlot);
    this.dtmfIn.tick(now);

    // Out: fill the slots nobody filled.
    if (this.canSend()) {
      if (wallSlot - this.nextSlot > MAX_CATCH_UP_SLOTS) {
        this.nextSlot = wallSlot - 1;
        this.needMarker = true;
      }
      while (this.nextSlot < wallSlot) {
        if (!this.sendDtmfPacketIfDue()) this.sendMedia(this.silenceFor(), this.needMarker, true);
      }
    } else if (this.nextSlot < wallSlot) {
      // On hold: the timeline runs on without packets; the first one after carries the marker.
      this.nextSlot = wallSlot;
      this.needMarker = true;
    }
    if (!this.closed) this.scheduleTick();
  }

  // ---- sending ----

  private canSend(): boolean {
    const d = this.media.direction;
    if (d !== 'sendrecv' && d !== 'sendonly') return false;
    const target = this.rtpTarget();
    return target.port > 0 && target.address !== '0.0.0.0' && target.address !== '::';
  }

  private rtpTarget(): Endpoint {
    return this.latched ?? { address: this.media.remoteAddress, port: this.media.remotePort };
  }

  private rtcpTarget(): Endpoint {
    if (this.rtcpSource) return this.rtcpSource;
    const l = this.latched;
    // Media came from elsewhere than the SDP said (a NAT): its RTCP is most likely next to it.
    if (l && (l.address !== this.media.remoteAddress || l.port !== this.media.remotePort)) {
      return { address: l.address, port: l.port + 1 };
    }
    return { address: this.media.remoteAddress, port: this.media.remoteRtcpPort ?? this.media.remotePort + 1 };
  }

  private sendDtmfPacketIfDue(): boolean {
    if (this.media.dtmfPayloadType === null || this.dtmfOut.idle) return false;
    const packet = this.dtmfOut.next(this.nextSlot, this.clock.now());
    if (packet === null) return false;
    this.sendPacket(this.media.dtmfPayloadType, packet.payload, packet.marker, this.slotTimestamp(packet.startSlot));
    this.silenceRun = 0;
    return true;
  }

  private sendMedia(payload: Uint8Array, marker: boolean, silence: boolean): void {
    this.sendPacket(this.media.payloadType, payload, marker, this.slotTimestamp(this.nextSlot));
    this.silenceRun = silence ? this.silenceRun + 1 : 0;
  }

  /** Sends one packet in the next slot. */
  private sendPacket(payloadType: number, payload: Uint8Array, marker: boolean, timestamp: number): void {
    const packet = writeRtp({ marker, payloadType, sequence: this.sequence, timestamp, ssrc: this.ssrc, payload });
    this.sequence = (this.sequence + 1) & 0xffff;
    this.nextSlot++;
    this.needMarker = false;
    this.packetsSent++;
    this.octetsSent += payload.length;
    const target = this.rtpTarget();
    this.send(this.sockets.rtp, packet, target);
  }

  private slotTimestamp(slot: number): number {
    return (this.timestampBase + slot * RTP_FRAME_SAMPLES) % 2 ** 32;
  }

  private silenceFor(): Uint8Array {
    let s = this.silence.get(this.media.codec);
    if (!s) {
      s = encodeG711(this.media.codec, new Int16Array(RTP_FRAME_SAMPLES));
      this.silence.set(this.media.codec, s);
    }
    return s;
  }

  private send(socket: RtpSockets['rtp'], data: Buffer, to: Endpoint): void {
    try {
      socket.send(data, to.port, to.address, (err) => {
        if (err) this.log?.debug({ err, to }, 'rtp send failed');
      });
    } catch (err) {
      // The socket was closed under us (released before close()); nothing more can be sent.
      this.log?.debug({ err }, 'rtp socket not usable');
    }
  }

  // ---- receiving ----

  private readonly onRtpMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    if (looksLikeRtcp(msg)) {
      // RFC 5761 multiplexing: a peer sending its RTCP to our RTP port.
      this.onRtcpMessage(msg, rinfo);
      return;
    }
    const parsed = parseRtp(msg);
    if (!parsed.ok) {
      this.discard('malformed RTP', parsed.reason, rinfo);
      return;
    }
    const p = parsed.packet;
    const now = this.clock.now();
    const isAudio = p.payloadType === this.media.payloadType;
    const isEvent = this.media.dtmfPayloadType !== null && p.payloadType === this.media.dtmfPayloadType;
    if (!isAudio && !isEvent) {
      this.discard('unexpected payload type', String(p.payloadType), rinfo);
      return;
    }
    if (p.payload.length === 0) {
      this.discard('empty payload', '', rinfo);
      return;
    }
    if (!this.acceptSource(rinfo, now)) {
      this.discard('packet from a source other than the latched one', '', rinfo);
      return;
    }
    if (p.ssrc !== this.remoteSsrc) this.newSource(p.ssrc);
    this.packetsReceived++;
    this.lastRemote = { address: rinfo.address, port: rinfo.port };
    this.reception!.update(p.sequence, p.timestamp, now, isAudio);

    if (isEvent) {
      if (!this.dtmfIn.packet(p.timestamp, p.payload, now)) this.discard('bad telephone-event payload', '', rinfo);
      return;
    }
    const result = this.jitter.push(p.sequence, p.timestamp, decodeG711(this.media.codec, p.payload), now, p.marker);
    if (result === 'duplicate' || result === 'late') this.packetsDiscarded++;
  };

  /** Symmetric RTP: we answer to where the peer's packets come from, whatever its SDP said. */
  private acceptSource(rinfo: RemoteInfo, now: number): boolean {
    const l = this.latched;
    if (l && l.address === rinfo.address && l.port === rinfo.port) {
      this.latchedSeenMs = now;
      return true;
    }
    if (l && now - this.latchedSeenMs < LATCH_IDLE_MS) return false;
    const sdp = { address: this.media.remoteAddress, port: this.media.remotePort };
    if (rinfo.address !== sdp.address || rinfo.port !== sdp.port) {
      this.log?.info({ from: { address: rinfo.address, port: rinfo.port }, sdp }, 'rtp latched onto the source of the packets');
    }
    this.latched = { address: rinfo.address, port: rinfo.port };
    this.latchedSeenMs = now;
    return true;
  }

  private newSource(ssrc: number): void {
    if (this.remoteSsrc !== null) {
      this.log?.debug({ from: this.remoteSsrc, to: ssrc }, 'rtp source changed (new SSRC)');
      this.lostBeforeSourceChange += this.reception?.cumulativeLost ?? 0;
      this.jitter.reset();
      this.dtmfIn.reset();
      this.lastSrFromPeer = null;
    }
    this.remoteSsrc = ssrc;
    this.reception = new ReceptionStats(G711_CLOCK_RATE);
  }

  private discard(what: string, detail: string, rinfo: RemoteInfo): void {
    this.packetsDiscarded++;
    this.log?.debug({ from: { address: rinfo.address, port: rinfo.port }, detail }, `rtp discarded: ${what}`);
  }

  private deliverDigit(digit: string): void {
    try {
      this.options.onDtmf(digit);
    } catch (err) {
      this.log?.error({ err }, 'rtp onDtmf handler failed');
    }
  }

  private readonly onSocketError = (err: Error): void => {
    this.log?.warn({ err }, 'rtp socket error');
  };

  // ---- RTCP ----

  private readonly onRtcpMessage = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.closed) return;
    const parsed = parseRtcp(msg);
    if (!parsed.ok) {
      this.discard('malformed RTCP', parsed.reason, rinfo);
      return;
    }
    const now = this.clock.now();
    // Symmetric RTCP too: reports go back to where the peer's come from.
    this.rtcpSource = { address: rinfo.address, port: rinfo.port };
    for (const item of parsed.items) {
      if (item.type === 'sr') {
        if (this.remoteSsrc === null || item.ssrc === this.remoteSsrc) {
          this.lastSrFromPeer = {
            middle32: ntpMiddle32({ seconds: item.sender.ntpSeconds, fraction: item.sender.ntpFraction }),
            atMs: now,
          };
        }
        this.readReports(item.reports);
      } else if (item.type === 'rr') {
        this.readReports(item.reports);
      } else if (item.type === 'bye' && this.remoteSsrc !== null && item.ssrcs.includes(this.remoteSsrc)) {
        this.log?.debug({ ssrc: this.remoteSsrc }, 'rtcp BYE from the peer');
      }
    }
  };

  /** RFC 3550 section 6.4.1: round trip = now - LSR - DLSR, all in 1/65536 s. */
  private readReports(reports: ReportBlock[]): void {
    for (const r of reports) {
      if (r.ssrc !== this.ssrc || r.lastSr === 0) continue;
      const now = ntpMiddle32(this.ntpNow());
      let units = (now - r.lastSr - r.delaySinceLastSr) % 2 ** 32;
      if (units < 0) units += 2 ** 32;
      if (units >= 2 ** 31) units -= 2 ** 32;
      const ms = (units / 65536) * 1000;
      if (ms < -RTT_TOLERANCE_MS) continue;
      this.rttMs = Math.max(0, ms);
    }
  }

  private scheduleRtcp(meanMs: number): void {
    const delay = meanMs * (0.5 + Math.random());
    this.rtcpTimer = this.clock.setTimeout(() => {
      if (this.closed) return;
      this.sendReport(false);
      this.scheduleRtcp(this.rtcpIntervalMs);
    }, delay);
  }

  private ntpNow() {
    return ntpFromUnixMs(this.wallBaseMs + (this.clock.now() - this.clockBaseMs));
  }

  /** SR when we sent since the last report, RR otherwise; then SDES CNAME; then BYE when leaving. */
  private sendReport(bye: boolean): void {
    const now = this.clock.now();
    const blocks: ReportBlock[] = [];
    if (this.reception && this.remoteSsrc !== null && this.reception.packetsReceived > 0) {
      const lsr = this.lastSrFromPeer?.middle32 ?? 0;
      const dlsr = this.lastSrFromPeer ? ((now - this.lastSrFromPeer.atMs) / 1000) * 65536 : 0;
      blocks.push(this.reception.reportBlock(this.remoteSsrc, lsr, dlsr));
    }
    const parts: Buffer[] = [];
    if (this.packetsSent > this.packetsSentAtReport) {
      const ntp = this.ntpNow();
      const rtpTimestamp = (this.timestampBase + Math.round(((now - this.streamStart) * G711_CLOCK_RATE) / 1000)) % 2 ** 32;
      parts.push(
        writeSenderReport(
          this.ssrc,
          { ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp, packetCount: this.packetsSent, octetCount: this.octetsSent },
          blocks,
        ),
      );
    } else {
      parts.push(writeReceiverReport(this.ssrc, blocks));
    }
    this.packetsSentAtReport = this.packetsSent;
    parts.push(writeSdesCname(this.ssrc, this.cname));
    if (bye) parts.push(writeBye(this.ssrc));
    const target = this.rtcpTarget();
    if (target.port > 0 && target.address !== '0.0.0.0' && target.address !== '::') {
      this.send(this.sockets.rtcp, Buffer.concat(parts), target);
    }
  }
}

function checkMedia(media: NegotiatedMedia): void {
  if (media.codec !== 'PCMU' && media.codec !== 'PCMA') throw new RangeError(`unsupported codec "${String(media.codec)}"`);
  if (!Number.isInteger(media.remotePort) || media.remotePort < 0 || media.remotePort > 65535) {
    throw new RangeError(`remote RTP port must be 0-65535, got ${media.remotePort}`);
  }
  if (!Number.isInteger(media.payloadType) || media.payloadType < 0 || media.payloadType > 127) {
    throw new RangeError(`payload type must be 0-127, got ${media.payloadType}`);
  }
  if (media.dtmfPayloadType !== null && (!Number.isInteger(media.dtmfPayloadType) || media.dtmfPayloadType < 0 || media.dtmfPayloadType > 127)) {
    throw new RangeError(`telephone-event payload type must be 0-127, got ${media.dtmfPayloadType}`);
  }
}
