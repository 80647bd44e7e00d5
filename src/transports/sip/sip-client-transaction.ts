// Client transactions (RFC 3261 17.1, with RFC 6026's Accepted state for INVITE). Over UDP they
// retransmit the request (timer A doubling for INVITE; timer E doubling up to T2 for the rest) until
// a response comes, give up after 64*T1 (timers B and F: the TU hears a timeout), ACK non-2xx final
// responses to INVITE themselves, and linger to absorb retransmitted final responses (D, K). Every
// 2xx to an INVITE reaches the TU, retransmissions included, because the ACK for a 2xx is the UA
// core's to send (13.2.2.4).
import type { Clock } from '../../clock.js';
import { TimerSet } from './sip-timer-set.js';
import { SipHeaders } from './sip-headers.js';
import { SipRequest, type SipResponse } from './sip-message.js';
import { timerD, transactionTimeout, type SipTimerValues } from './sip-timers.js';
import type { SipPeer } from './sip-transport.js';

export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

export interface ClientTransactionUser {
  /** Every response the TU must see: provisional, the final, and (INVITE) 2xx retransmissions. */
  response(response: SipResponse): void;
  /** No final response within 64*T1. */
  timeout(): void;
  /** The request could not be sent. */
  transportError(err: Error): void;
}

export interface ClientTransactionDeps {
  clock: Clock;
  timers: SipTimerValues;
  send(data: Buffer, peer: SipPeer): Promise<void>;
  terminated(tx: ClientTransaction): void;
}

export class ClientTransaction {
  state: ClientTransactionState;
  private readonly running: TimerSet;
  private readonly bytes: Buffer;
  private ackBytes: Buffer | null = null;
  private readonly reliable: boolean;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly destination: SipPeer,
    private readonly user: ClientTransactionUser,
    private readonly deps: ClientTransactionDeps,
  ) {
    this.reliable = destination.transport === 'tcp';
    this.running = new TimerSet(deps.clock);
    this.state = request.method === 'INVITE' ? 'calling' : 'trying';
    this.bytes = request.serialize();
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  start(): void {
    this.transmit();
    const t = this.deps.timers;
    if (!this.reliable) this.retransmit(t.t1);
    // Timer B (INVITE) / F (non-INVITE).
    this.running.after(transactionTimeout(t), () => {
      if (this.state === 'calling' || this.state === 'trying' || (this.state === 'proceeding' && !this.isInvite)) {
        this.finish();
        this.user.timeout();
      }
    });
  }

  receive(response: SipResponse): void {
    const status = response.status;
    if (this.state === 'terminated') return;
    if (this.isInvite) {
      this.receiveForInvite(response);
      return;
    }
    if (this.state === 'completed') return; // a retransmitted final: absorbed
    if (status < 200) {
      this.state = 'proceeding';
      this.user.response(response);
      return;
    }
    this.state = 'completed';
    this.running.clear();
    this.user.response(response);
    this.running.after(this.reliable ? 0 : this.deps.timers.t4, () => this.finish()); // timer K
  }

  private receiveForInvite(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'calling':
      case 'proceeding':
        if (status < 200) {
          if (this.state === 'calling') {
            // Provisional: stop retransmitting; timer B no longer applies (17.1.1.2).
            this.state = 'proceeding';
            this.running.clear();
          }
          this.user.response(response);
        } else if (status < 300) {
          this.state = 'accepted';
          this.running.clear();
          this.user.response(response);
          this.running.after(transactionTimeout(this.deps.timers), () => this.finish()); // timer M
        } else {
          this.state = 'completed';
          this.running.clear();
          this.ackBytes = ackForFinal(this.request, response).serialize();
          this.sendAck();
          this.user.response(response);
          this.running.after(timerD(this.deps.timers, this.reliable), () => this.finish());
        }
        return;
      case 'accepted':
        if (status >= 200 && status < 300) this.user.response(response);
        return;
      case 'completed':
        if (status >= 300) this.sendAck();
        return;
      default:
        return;
    }
  }

  /** Ends the transaction and tells the TU it failed (the stack is stopping). */
  abort(reason: string): void {
    if (this.state === 'terminated') return;
    this.finish();
    this.user.transportError(new Error(reason));
  }

  /** Ends the transaction without telling the TU. */
  finish(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.running.clear();
    this.deps.terminated(this);
  }

  private transmit(): void {
    this.deps.send(this.bytes, this.destination).catch((err: unknown) => {
      if (this.state === 'terminated') return;
      this.finish();
      this.user.transportError(err instanceof Error ? err : new Error(String(err)));
    });
  }

  private sendAck(): void {
    if (this.ackBytes) this.deps.send(this.ackBytes, this.destination).catch(() => undefined);
  }

  /** Timer A (INVITE: doubling without cap while Calling) or E (non-INVITE: doubling up to T2, T2 once Proceeding). */
  private retransmit(interval: number): void {
    this.running.after(interval, () => {
      if (this.isInvite ? this.state !== 'calling' : this.state !== 'trying' && this.state !== 'proceeding') return;
      this.transmit();
      const t = this.deps.timers;
      const next = this.isInvite ? 2 * interval : this.state === 'proceeding' ? t.t2 : Math.min(2 * interval, t.t2);
      this.retransmit(next);
    });
  }

}

/**
 * The ACK a client transaction sends for a non-2xx final response (17.1.1.3): the INVITE's
 * Request-URI, Call-ID, From, top Via and Route, the response's To (with its tag), CSeq method ACK.
 */
export function ackForFinal(invite: SipRequest, response: SipResponse): SipRequest {
  const h = new SipHeaders();
  h.append('Via', invite.headers.get('Via') ?? '');
  h.append('Max-Forwards', '70');
  for (const route of invite.headers.getAll('Route')) h.append('Route', route);
  h.append('From', invite.headers.get('From') ?? '');
  h.append('To', response.headers.get('To') ?? invite.headers.get('To') ?? '');
  h.append('Call-ID', invite.callId);
  h.append('CSeq', `${invite.cseq.seq} ACK`);
  return new SipRequest('ACK', invite.uri, h);
}
