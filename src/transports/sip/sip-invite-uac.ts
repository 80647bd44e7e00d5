// The UAC side of one INVITE (RFC 3261 13.2): sends it, reports provisional responses, answers one
// 401/407 challenge with digest credentials (a new INVITE, CSeq + 1), ACKs every 2xx itself (the
// transaction only ACKs failures) and re-ACKs retransmitted 2xx, ACKs and BYEs extra 2xx from other
// forks, and cancels (9.1): CANCEL only after a provisional response, and if the callee's 487 never
// comes, the INVITE is given up 64*T1 after the CANCEL was answered.
import type { Clock, TimerHandle } from '../../clock.js';
import type { ClientTransaction, ClientTransactionUser } from './sip-client-transaction.js';
import { digestAuthorization, pickChallenge, type DigestCredentials } from './sip-digest.js';
import type { SipDialog } from './sip-dialog.js';
import { SipHeaders } from './sip-headers.js';
import { newBranch } from './sip-ids.js';
import type { SipResponse } from './sip-message.js';
import { SipRequest } from './sip-message.js';
import { transactionTimeout, type SipTimerValues } from './sip-timers.js';
import type { SipPeer } from './sip-transport.js';
import { formatVia, parseVia } from './sip-via.js';

export type InviteOutcome =
  | { kind: 'answered'; response: SipResponse; dialog: SipDialog }
  | { kind: 'failed'; status: number; reason: string; response: SipResponse | null };

/** What an OutgoingInvite needs from the UA core. */
export interface InviteClientHost {
  readonly clock: Clock;
  readonly timers: SipTimerValues;
  startTransaction(request: SipRequest, destination: SipPeer, user: ClientTransactionUser): ClientTransaction;
  /** The UAC dialog a 2xx creates (registered with the core). */
  createUacDialog(invite: SipRequest, response: SipResponse, destination: SipPeer): SipDialog;
  /** Builds and sends the ACK for a 2xx; returns a function that sends the same ACK again. */
  sendAck(dialog: SipDialog, invite: SipRequest): () => void;
  /** Ends a dialog nobody wants (a 2xx that raced our CANCEL, or an extra fork). */
  byeUnwanted(dialog: SipDialog): void;
}

export class OutgoingInvite {
  private tx: ClientTransaction | null = null;
  private authTried = false;
  private provisionalSeen = false;
  private cancelWanted = false;
  private cancelSent = false;
  private cancelGiveUp: TimerHandle | null = null;
  private done = false;
  private dialog: SipDialog | null;
  private resendAck: (() => void) | null = null;
  private settle!: (outcome: InviteOutcome) => void;
  readonly outcome: Promise<InviteOutcome>;
  /** Every provisional response (180, 183, ...) except 100. */
  onProvisional: ((response: SipResponse) => void) | null = null;

  constructor(
    private readonly host: InviteClientHost,
    private request: SipRequest,
    private readonly destination: SipPeer,
    private readonly credentials: DigestCredentials | null,
    /** The dialog of a re-INVITE; null for an initial INVITE. */
    existing: SipDialog | null = null,
  ) {
    this.dialog = existing;
    this.outcome = new Promise((resolve) => {
      this.settle = resolve;
    });
  }

  get callId(): string {
    return this.request.callId;
  }

  /** The INVITE as last sent (after an authentication retry, the second one). */
  get sentRequest(): SipRequest {
    return this.request;
  }

  get settled(): boolean {
    return this.done;
  }

  start(): this {
    this.send();
    return this;
  }

  /** Gives the call up: CANCEL once the callee has answered provisionally (at once if it has). */
  cancel(): void {
    if (this.done || this.cancelWanted) return;
    this.cancelWanted = true;
    if (this.provisionalSeen) this.sendCancel();
  }

  private send(): void {
    const user: ClientTransactionUser = {
      response: (r) => this.onResponse(r),
      timeout: () => this.finish({ kind: 'failed', status: 408, reason: 'Request Timeout', response: null }),
      transportError: (err) => this.finish({ kind: 'failed', status: 503, reason: `Service Unavailable (${err.message})`, response: null }),
    };
    this.tx = this.host.startTransaction(this.request, this.destination, user);
  }

