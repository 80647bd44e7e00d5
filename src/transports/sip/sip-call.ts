// One SIP call as a PhoneLeg: the dialog, its RTP ports and session, and the agent's events.
// Inbound, it answers the INVITE (180, then 200 with the SDP answer once the agent accepted) and
// starts media on the ACK. Outbound, it sends the INVITE with an SDP offer, and once answered starts
// media and hands the leg to the agent. In the dialog it takes BYE, INFO (DTMF), NOTIFY (transfer
// progress) and re-INVITEs (hold, resume, media changes). Transfers: blind is a REFER whose NOTIFYs
// tell when to leave; warm dials the target and bridges the two calls' audio and keys. However a
// call ends, its ports are released and its dialog removed.
import type { Logger } from 'pino';
import { FrameAssembler } from '../../audio/frame-assembler.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { PhoneCallRefusedError, type PhoneCallAcceptor, type PhoneCallInfo, type PhoneLeg, type PhoneLegEvents } from '../phone/phone-leg.js';
import { RTP_FRAME_SAMPLES, RtpSession } from './media/rtp-session.js';
import { RtpPortsExhaustedError, type RtpPortPool, type RtpSockets } from './media/rtp-port-pool.js';
import { answerOffer, createOffer, readAnswer, SdpNegotiationError, type G711Codec, type LocalMedia, type NegotiatedMedia } from './media/sdp-negotiation.js';
import { SipCallBridge } from './sip-call-bridge.js';
import type { DialTarget } from './sip-dial-target.js';
import type { DigestCredentials } from './sip-digest.js';
import { contactUri, type DialogHandler, type SipDialog } from './sip-dialog.js';
import { DTMF_INFO_TYPES, dtmfFromInfo, dtmfRelayBody } from './sip-dtmf-info.js';
import { initialCSeq } from './sip-ids.js';
import type { IncomingInvite } from './sip-invite-uas.js';
import type { OutgoingInvite } from './sip-invite-uac.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { createResponse } from './sip-response.js';
import { sipfragStatus, subscriptionTerminated } from './sip-sipfrag.js';
import { statusText } from './sip-status.js';
import type { SipUserAgent } from './sip-user-agent.js';

/** What a call needs from its endpoint. */
export interface SipCallContext {
  ua: SipUserAgent;
  /** The RTP ports (throws when the endpoint is not started). */
  pool(): RtpPortPool;
  clock: Clock;
  log: Logger;
  acceptor: PhoneCallAcceptor;
  codecs: G711Codec[];
  ringTimeoutMs: number;
  transferTimeoutMs: number;
  retryAfterS: number;
  /** A transfer target (number via the trunk, or a SIP URI). Throws DialTargetError. */
  target(to: string): DialTarget;
  /** From for a request to `target` (the trunk account at the trunk for numbers). */
  fromFor(target: DialTarget, callerId?: string): string;
  /** Places a call with no agent (the far side of a warm transfer); resolves once it is answered. */
  dialBridge(to: string): Promise<SipCall>;
  /** The call is over: its ports are released (its dialog may still be closing). */
  ended(call: SipCall): void;
}

/** An outbound call that did not connect, with the SIP status that ended it. */
export class SipCallFailedError extends Error {
  override readonly name = 'SipCallFailedError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Agent-bound audio kept while an answered outbound call waits for the agent (2 s). */
const MAX_EARLY_FRAMES = 100;

type ReferWaiter = { settle(result: { status: number; reason: string } | Error): void };

export class SipCall implements PhoneLeg, DialogHandler {
  readonly transport = 'sip' as const;
  /** Parley's id for the call once the agent has it. */
  parleyCallId: string | null = null;
  private readonly log: Logger;
  private dialog: SipDialog | null = null;
  private sockets: RtpSockets | null = null;
  private rtp: RtpSession | null = null;
  private media: NegotiatedMedia | null = null;
  private local: LocalMedia | null = null;
  private lastLocalSdp = '';
  private events: PhoneLegEvents | null = null;
  private early: { audio: Int16Array[]; dtmf: string[] } | null = { audio: [], dtmf: [] };
  private bridge: SipCallBridge | null = null;
  private readonly agentFrames = new FrameAssembler(RTP_FRAME_SAMPLES);
  private readonly bridgeFrames = new FrameAssembler(RTP_FRAME_SAMPLES);
  private initialInvite: IncomingInvite | null = null;
  private outgoing: OutgoingInvite | null = null;
  private ackWait: Promise<void> | null = null;
  private ackDone: (() => void) | null = null;
  private refer: ReferWaiter | null = null;
  private credentials: DigestCredentials | null = null;
  private closing: Promise<void> | null = null;
  private endReason: string | null = null;
  /** Whether the end was to be reported to the agent (it may only get its events after the end). */
  private endTellsAgent = false;
  private endedRemotely = false;
  private noAnswer = false;

