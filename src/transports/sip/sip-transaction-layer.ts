// Finds the transaction a message belongs to (RFC 3261 17.1.3, 17.2.3) and keeps the live ones.
// A request whose branch carries the magic cookie matches on (branch, sent-by, method) with ACK
// counted as INVITE; older (RFC 2543) requests match on the Request-URI, Call-ID, From tag, CSeq and
// top Via. A response matches on its top Via branch and CSeq method.
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { ClientTransaction, type ClientTransactionUser } from './sip-client-transaction.js';
import type { SipRequest, SipResponse } from './sip-message.js';
import { ServerTransaction } from './sip-server-transaction.js';
import type { SipTimerValues } from './sip-timers.js';
import type { SipPeer } from './sip-transport.js';
import { BRANCH_COOKIE, viaBranch, viaSentBy } from './sip-via.js';

export interface TransactionLayerDeps {
  clock: Clock;
  timers: SipTimerValues;
  log: Logger;
  send(data: Buffer, peer: SipPeer): Promise<void>;
  sendResponse(response: SipResponse, source: SipPeer): void;
}

export type ServerMatch =
  /** A new request: the TU answers it through the transaction. */
  | { kind: 'new'; tx: ServerTransaction }
  /** A retransmission or the ACK of a non-2xx final: the transaction dealt with it. */
  | { kind: 'absorbed' }
  /** An ACK that no transaction owns: it acknowledges a 2xx and belongs to the UA core. */
  | { kind: 'ack' };

export class SipTransactionLayer {
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();

  constructor(private readonly deps: TransactionLayerDeps) {}

  get serverCount(): number {
    return this.servers.size;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  receiveRequest(request: SipRequest, source: SipPeer): ServerMatch {
    const key = serverKey(request);
    const existing = this.servers.get(key);
    if (request.method === 'ACK') {
      // An ACK that matches an INVITE transaction answered with non-2xx is the transaction's; a 2xx
      // moved the transaction to Accepted and its ACK is the core's (RFC 6026 8.7).
      if (existing && existing.state !== 'accepted' && existing.state !== 'terminated') {
        existing.ack();
        return { kind: 'absorbed' };
      }
      return { kind: 'ack' };
    }
    if (existing) {
      existing.retransmission();
      return { kind: 'absorbed' };
    }
    const tx = new ServerTransaction(key, request, source, {
      clock: this.deps.clock,
      timers: this.deps.timers,
      sendResponse: this.deps.sendResponse,
      terminated: (t) => {
        if (this.servers.get(t.key) === t) this.servers.delete(t.key);
      },
      ackTimeout: (t) => this.deps.log.debug({ call_id: t.request.callId }, 'no ACK for a final response to INVITE'),
    });
    this.servers.set(key, tx);
    return { kind: 'new', tx };
  }

  /** The INVITE server transaction a CANCEL targets (same branch, RFC 3261 9.2). */
  inviteFor(cancel: SipRequest): ServerTransaction | undefined {
    return this.servers.get(serverKey(cancel, 'INVITE'));
  }

  sendRequest(request: SipRequest, destination: SipPeer, user: ClientTransactionUser): ClientTransaction {
    const key = clientKey(viaBranch(request.topVia) ?? '', request.method);
    const tx = new ClientTransaction(key, request, destination, user, {
      clock: this.deps.clock,
      timers: this.deps.timers,
      send: this.deps.send,
      terminated: (t) => {
        if (this.clients.get(t.key) === t) this.clients.delete(t.key);
      },
    });
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  /** Hands a response to its client transaction; false when none matches (a stray or a late 2xx). */
  receiveResponse(response: SipResponse): boolean {
    let branch: string | null;
    let method: string;
    try {
      branch = viaBranch(response.topVia);
      method = response.cseq.method;
    } catch {
      return false;
    }
    const tx = branch ? this.clients.get(clientKey(branch, method)) : undefined;
    if (!tx) return false;
    tx.receive(response);
    return true;
  }

  /** Ends every transaction (shutdown); requests still waiting for an answer fail. */
  clear(): void {
    for (const tx of [...this.servers.values()]) tx.terminate();
    for (const tx of [...this.clients.values()]) tx.abort('SIP stack stopped');
  }
}

export function serverKey(request: SipRequest, asMethod?: string): string {
  const via = request.topVia;
  const method = asMethod ?? (request.method === 'ACK' ? 'INVITE' : request.method);
  const branch = viaBranch(via);
  if (branch && branch.startsWith(BRANCH_COOKIE)) return `${branch}|${viaSentBy(via)}|${method}`;
  return `2543|${request.uri}|${request.callId}|${request.fromTag ?? ''}|${request.cseq.seq}|${viaSentBy(via)}|${branch ?? ''}|${method}`;
}

function clientKey(branch: string, method: string): string {
  return `${branch}|${method === 'ACK' ? 'INVITE' : method}`;
}