  private onResponse(response: SipResponse): void {
    const status = response.status;
    if (status < 200) {
      if (status === 100) return;
      this.provisionalSeen = true;
      if (this.cancelWanted && !this.cancelSent) this.sendCancel();
      if (!this.done) this.onProvisional?.(response);
      return;
    }
    if (status < 300) {
      this.onSuccess(response);
      return;
    }
    if ((status === 401 || status === 407) && this.credentials && !this.authTried && !this.cancelWanted && this.retryWithCredentials(response)) return;
    this.finish({ kind: 'failed', status, reason: response.reason, response });
  }

  private onSuccess(response: SipResponse): void {
    const tag = response.toTag;
    if (this.dialog && this.resendAck && this.dialog.remoteTag === tag) {
      // The same 2xx again: our ACK was lost.
      this.resendAck();
      return;
    }
    if (this.dialog && this.resendAck) {
      // A second fork answered too: acknowledge it and hang it up at once (13.2.2.4).
      const extra = this.host.createUacDialog(this.request, response, this.destination);
      this.host.sendAck(extra, this.request);
      this.host.byeUnwanted(extra);
      return;
    }
    const dialog = this.dialog ?? this.host.createUacDialog(this.request, response, this.destination);
    this.dialog = dialog;
    this.resendAck = this.host.sendAck(dialog, this.request);
    if (this.cancelWanted || this.done) {
      // The callee answered while we were giving up: the call exists, so it is ended with a BYE.
      this.host.byeUnwanted(dialog);
      this.finish({ kind: 'failed', status: 487, reason: 'Request Terminated', response });
      return;
    }
    this.finish({ kind: 'answered', response, dialog });
  }

  private retryWithCredentials(challengeResponse: SipResponse): boolean {
    const proxy = challengeResponse.status === 407;
    const challenge = pickChallenge(challengeResponse.headers.getAll(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate'));
    if (!challenge || !this.credentials) return false;
    this.authTried = true;
    const next = this.request.clone();
    const via = parseVia(next.headers.get('Via') ?? '');
    via.params.set('branch', newBranch());
    next.headers.replaceFirst('Via', formatVia(via));
    next.headers.set('CSeq', `${this.request.cseq.seq + 1} INVITE`);
    next.headers.append(
      proxy ? 'Proxy-Authorization' : 'Authorization',
      digestAuthorization({ challenge, credentials: this.credentials, method: 'INVITE', uri: next.uri, nc: 1, body: next.body }),
    );
    this.request = next;
    this.send();
    return true;
  }

  private sendCancel(): void {
    if (this.cancelSent || this.done) return;
    this.cancelSent = true;
    const cancel = cancelFor(this.request);
    this.host.startTransaction(cancel, this.destination, {
      response: (r) => {
        if (r.status < 200 || this.done) return;
        // The INVITE should end with 487 now; if it never does, give it up (9.1).
        this.cancelGiveUp = this.host.clock.setTimeout(() => {
          this.tx?.finish();
          this.finish({ kind: 'failed', status: 487, reason: 'Request Terminated', response: null });
        }, transactionTimeout(this.host.timers));
      },
      timeout: () => {
        this.tx?.finish();
        this.finish({ kind: 'failed', status: 408, reason: 'Request Timeout', response: null });
      },
      transportError: () => {
        this.tx?.finish();
        this.finish({ kind: 'failed', status: 503, reason: 'Service Unavailable', response: null });
      },
    });
  }

  private finish(outcome: InviteOutcome): void {
    if (this.done) return;
    this.done = true;
    this.cancelGiveUp?.cancel();
    this.settle(outcome);
  }
}

/** CANCEL for an INVITE (9.1): same Request-URI, Call-ID, From, To, CSeq number, top Via and Route. */
export function cancelFor(invite: SipRequest): SipRequest {
  const h = new SipHeaders();
  h.append('Via', invite.headers.get('Via') ?? '');
  h.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('Route')) h.append('Route', route);
  h.append('From', invite.headers.get('From') ?? '');
  h.append('To', invite.headers.get('To') ?? '');
  h.append('Call-ID', invite.callId);
  h.append('CSeq', `${invite.cseq.seq} CANCEL`);
  return new SipRequest('CANCEL', invite.uri, h);
}
