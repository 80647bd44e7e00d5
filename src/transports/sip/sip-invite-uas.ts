// The UAS side of one INVITE (initial or re-INVITE, RFC 3261 13.3): provisional responses, the
// final answer, and after a 2xx the retransmission of that 2xx (T1 doubling up to T2) until the ACK
// arrives or 64*T1 passes (13.3.1.4). A CANCEL before the final answer turns it into a 487.
import type { Clock, TimerHandle } from '../../clock.js';
import type { SipDialog } from './sip-dialog.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { createResponse, type ResponseOptions } from './sip-response.js';
import type { ServerTransaction } from './sip-server-transaction.js';
import { transactionTimeout, type SipTimerValues } from './sip-timers.js';
import type { SipPeer } from './sip-transport.js';

/** What an IncomingInvite needs from the UA core. */
export interface InviteServerHost {
  readonly clock: Clock;
  readonly timers: SipTimerValues;
  /** Our Contact header value for a dialog on `transport`. */
  contact(transport: SipPeer['transport']): string;
  /** Headers every dialog-creating answer carries (Allow, Supported, Server). */
  capabilityHeaders(): Array<[string, string]>;
  /** Sends a response along the request's Via without a transaction (2xx retransmissions). */
  sendResponse(response: SipResponse, source: SipPeer): void;
  /** Creates and registers the UAS dialog for an accepted initial INVITE. */
  createDialog(invite: IncomingInvite): SipDialog;
  /** Routes the ACK for our 2xx (Call-ID, To tag, CSeq) to `invite`. */
  awaitAck(invite: IncomingInvite): void;
  /** Stops routing ACKs to `invite` and forgets its CANCEL mapping. */
  settled(invite: IncomingInvite): void;
}

export interface AnswerOptions {
  body?: string | Buffer;
  contentType?: string;
  headers?: ReadonlyArray<[string, string]>;
  reason?: string;
}

export class IncomingInvite {
  /** Our tag: new for an initial INVITE, the dialog's for a re-INVITE. */
  readonly localTag: string;
  private ok: SipResponse | null = null;
  private retransmit: TimerHandle | null = null;
  private giveUp: TimerHandle | null = null;
  private finalStatus: number | null = null;
  private wasCancelled = false;
  private wasAcked = false;
  dialog: SipDialog | null;

  /** The caller gave up before our final answer (the 487 is already sent). */
  onCancel: (() => void) | null = null;
  /** The ACK for our 2xx (its body holds the answer when we sent the offer in the 2xx). */
  onAck: ((ack: SipRequest) => void) | null = null;
  /** No ACK came for our 2xx within 64*T1; the dialog should be ended with a BYE. */
  onAckTimeout: (() => void) | null = null;

  constructor(
    private readonly host: InviteServerHost,
    readonly request: SipRequest,
    readonly transaction: ServerTransaction,
    /** The dialog of a re-INVITE; null for an initial INVITE. */
    existing: SipDialog | null,
    localTag: string,
  ) {
    this.dialog = existing;
    this.localTag = existing ? existing.localTag : localTag;
  }

  get source(): SipPeer {
    return this.transaction.source;
  }

  get cancelled(): boolean {
    return this.wasCancelled;
  }

  get finalSent(): boolean {
    return this.finalStatus !== null;
  }

  get acked(): boolean {
    return this.wasAcked;
  }

  /** Awaiting the ACK of our 2xx. */
  get awaitingAck(): boolean {
    return this.ok !== null && !this.wasAcked && this.giveUp !== null;
  }

  /** 180 Ringing (or another 1xx) with our To tag, which sets up an early dialog at the caller. */
  provisional(status = 180, options: AnswerOptions = {}): void {
    if (this.finalSent || status >= 200 || status <= 100) return;
    this.transaction.respond(this.response(status, options, false));
  }

  /** 2xx: creates the dialog (initial INVITE) and retransmits until the ACK. Returns the dialog. */
  accept(options: AnswerOptions = {}): SipDialog {
    if (this.finalSent) throw new Error('INVITE already answered');
    const dialog = this.dialog ?? this.host.createDialog(this);
    this.dialog = dialog;
    const ok = this.response(200, options, true);
    this.ok = ok;
    this.finalStatus = 200;
    this.transaction.respond(ok);
    this.host.awaitAck(this);
    const t = this.host.timers;
    this.scheduleRetransmit(t.t1);
    this.giveUp = this.host.clock.setTimeout(() => {
      this.giveUp = null;
      this.retransmit?.cancel();
      this.retransmit = null;
      this.host.settled(this);
      this.onAckTimeout?.();
    }, transactionTimeout(t));
    return dialog;
  }

  /** A final non-2xx answer (the transaction retransmits it until the ACK). */
  reject(status: number, options: AnswerOptions = {}): void {
    if (this.finalSent || status < 300) return;
    this.finalStatus = status;
    this.transaction.respond(this.response(status, options, false));
    this.host.settled(this);
  }

  /** The CANCEL for this INVITE arrived (its 200 is already sent). */
  cancel(): void {
    if (this.finalSent) return;
    this.wasCancelled = true;
    this.reject(487);
    this.onCancel?.();
  }

  /** The ACK for our 2xx. */
  ack(ack: SipRequest): void {
    if (this.wasAcked) return;
    this.wasAcked = true;
    this.stopRetransmitting();
    this.host.settled(this);
    this.onAck?.(ack);
  }

  /** Stops the 2xx retransmissions (the call is being torn down). */
  stopRetransmitting(): void {
    this.retransmit?.cancel();
    this.retransmit = null;
    this.giveUp?.cancel();
    this.giveUp = null;
  }

  private scheduleRetransmit(interval: number): void {
    this.retransmit = this.host.clock.setTimeout(() => {
      if (!this.ok || this.wasAcked) return;
      this.host.sendResponse(this.ok, this.transaction.source);
      this.scheduleRetransmit(Math.min(2 * interval, this.host.timers.t2));
    }, interval);
  }

  private response(status: number, options: AnswerOptions, withContact: boolean): SipResponse {
    const headers: Array<[string, string]> = [];
    if (withContact || status < 200) {
      // A response that sets up a dialog (early or confirmed) mirrors Record-Route and names our Contact (12.1.1).
      for (const rr of this.request.headers.getAll('Record-Route')) headers.push(['Record-Route', rr]);
      headers.push(['Contact', this.host.contact(this.dialog?.transport ?? this.source.transport)]);
    }
    if (status >= 200) headers.push(...this.host.capabilityHeaders());
    headers.push(...(options.headers ?? []));
    const opts: ResponseOptions = { toTag: this.localTag, headers, reason: options.reason };
    if (options.body !== undefined) {
      opts.body = options.body;
      opts.contentType = options.contentType ?? 'application/sdp';
    }
    return createResponse(this.request, status, opts);
  }
}