  constructor(
    private readonly ctx: SipCallContext,
    readonly direction: 'inbound' | 'outbound',
    /** The SIP Call-ID. */
    readonly externalId: string,
    /** A far side of a warm transfer: no agent, audio only relayed. */
    readonly bridgeOnly = false,
  ) {
    this.log = ctx.log.child({ sip_call_id: externalId });
    if (bridgeOnly) this.early = null;
  }

  get ended(): boolean {
    return this.closing !== null;
  }

  /** Why the call ended (null while it runs). */
  get reason(): string | null {
    return this.endReason;
  }

  /** Media running (ACK received or sent). */
  get connected(): boolean {
    return this.rtp !== null && !this.ended;
  }

  get negotiated(): Readonly<NegotiatedMedia> | null {
    return this.media;
  }

  get rtpPort(): number | null {
    return this.sockets?.port ?? null;
  }

  /** RTP counters (null before media started). */
  rtpStats(): ReturnType<RtpSession['stats']> | null {
    return this.rtp?.stats() ?? null;
  }

  // ---- inbound -------------------------------------------------------------------------------

  /** Answers an INVITE for an agent: ports, SDP answer, 180, the agent, 200; media starts on the ACK. */
  async answer(invite: IncomingInvite, info: PhoneCallInfo): Promise<void> {
    this.initialInvite = invite;
    invite.onCancel = () => {
      this.endedRemotely = true;
      void this.end('caller hung up', { signal: false, tellAgent: true });
    };
    try {
      this.sockets = await this.ctx.pool().allocate();
    } catch (err) {
      const exhausted = err instanceof RtpPortsExhaustedError;
      this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'no RTP port for an inbound call');
      invite.reject(503, { reason: exhausted ? 'Service Unavailable (no free RTP port)' : undefined, headers: [['Retry-After', String(this.ctx.retryAfterS)]] });
      await this.end('no RTP port', { signal: false, tellAgent: false });
      return;
    }
    if (this.ended) {
      this.releaseMedia();
      return;
    }
    this.local = this.localMedia(this.sockets.port, 1);
    const offer = invite.request.body.length > 0 ? invite.request.bodyText : null;
    let sdp: string;
    if (offer !== null) {
      try {
        const answered = answerOffer(offer, this.local);
        sdp = answered.sdp;
        this.media = answered.media;
      } catch (err) {
        const status = err instanceof SdpNegotiationError ? err.status : 400;
        const message = err instanceof Error ? err.message : String(err);
        this.log.info({ status, err: message }, 'SDP offer refused');
        invite.reject(status, { headers: [['Warning', `304 parley "${message.replace(/["\\\r\n]/g, ' ').slice(0, 200)}"`]] });
        await this.end(`SDP refused: ${message}`, { signal: false, tellAgent: false });
        return;
      }
    } else {
      // No offer in the INVITE: ours goes in the 200 and the answer comes in the ACK (13.2.1).
      sdp = createOffer(this.local);
    }
    this.lastLocalSdp = sdp;
    invite.provisional(180);

    let accepted: { callId: string; events: PhoneLegEvents };
    try {
      accepted = await this.ctx.acceptor.accept(info, this);
    } catch (err) {
      if (this.ended) return;
      const status = refusalStatus(err);
      this.log.info({ status, err: err instanceof Error ? err.message : String(err) }, 'inbound call refused');
      invite.reject(status, status === 503 ? { headers: [['Retry-After', String(this.ctx.retryAfterS)]] } : {});
      await this.end('refused', { signal: false, tellAgent: false });
      return;
    }
    this.parleyCallId = accepted.callId;
    if (this.ended) {
      // Cancelled (or shut down) while the agent was being set up: it leaves at once.
      if (this.endTellsAgent) accepted.events.ended(this.endReason ?? 'caller hung up');
      return;
    }
    this.setEvents(accepted.events);
    this.ackWait = new Promise((resolve) => {
      this.ackDone = resolve;
    });
    const dialog = invite.accept({ body: sdp });
    this.dialog = dialog;
    dialog.handler = this;
    invite.onAck = (ack) => this.onInitialAck(ack, offer === null);
    invite.onAckTimeout = () => {
      this.ackDone?.();
      void this.end('SIP ACK timed out', { signal: true, tellAgent: true });
    };
  }

