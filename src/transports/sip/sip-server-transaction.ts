// Server transactions (RFC 3261 17.2, with RFC 6026's Accepted state). They absorb retransmitted
// requests (answering with the last response), retransmit non-2xx final responses to INVITE over UDP
// until the ACK comes (timers G and H), and linger after the final response so late retransmissions
// still find them (timers I, J, L). A 2xx to INVITE is sent once here: the UA core retransmits it
// until the ACK, which is its own transaction.
import type { Clock } from '../../clock.js';
import { TimerSet } from './sip-timer-set.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { createResponse } from './sip-response.js';
import { transactionTimeout, type SipTimerValues } from './sip-timers.js';
import type { SipPeer } from './sip-transport.js';

export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

export interface ServerTransactionDeps {
  clock: Clock;
  timers: SipTimerValues;
  /** Sends a response along the request's Via (failures are the sender's to log). */
  sendResponse(response: SipResponse, source: SipPeer): void;
  /** Called once when the transaction ends (to forget it). */
  terminated(tx: ServerTransaction): void;
  /** Timer H fired: a non-2xx final response to INVITE was never acknowledged. */
  ackTimeout?(tx: ServerTransaction): void;
}

export class ServerTransaction {
  state: ServerTransactionState;
  private last: SipResponse | null = null;
  private readonly running: TimerSet;
  private readonly reliable: boolean;

  constructor(
    readonly key: string,
    readonly request: SipRequest,
    readonly source: SipPeer,
    private readonly deps: ServerTransactionDeps,
  ) {
    this.reliable = source.transport === 'tcp';
    this.running = new TimerSet(deps.clock);
    this.state = request.method === 'INVITE' ? 'proceeding' : 'trying';
    // The INVITE server answers 100 at once so the client stops retransmitting (17.2.1).
    if (request.method === 'INVITE') this.send(createResponse(request, 100));
  }

  get isInvite(): boolean {
    return this.request.method === 'INVITE';
  }

  get lastResponse(): SipResponse | null {
    return this.last;
  }

  /** Whether a final response was already given (a CANCEL then changes nothing). */
  get finalSent(): boolean {
    return this.last !== null && this.last.status >= 200;
  }

  /** The TU's response. A 2xx to INVITE may be passed again while Accepted (the core's retransmissions). */
  respond(response: SipResponse): void {
    const status = response.status;
    switch (this.state) {
      case 'trying':
      case 'proceeding':
        break;
      case 'accepted':
        if (status >= 200 && status < 300) this.deps.sendResponse(response, this.source);
        return;
      default:
        return;
    }
    this.send(response);
    if (status < 200) {
      this.state = 'proceeding';
      return;
    }
    if (this.isInvite) {
      if (status < 300) {
        this.state = 'accepted';
        this.running.after(transactionTimeout(this.deps.timers), () => this.terminate()); // timer L
        return;
      }
      this.state = 'completed';
      if (!this.reliable) this.retransmitFinal(this.deps.timers.t1); // timer G
      this.running.after(transactionTimeout(this.deps.timers), () => {
        // Timer H: the ACK never came.
        this.deps.ackTimeout?.(this);
        this.terminate();
      });
      return;
    }
    this.state = 'completed';
    this.running.after(this.reliable ? 0 : transactionTimeout(this.deps.timers), () => this.terminate()); // timer J
  }

  /** The same request again (matched by branch): answer with what was last said, tell the TU nothing. */
  retransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.last) this.deps.sendResponse(this.last, this.source);
  }

  /** An ACK matched this INVITE transaction: it acknowledges a non-2xx final response. */
  ack(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.running.clear();
    this.running.after(this.reliable ? 0 : this.deps.timers.t4, () => this.terminate()); // timer I
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.running.clear();
    this.deps.terminated(this);
  }

  private send(response: SipResponse): void {
    this.last = response;
    this.deps.sendResponse(response, this.source);
  }

  private retransmitFinal(interval: number): void {
    this.running.after(interval, () => {
      if (this.state !== 'completed' || !this.last) return;
      this.deps.sendResponse(this.last, this.source);
      this.retransmitFinal(Math.min(2 * interval, this.deps.timers.t2));
    });
  }

}