  private onInitialAck(ack: SipRequest, answerInAck: boolean): void {
    this.ackDone?.();
    if (this.ended) return;
    if (answerInAck) {
      try {
        if (ack.body.length === 0) throw new SdpNegotiationError(488, 'the ACK carries no SDP answer');
        this.media = readAnswer(ack.bodyText, this.ctx.codecs);
      } catch (err) {
        this.log.info({ err: err instanceof Error ? err.message : String(err) }, 'no usable SDP answer in the ACK');
        void this.end('SDP answer failed', { signal: true, tellAgent: true });
        return;
      }
    }
    this.startMedia();
  }

  // ---- outbound ------------------------------------------------------------------------------

  /**
   * Calls `target`. Once answered, media starts and (unless this is a bridge leg) the agent gets
   * the leg: resolves with Parley's call id (null for a bridge leg). Rejects with SipCallFailedError.
   */
  async dial(target: DialTarget, from: string, info: Omit<PhoneCallInfo, 'externalId'> | null): Promise<string | null> {
    this.credentials = target.credentials;
    try {
      this.sockets = await this.ctx.pool().allocate();
    } catch (err) {
      await this.end('no RTP port', { signal: false, tellAgent: false });
      throw new SipCallFailedError(503, `no RTP port for the call: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.local = this.localMedia(this.sockets.port, 1);
    const offer = createOffer(this.local);
    this.lastLocalSdp = offer;
    let invite: OutgoingInvite;
    try {
      invite = this.ctx.ua.invite(
        { uri: target.uri, from, to: `<${target.uri}>`, callId: this.externalId, cseq: initialCSeq(), transport: target.transport, body: offer },
        target.credentials,
      );
    } catch (err) {
      // The target names a transport that is not enabled, or cannot be read as a SIP URI.
      const message = err instanceof Error ? err.message : String(err);
      await this.end('call not sent', { signal: false, tellAgent: false });
      throw new SipCallFailedError(503, `SIP call to ${target.uri} not sent: ${message}`);
    }
    this.outgoing = invite;
    let earlyAnswer: string | null = null;
    invite.onProvisional = (r) => {
      if (r.body.length > 0 && r.contentType === 'application/sdp') earlyAnswer = r.bodyText;
    };
    const ring: TimerHandle = this.ctx.clock.setTimeout(() => {
      this.noAnswer = true;
      invite.cancel();
    }, this.ctx.ringTimeoutMs);
    const outcome = await invite.outcome;
    ring.cancel();
    this.outgoing = null;
    if (outcome.kind === 'failed') {
      const why = this.noAnswer ? `no answer within ${Math.round(this.ctx.ringTimeoutMs / 1000)} s` : this.ended ? (this.endReason ?? 'cancelled') : 'call failed';
      await this.end(`call failed: ${outcome.status}`, { signal: false, tellAgent: false });
      throw new SipCallFailedError(outcome.status, `SIP call to ${target.uri} failed: ${statusText(outcome.status, outcome.reason)} (${why})`);
    }
    this.dialog = outcome.dialog;
    outcome.dialog.handler = this;
    const answerSdp = outcome.response.body.length > 0 ? outcome.response.bodyText : earlyAnswer;
    try {
      if (answerSdp === null) throw new SdpNegotiationError(488, 'the 200 OK carries no SDP answer');
      this.media = readAnswer(answerSdp, this.ctx.codecs);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await this.end('SDP answer failed', { signal: true, tellAgent: false });
      throw new SipCallFailedError(488, `SIP call to ${target.uri} answered with unusable SDP: ${message}`);
    }
    this.startMedia();
    if (info === null) return null;
    let accepted: { callId: string; events: PhoneLegEvents };
    try {
      accepted = await this.ctx.acceptor.accept({ ...info, externalId: this.externalId }, this);
    } catch (err) {
      await this.end('refused', { signal: true, tellAgent: false });
      throw err;
    }
    this.parleyCallId = accepted.callId;
    if (this.ended) {
      if (this.endTellsAgent) accepted.events.ended(this.endReason ?? 'callee hung up');
      return accepted.callId;
    }
    this.setEvents(accepted.events);
    return accepted.callId;
  }

  // ---- in the dialog -------------------------------------------------------------------------

  request(request: SipRequest, respond: (response: SipResponse) => void): void {
    switch (request.method) {
      case 'BYE':
        respond(createResponse(request, 200));
        this.endedRemotely = true;
        void this.end(this.direction === 'inbound' ? 'caller hung up' : 'callee hung up', { signal: false, tellAgent: true });
        return;
      case 'INFO':
        this.onInfo(request, respond);
        return;
      case 'NOTIFY':
        this.onNotify(request, respond);
        return;
      default:
        respond(this.ctx.ua.notHandled(request));
    }
  }

  reinvite(invite: IncomingInvite): void {
    if (this.ended || !this.local || !this.dialog) {
      invite.reject(481);
      return;
    }
    const target = contactUri(invite.request);
    if (target) this.dialog.remoteTarget = target;
    const offer = invite.request.body.length > 0 ? invite.request.bodyText : null;
    if (offer === null) {
      const sdp = this.nextLocalSdp((local) => createOffer(local));
      invite.accept({ body: sdp });
      invite.onAck = (ack) => {
        try {
          this.applyMedia(readAnswer(ack.bodyText, this.ctx.codecs));
        } catch (err) {
          this.log.info({ err: err instanceof Error ? err.message : String(err) }, 'no usable SDP answer in the re-INVITE ACK; media unchanged');
        }
      };
      return;
    }
    let media: NegotiatedMedia | null = null;
    let sdp: string;
    try {
      sdp = this.nextLocalSdp((local) => {
        const answered = answerOffer(offer, local);
        media = answered.media;
        return answered.sdp;
      });
    } catch (err) {
      // A refused re-INVITE leaves the session as it was (RFC 3261 14.2).
      invite.reject(err instanceof SdpNegotiationError ? err.status : 400);
      return;
    }
    invite.accept({ body: sdp });
    if (media) this.applyMedia(media);
  }

  private onInfo(request: SipRequest, respond: (response: SipResponse) => void): void {
    if (request.body.length === 0) {
      respond(createResponse(request, 200));
      return;
    }
    const type = request.contentType;
    if (!(DTMF_INFO_TYPES as readonly string[]).includes(type)) {
      respond(createResponse(request, 415, { headers: [['Accept', DTMF_INFO_TYPES.join(', ')]] }));
      return;
    }
    const digit = dtmfFromInfo(type, request.bodyText);
    if (digit === null) {
      respond(createResponse(request, 400, { reason: 'Bad Request (no DTMF key in the INFO body)' }));
      return;
    }
    respond(createResponse(request, 200));
    this.onKey(digit);
  }

  private onNotify(request: SipRequest, respond: (response: SipResponse) => void): void {
    const event = (request.headers.get('Event') ?? '').split(';')[0].trim().toLowerCase();
    const waiter = this.refer;
    if (event !== 'refer' || !waiter) {
      respond(createResponse(request, 481, { reason: 'Subscription Does Not Exist' }));
      return;
    }
    respond(createResponse(request, 200));
    const frag = sipfragStatus(request.bodyText);
    if (frag && frag.status >= 200) waiter.settle(frag);
    else if (subscriptionTerminated(request.headers.get('Subscription-State'))) waiter.settle(new Error('the transfer subscription ended without a final status'));
  }

  // ---- PhoneLeg ------------------------------------------------------------------------------

  sendAudio(frame: Int16Array): void {
    const rtp = this.rtp;
    if (!rtp || this.ended || this.bridge) return;
    this.agentFrames.push(frame, (f) => rtp.sendFrame(f));
  }

  clearAudio(): void {
    // RTP leaves at once; nothing waits at the far end that we could take back.
  }

  unplayedMs(): number {
    return 0;
  }

  async sendDtmf(digits: string): Promise<void> {
    if (!/^[0-9*#A-Da-d]+$/.test(digits)) throw new Error(`"${digits.slice(0, 20)}" is not a DTMF digit string (0-9, *, #, A-D)`);
    const rtp = this.rtp;
    const dialog = this.dialog;
    if (this.ended) throw new Error('the call has ended');
    if (!rtp || !dialog || !this.media) throw new Error('the call is not connected yet');
    if (this.media.dtmfPayloadType !== null) return rtp.sendDtmf(digits.toUpperCase());
    // The peer did not take RFC 4733 events: one SIP INFO per key instead.
    for (const d of digits.toUpperCase()) {
      const res = await this.ctx.ua.dialogRequest(dialog, 'INFO', { body: dtmfRelayBody(d), contentType: 'application/dtmf-relay', credentials: this.credentials });
      if (res.status >= 300) throw new Error(`DTMF ${d} by SIP INFO refused: ${statusText(res.status, res.reason)}`);
    }
  }

  hangup(reason: string): Promise<void> {
    return this.end(reason, { signal: true, tellAgent: false });
  }

  async transfer(target: string, mode: 'blind' | 'warm'): Promise<void> {
    if (this.ended) throw new Error('the call has ended');
    if (!this.dialog || !this.rtp) throw new Error('the call is not connected yet');
    if (this.refer || this.bridge) throw new Error('a transfer is already under way');
    if (mode === 'blind') await this.transferBlind(target);
    else await this.transferWarm(target);
  }

  private async transferBlind(to: string): Promise<void> {
    const target = this.ctx.target(to);
    const dialog = this.dialog as SipDialog;
    let timer: TimerHandle | null = null;
    const outcome = new Promise<{ status: number; reason: string }>((resolve, reject) => {
      this.refer = {
        settle: (result) => {
          timer?.cancel();
          this.refer = null;
          if (result instanceof Error) reject(result);
          else resolve(result);
        },
      };
    });
    // NOTIFYs may overtake the 202; the waiter is in place before the REFER leaves.
    const waiter = this.refer as ReferWaiter | null;
    const referredBy = dialog.localAddress.replace(/;tag=[^;>]*/i, '');
    const res = await this.ctx.ua.dialogRequest(dialog, 'REFER', {
      headers: [
        ['Refer-To', `<${target.uri}>`],
        ['Referred-By', referredBy],
      ],
      credentials: this.credentials,
    });
    if (res.status >= 300) {
      waiter?.settle(new Error('refused'));
      outcome.catch(() => undefined);
      throw new Error(`transfer to ${to} refused: ${statusText(res.status, res.reason)}`);
    }
    if (this.refer) {
      timer = this.ctx.clock.setTimeout(() => this.refer?.settle(new Error(`no transfer outcome within ${Math.round(this.ctx.transferTimeoutMs / 1000)} s`)), this.ctx.transferTimeoutMs);
    }
    let result: { status: number; reason: string };
    try {
      result = await outcome;
    } catch (err) {
      throw new Error(`transfer to ${to} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (result.status >= 300) throw new Error(`transfer to ${to} failed: ${statusText(result.status, result.reason)}`);
    await this.end('transferred', { signal: true, tellAgent: true });
  }

  private async transferWarm(to: string): Promise<void> {
    this.ctx.target(to); // a bad target fails before anything is dialled
    const other = await this.ctx.dialBridge(to);
    if (this.ended) {
      await other.hangup('the caller left before the transfer target answered');
      throw new Error('the caller hung up before the transfer target answered');
    }
    SipCallBridge.join(this, other);
    const events = this.events;
    this.events = null;
    this.early = null;
    events?.ended('transferred');
  }

  // ---- bridging (warm transfer) --------------------------------------------------------------

  /** Joins this call to a bridge: its audio and keys go there instead of to the agent. */
  joinBridge(bridge: SipCallBridge): void {
    this.bridge = bridge;
  }

  /** Audio from the other side of the bridge, sent on this call's RTP. */
  sendBridged(samples: Int16Array): void {
    const rtp = this.rtp;
    if (!rtp || this.ended) return;
    this.bridgeFrames.push(samples, (f) => rtp.sendFrame(f));
  }

  /** A key pressed on the other side of the bridge. */
  sendBridgedDtmf(digit: string): void {
    if (this.ended) return;
    this.sendDtmf(digit).catch((err: unknown) => this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'relayed DTMF not sent'));
  }

  // ---- media ---------------------------------------------------------------------------------

  private localMedia(port: number, version: number): LocalMedia {
    return {
      address: this.ctx.ua.advertisedHost,
      port,
      sessionId: String(Math.floor(Math.random() * 1e12)),
      sessionVersion: version,
      codecs: [...this.ctx.codecs],
    };
  }

  /**
   * Our SDP for a re-INVITE answer or offer: the o= version goes up only when the description
   * changed (RFC 3264 8).
   */
  private nextLocalSdp(make: (local: LocalMedia) => string): string {
    const local = this.local as LocalMedia;
    const same = make(local);
    if (same === this.lastLocalSdp) return same;
    const next = { ...local, sessionVersion: local.sessionVersion + 1 };
    const sdp = make(next);
    this.local = next;
    this.lastLocalSdp = sdp;
    return sdp;
  }

  private startMedia(): void {
    if (!this.sockets || !this.media || this.rtp || this.ended) return;
    this.rtp = new RtpSession({
      sockets: this.sockets,
      media: this.media,
      clock: this.ctx.clock,
      log: this.log,
      onAudio: (samples) => this.onAudio(samples),
      onDtmf: (digit) => this.onKey(digit),
    });
    this.rtp.start();
  }

  private applyMedia(media: NegotiatedMedia): void {
    this.media = media;
    this.rtp?.update(media);
  }

  private onAudio(samples: Int16Array): void {
    if (this.bridge) {
      this.bridge.audio(this, samples);
      return;
    }
    if (this.events) {
      this.events.audio(samples);
      return;
    }
    if (this.early) {
      this.early.audio.push(samples);
      if (this.early.audio.length > MAX_EARLY_FRAMES) this.early.audio.shift();
    }
  }

  private onKey(digit: string): void {
    if (this.bridge) this.bridge.dtmf(this, digit);
    else if (this.events) this.events.dtmf(digit);
    else this.early?.dtmf.push(digit);
  }

  private setEvents(events: PhoneLegEvents): void {
    this.events = events;
    const early = this.early;
    this.early = null;
    for (const samples of early?.audio ?? []) events.audio(samples);
    for (const digit of early?.dtmf ?? []) events.dtmf(digit);
  }

  private releaseMedia(): void {
    this.rtp?.close();
    this.sockets?.release();
  }

  // ---- ending --------------------------------------------------------------------------------

  /**
   * Ends the call once: tells the agent when `tellAgent`, releases the media, and when `signal`
   * tells the peer (CANCEL while ringing out, 480 before our answer, BYE once the dialog is
   * confirmed: after the ACK for our 2xx, as RFC 3261 15 asks).
   */
  end(reason: string, how: { signal: boolean; tellAgent: boolean }): Promise<void> {
    if (this.closing) return this.closing;
    this.endReason = reason;
    this.endTellsAgent = how.tellAgent;
    const events = this.events;
    this.events = null;
    this.early = null;
    this.refer?.settle(new Error('the call ended'));
    this.closing = this.close(how.signal);
    if (how.tellAgent) events?.ended(reason);
    const bridge = this.bridge;
    this.bridge = null;
    bridge?.legEnded(this);
    this.releaseMedia();
    this.ctx.ended(this);
    this.log.debug({ reason, remote: this.endedRemotely }, 'SIP call ended');
    return this.closing;
  }

  private async close(signal: boolean): Promise<void> {
    const ua = this.ctx.ua;
    if (this.outgoing) {
      if (signal) this.outgoing.cancel();
      return;
    }
    const invite = this.initialInvite;
    if (invite && !invite.finalSent) {
      if (signal) invite.reject(480);
      return;
    }
    const dialog = this.dialog;
    if (!dialog) return;
    if (!signal || dialog.state === 'terminated') {
      ua.removeDialog(dialog);
      return;
    }
    if (this.ackWait) await this.ackWait;
    try {
      const res = await ua.dialogRequest(dialog, 'BYE', { credentials: this.credentials });
      if (res.status >= 300) this.log.debug({ status: res.status }, 'BYE answered with an error');
    } finally {
      ua.removeDialog(dialog);
    }
  }
}

/** The line reply to a refused call (PhoneCallRefusedError reasons; anything else is our fault: 500). */
export function refusalStatus(err: unknown): number {
  if (!(err instanceof PhoneCallRefusedError)) return 500;
  switch (err.reason) {
    case 'no_route':
    case 'unknown_agent':
      return 404;
    case 'busy':
      return 486;
    case 'unavailable':
      return 503;
    case 'budget_exceeded':
      return 403;
  }
}
