// The SIP user agent core (RFC 3261 8, 12, 13, 15): one object that owns the transport, the
// transaction layer and the dialogs, and turns the wire into calls. As a UAS it answers what no
// call needs to see (OPTIONS, CANCEL matching, 481 for unknown dialogs, 405/501, 420, CSeq order,
// re-INVITE glare, 400 for broken requests) and hands INVITEs and in-dialog requests to their owner.
// As a UAC it builds requests (Via with rport, Max-Forwards, Contact), resolves where they go,
// answers one digest challenge per request, and sends the ACK for every 2xx.
import os from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { ClientTransaction, ClientTransactionUser } from './sip-client-transaction.js';
import { digestAuthorization, pickChallenge, type DigestCredentials } from './sip-digest.js';
import { requestDialogId, SipDialog } from './sip-dialog.js';
import { optionTags, SipHeaders } from './sip-headers.js';
import { initialCSeq, newBranch, newTag } from './sip-ids.js';
import { IncomingInvite, type InviteServerHost } from './sip-invite-uas.js';
import { OutgoingInvite, type InviteClientHost } from './sip-invite-uac.js';
import { SipRequest, type SipMessage, type SipResponse } from './sip-message.js';
import { parseNameAddr } from './sip-name-addr.js';
import type { SipParseError } from './sip-parser.js';
import { createResponse } from './sip-response.js';
import { responseTargets, stampReceived } from './sip-response-routing.js';
import { reasonPhrase } from './sip-status.js';
import { DEFAULT_SIP_TIMERS, type SipTimerValues } from './sip-timers.js';
import type { ServerTransaction } from './sip-server-transaction.js';
import { SipTransactionLayer } from './sip-transaction-layer.js';
import { SipTransport, type SipPeer, type SipTransportName } from './sip-transport.js';
import { formatHostPort, parseSipUri } from './sip-uri.js';
import { formatVia, parseVia } from './sip-via.js';

/** Methods Parley's UA handles (Allow). */
/** Methods Parley's UA takes (Allow). It sends REFER but does not take one: it is not a transferee. */
export const ALLOWED_METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS', 'INFO', 'NOTIFY'] as const;
/** Methods it knows but does not take: 405 rather than 501. */
const KNOWN_UNSUPPORTED = new Set(['REGISTER', 'SUBSCRIBE', 'PUBLISH', 'MESSAGE', 'UPDATE', 'PRACK', 'REFER']);
/** Methods that only make sense inside a dialog: 481 outside one. */
const DIALOG_ONLY = new Set(['BYE', 'INFO', 'NOTIFY']);

export interface SipUaHandler {
  /** An INVITE outside any dialog; the handler answers it through `invite`. */
  invite(invite: IncomingInvite): void;
  /**
   * Status and extra headers for an OPTIONS answer (a load indication, 503 when full). `inCall` is
   * an OPTIONS inside a live dialog: a keep-alive, which must not be told the server is full.
   */
  options(request: SipRequest, inCall: boolean): { status: number; reason?: string; headers: Array<[string, string]> };
}

export interface SipUserAgentOptions {
  host: string;
  port: number;
  transports: readonly SipTransportName[];
  /** The address peers reach us at, for Via, Contact (and SDP); default `host` (or a local address when `host` is a wildcard). */
  publicAddress?: string;
  clock: Clock;
  log: Logger;
  timers?: Partial<SipTimerValues>;
  maxMessageBytes?: number;
  tcpIdleMs?: number;
  /** The user part of our Contact; default `parley`. */
  contactUser?: string;
  /** Product token in User-Agent and Server; default `Parley`. */
  product?: string;
  handler: SipUaHandler;
}

/** A request outside any dialog. */
export interface SipRequestSpec {
  method: string;
  /** Request-URI; where the request goes unless `routes` say otherwise. */
  uri: string;
  /** From value (name-addr); a tag is added when it has none. */
  from: string;
  /** To value (name-addr). */
  to: string;
  callId: string;
  cseq: number;
  /** The transport when the URI names none. */
  transport?: SipTransportName;
  withContact?: boolean;
  headers?: ReadonlyArray<[string, string]>;
  body?: string | Buffer;
  contentType?: string;
}

export interface DialogRequestOptions {
  headers?: ReadonlyArray<[string, string]>;
  body?: string | Buffer;
  contentType?: string;
  credentials?: DigestCredentials | null;
}

export interface SipUaStats {
  dialogs: number;
  serverTransactions: number;
  clientTransactions: number;
  awaitingAck: number;
  tcpConnections: number;
}

export class SipUserAgent implements InviteServerHost, InviteClientHost {
  readonly clock: Clock;
  readonly timers: SipTimerValues;
  private readonly log: Logger;
  private readonly transport: SipTransport;
  private readonly transactions: SipTransactionLayer;
  private readonly dialogs = new Map<string, SipDialog>();
  private readonly awaitingAcks = new Map<string, IncomingInvite>();
  private readonly invitesByTx = new Map<string, IncomingInvite>();
  private readonly product: string;
  private advertised = '';

  constructor(private readonly options: SipUserAgentOptions) {
    this.clock = options.clock;
    this.log = options.log;
    this.timers = { ...DEFAULT_SIP_TIMERS, ...options.timers };
    this.product = options.product ?? 'Parley';
    this.transport = new SipTransport(
      {
        host: options.host,
        port: options.port,
        transports: options.transports,
        clock: options.clock,
        log: options.log,
        maxMessageBytes: options.maxMessageBytes,
        tcpIdleMs: options.tcpIdleMs,
      },
      { message: (m, s) => this.onMessage(m, s), parseError: (e, s) => this.onParseError(e, s) },
    );
    this.transactions = new SipTransactionLayer({
      clock: options.clock,
      timers: this.timers,
      log: options.log,
      send: (data, peer) => this.transport.send(data, peer),
      sendResponse: (response, source) => this.sendResponse(response, source),
    });
  }

  async start(): Promise<void> {
    await this.transport.start();
    this.advertised = this.options.publicAddress ?? advertisedAddress(this.options.host);
  }

  async stop(): Promise<void> {
    this.transactions.clear();
    for (const invite of this.awaitingAcks.values()) invite.stopRetransmitting();
    this.awaitingAcks.clear();
    this.invitesByTx.clear();
    this.dialogs.clear();
    await this.transport.stop();
  }

  /** The port we listen on (after start). */
  get port(): number {
    return this.transport.port;
  }

  /** The address in our Via, Contact and SDP. */
  get advertisedHost(): string {
    return this.advertised;
  }

  get enabledTransports(): readonly SipTransportName[] {
    return this.options.transports;
  }

  stats(): SipUaStats {
    return {
      dialogs: this.dialogs.size,
      serverTransactions: this.transactions.serverCount,
      clientTransactions: this.transactions.clientCount,
      awaitingAck: this.awaitingAcks.size,
      tcpConnections: this.transport.tcpConnections,
    };
  }

  // ---- identity ------------------------------------------------------------------------------

  contact(transport: SipTransportName): string {
    const user = this.options.contactUser ?? 'parley';
    return `<sip:${user}@${formatHostPort(this.advertised, this.port)}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  capabilityHeaders(): Array<[string, string]> {
    return [
      ['Allow', ALLOWED_METHODS.join(', ')],
      ['Supported', ''],
      ['Server', this.product],
    ];
  }

  /** A `sip:` URI at our address, for From headers of requests we originate. */
  localUri(user: string): string {
    return `sip:${user}@${formatHostPort(this.advertised, this.port)}`;
  }

  /** A Contact for `user` at our address (REGISTER binds the trunk account to it). */
  contactFor(user: string, transport: SipTransportName): string {
    return `<sip:${user}@${formatHostPort(this.advertised, this.port)}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  /** The answer to a request a dialog's owner does not take: 405 for a known method, 501 otherwise. */
  notHandled(request: SipRequest): SipResponse {
    const known = KNOWN_UNSUPPORTED.has(request.method) || (ALLOWED_METHODS as readonly string[]).includes(request.method);
    return createResponse(request, known ? 405 : 501, { headers: [['Allow', ALLOWED_METHODS.join(', ')]] });
  }

  // ---- receiving -----------------------------------------------------------------------------

  private onMessage(message: SipMessage, source: SipPeer): void {
    if (message.kind === 'response') {
      if (!this.transactions.receiveResponse(message)) this.log.debug({ status: message.status, call_id: message.callId }, 'SIP response matches no transaction');
      return;
    }
    stampReceived(message, source);
    const match = this.transactions.receiveRequest(message, source);
    if (match.kind === 'ack') this.onAck(message);
    else if (match.kind === 'new') this.onRequest(message, match.tx);
  }

  private onParseError(error: SipParseError, source: SipPeer): void {
    const salvage = error.salvage;
    // Without a request and a Via there is nowhere to send an answer; an ACK is never answered.
    if (!salvage || salvage.method === 'ACK') {
      this.log.debug({ reason: error.reason, peer: `${source.address}:${source.port}` }, 'unreadable SIP message dropped');
      return;
    }
    const request = { headers: salvage.headers };
    if (!stampReceived(request, source)) {
      this.log.debug({ reason: error.reason, peer: `${source.address}:${source.port}` }, 'broken SIP request without a readable Via dropped');
      return;
    }
    this.log.debug({ reason: error.reason, status: error.status }, 'broken SIP request answered');
    const response = createResponse(request, error.status, { reason: `${reasonPhrase(error.status)} (${error.reason})`, toTag: newTag() });
    this.sendResponse(response, source);
  }

  private onRequest(request: SipRequest, tx: ServerTransaction): void {
    const respond = (response: SipResponse): void => tx.respond(response);
    const toTag = request.toTag ? undefined : newTag();
    if (request.method === 'CANCEL') {
      this.onCancel(request, respond);
      return;
    }
    const unsupported = optionTags(request.headers.getAll('Require'));
    if (unsupported.length > 0) {
      respond(createResponse(request, 420, { toTag, headers: [['Unsupported', unsupported.join(', ')]] }));
      return;
    }
    if (request.method === 'INVITE' && !request.headers.has('Contact')) {
      respond(createResponse(request, 400, { toTag, reason: 'Bad Request (missing Contact)' }));
      return;
    }
    if (request.toTag) {
      this.onDialogRequest(request, tx, respond);
      return;
    }
    switch (request.method) {
      case 'INVITE': {
        const invite = new IncomingInvite(this, request, tx, null, newTag());
        this.invitesByTx.set(tx.key, invite);
        this.options.handler.invite(invite);
        return;
      }
      case 'OPTIONS':
        respond(this.optionsAnswer(request, false));
        return;
      default:
        if (DIALOG_ONLY.has(request.method)) respond(createResponse(request, 481, { toTag }));
        else if (KNOWN_UNSUPPORTED.has(request.method)) respond(createResponse(request, 405, { toTag, headers: [['Allow', ALLOWED_METHODS.join(', ')]] }));
        else respond(createResponse(request, 501, { toTag, headers: [['Allow', ALLOWED_METHODS.join(', ')]] }));
    }
  }

  private onDialogRequest(request: SipRequest, tx: ServerTransaction, respond: (r: SipResponse) => void): void {
    const dialog = this.dialogs.get(requestDialogId(request) ?? '');
    if (!dialog || !dialog.handler) {
      // OPTIONS inside a dialog we do not know is still a fair question about our capabilities.
      if (request.method === 'OPTIONS') respond(this.optionsAnswer(request, false));
      else respond(createResponse(request, 481));
      return;
    }
    const seq = request.cseq.seq;
    if (dialog.remoteSeq !== null && seq <= dialog.remoteSeq) {
      respond(createResponse(request, 500, { reason: 'Server Internal Error (CSeq out of order)' }));
      return;
    }
    if (request.method === 'INVITE') {
      // Glare (14.1, 14.2): our own re-INVITE is pending, or the peer's last INVITE is not finished.
      const pending = dialog.pendingIncoming;
      if (dialog.pendingOutgoing || (pending && pending.finalSent)) {
        respond(createResponse(request, 491));
        return;
      }
      if (pending && !pending.finalSent) {
        respond(createResponse(request, 500, { headers: [['Retry-After', String(Math.floor(Math.random() * 10))]] }));
        return;
      }
    }
    dialog.remoteSeq = seq;
    if (request.method === 'INVITE') {
      const invite = new IncomingInvite(this, request, tx, dialog, dialog.localTag);
      dialog.pendingIncoming = invite;
      this.invitesByTx.set(tx.key, invite);
      dialog.handler.reinvite(invite);
      return;
    }
    if (request.method === 'OPTIONS') {
      respond(this.optionsAnswer(request, true));
      return;
    }
    dialog.handler.request(request, respond);
  }

  private onCancel(cancel: SipRequest, respond: (r: SipResponse) => void): void {
    const inviteTx = this.transactions.inviteFor(cancel);
    const invite = inviteTx ? this.invitesByTx.get(inviteTx.key) : undefined;
    if (!inviteTx || !invite) {
      respond(createResponse(cancel, 481, { toTag: cancel.toTag ? undefined : newTag() }));
      return;
    }
    // The CANCEL's 200 carries the same To tag as the INVITE's answer (9.2).
    respond(createResponse(cancel, 200, { toTag: invite.localTag }));
    invite.cancel();
  }

  private onAck(ack: SipRequest): void {
    const invite = this.awaitingAcks.get(ackKey(ack.callId, ack.toTag ?? '', ack.cseq.seq));
    if (invite) invite.ack(ack);
    else this.log.debug({ call_id: ack.callId }, 'ACK matches no 2xx awaiting one');
  }

  private optionsAnswer(request: SipRequest, inCall: boolean): SipResponse {
    const answer = this.options.handler.options(request, inCall);
    return createResponse(request, answer.status, {
      toTag: request.toTag ? undefined : newTag(),
      reason: answer.reason,
      headers: [...this.capabilityHeaders(), ['Accept', 'application/sdp, application/dtmf-relay, application/dtmf, message/sipfrag'], ...answer.headers],
    });
  }

  // ---- InviteServerHost ----------------------------------------------------------------------

  sendResponse(response: SipResponse, source: SipPeer): void {
    const targets = responseTargets(response, source);
    const data = response.serialize();
    const attempt = (i: number): void => {
      const target = targets[i];
      if (!target) return;
      this.transport.send(data, target).catch((err: unknown) => {
        if (i + 1 < targets.length) attempt(i + 1);
        else this.log.debug({ err: err instanceof Error ? err.message : String(err), status: response.status }, 'SIP response not sent');
      });
    };
    attempt(0);
  }

  createDialog(invite: IncomingInvite): SipDialog {
    const source = invite.source;
    const dialog = SipDialog.fromInvite(invite.request, invite.localTag, source.transport, source.transport === 'tcp' ? source : null, initialCSeq());
    dialog.pendingIncoming = invite;
    this.dialogs.set(dialog.id, dialog);
    return dialog;
  }

  awaitAck(invite: IncomingInvite): void {
    this.awaitingAcks.set(ackKey(invite.request.callId, invite.localTag, invite.request.cseq.seq), invite);
  }

  settled(invite: IncomingInvite): void {
    this.invitesByTx.delete(invite.transaction.key);
    const key = ackKey(invite.request.callId, invite.localTag, invite.request.cseq.seq);
    if (this.awaitingAcks.get(key) === invite) this.awaitingAcks.delete(key);
    const dialog = invite.dialog;
    // Called once the INVITE is over (refused, cancelled, ACKed, or its ACK never came).
    if (dialog && dialog.pendingIncoming === invite) dialog.pendingIncoming = null;
  }

  // ---- InviteClientHost ----------------------------------------------------------------------

  startTransaction(request: SipRequest, destination: SipPeer, user: ClientTransactionUser): ClientTransaction {
    return this.transactions.sendRequest(request, destination, user);
  }

  createUacDialog(invite: SipRequest, response: SipResponse, destination: SipPeer): SipDialog {
    const dialog = SipDialog.fromResponse(invite, response, destination.transport, destination.transport === 'tcp' ? destination : null);
    this.dialogs.set(dialog.id, dialog);
    return dialog;
  }

  sendAck(dialog: SipDialog, invite: SipRequest): () => void {
    const { request, peer } = this.dialogRequestParts(dialog, 'ACK', invite.cseq.seq, {});
    for (const name of ['Authorization', 'Proxy-Authorization']) for (const v of invite.headers.getAll(name)) request.headers.append(name, v);
    const bytes = request.serialize();
    const send = (): void => {
      this.transport.send(bytes, peer).catch((err: unknown) => this.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'ACK not sent'));
    };
    send();
    return send;
  }

  byeUnwanted(dialog: SipDialog): void {
    void this.dialogRequest(dialog, 'BYE').finally(() => this.removeDialog(dialog));
  }

  // ---- sending -------------------------------------------------------------------------------

  /** Starts an INVITE outside any dialog; the outcome says how it ended. */
  invite(spec: Omit<SipRequestSpec, 'method' | 'withContact'>, credentials: DigestCredentials | null = null): OutgoingInvite {
    const { request, peer } = this.buildRequest({ ...spec, method: 'INVITE', withContact: true });
    return new OutgoingInvite(this, request, peer, credentials).start();
  }

  /** A re-INVITE in `dialog` (e.g. a hold or a media change). */
  reinvite(dialog: SipDialog, body: string, contentType = 'application/sdp', credentials: DigestCredentials | null = null): OutgoingInvite {
    const { request, peer } = this.dialogRequestParts(dialog, 'INVITE', dialog.nextSeq(), { body, contentType });
    dialog.pendingOutgoing = true;
    const invite = new OutgoingInvite(this, request, peer, credentials, dialog).start();
    void invite.outcome.then(() => {
      dialog.pendingOutgoing = false;
    });
    return invite;
  }

  /** A non-INVITE request outside any dialog; resolves with the final response (408/503 made up on timeout/transport failure). */
  async request(spec: SipRequestSpec, credentials: DigestCredentials | null = null): Promise<SipResponse> {
    const { request, peer } = this.buildRequest(spec);
    return this.sendWithAuth(request, peer, credentials, () => request.cseq.seq + 1);
  }

  /** A non-INVITE request inside `dialog`. */
  async dialogRequest(dialog: SipDialog, method: string, options: DialogRequestOptions = {}): Promise<SipResponse> {
    let parts;
    try {
      parts = this.dialogRequestParts(dialog, method, dialog.nextSeq(), options);
    } catch (err) {
      return createResponse({ headers: new SipHeaders() }, 503, { reason: `Service Unavailable (${err instanceof Error ? err.message : String(err)})` });
    }
    return this.sendWithAuth(parts.request, parts.peer, options.credentials ?? null, () => dialog.nextSeq());
  }

  removeDialog(dialog: SipDialog): void {
    dialog.state = 'terminated';
    dialog.handler = null;
    if (this.dialogs.get(dialog.id) === dialog) this.dialogs.delete(dialog.id);
    const pending = dialog.pendingIncoming;
    if (pending) {
      pending.stopRetransmitting();
      this.settled(pending);
      dialog.pendingIncoming = null;
    }
  }

  /** Where a URI's request goes: its transport parameter (else `fallback`, else UDP), maddr or host, port or 5060. */
  resolveUri(text: string, fallback?: SipTransportName): SipPeer {
    const uri = parseSipUri(text);
    if (uri.scheme === 'sips') throw new Error('sips: URIs need TLS, which Parley does not offer');
    const named = uri.params.get('transport');
    const wanted = typeof named === 'string' ? named.toLowerCase() : null;
    if (wanted !== null && wanted !== 'udp' && wanted !== 'tcp') throw new Error(`transport ${wanted} is not supported`);
    const enabled = this.options.transports;
    const transport: SipTransportName = (wanted as SipTransportName | null) ?? (fallback && enabled.includes(fallback) ? fallback : enabled.includes('udp') ? 'udp' : 'tcp');
    if (!enabled.includes(transport)) throw new Error(`SIP over ${transport.toUpperCase()} is not enabled`);
    const maddr = uri.params.get('maddr');
    return { transport, address: typeof maddr === 'string' ? maddr : uri.host, port: uri.port ?? 5060 };
  }

  private buildRequest(spec: SipRequestSpec): { request: SipRequest; peer: SipPeer } {
    const peer = this.resolveUri(spec.uri, spec.transport);
    const from = parseNameAddr(spec.from).params.has('tag') ? spec.from : `${spec.from};tag=${newTag()}`;
    const h = new SipHeaders();
    h.append('Via', this.via(peer.transport));
    h.append('Max-Forwards', '70');
    h.append('From', from);
    h.append('To', spec.to);
    h.append('Call-ID', spec.callId);
    h.append('CSeq', `${spec.cseq} ${spec.method}`);
    if (spec.withContact) h.append('Contact', this.contact(peer.transport));
    h.append('User-Agent', this.product);
    for (const [name, value] of spec.headers ?? []) h.append(name, value);
    return { request: this.withBody(new SipRequest(spec.method, spec.uri, h), spec.body, spec.contentType), peer };
  }

  /** A request in a dialog (12.2.1.1): remote target or strict route as Request-URI, route set as Route. */
  private dialogRequestParts(dialog: SipDialog, method: string, seq: number, options: DialogRequestOptions): { request: SipRequest; peer: SipPeer } {
    let uri = dialog.remoteTarget;
    let routes = [...dialog.routeSet];
    let nextHop = routes.length > 0 ? parseNameAddr(routes[0]).uri : uri;
    if (routes.length > 0) {
      const first = parseNameAddr(routes[0]);
      if (!parseSipUri(first.uri).params.has('lr')) {
        // A strict router: it goes in the Request-URI and the remote target at the end of the route (12.2.1.1).
        uri = first.uri;
        routes = [...routes.slice(1), `<${dialog.remoteTarget}>`];
        nextHop = first.uri;
      }
    }
    let peer = this.resolveUri(nextHop, dialog.transport);
    // A caller that reached us over TCP gets our in-dialog requests back on its connection while it
    // is open: a phone behind NAT often cannot be reached on a new connection.
    if (dialog.role === 'uas' && peer.transport === 'tcp' && dialog.flow && routes.length === 0 && this.transport.hasConnection(dialog.flow)) peer = dialog.flow;
    const h = new SipHeaders();
    h.append('Via', this.via(peer.transport));
    h.append('Max-Forwards', '70');
    for (const route of routes) h.append('Route', route);
    h.append('From', dialog.localAddress);
    h.append('To', dialog.remoteAddress);
    h.append('Call-ID', dialog.callId);
    h.append('CSeq', `${seq} ${method}`);
    if (method === 'INVITE' || method === 'REFER' || method === 'NOTIFY' || method === 'UPDATE') h.append('Contact', this.contact(dialog.transport));
    if (method !== 'ACK') h.append('User-Agent', this.product);
    for (const [name, value] of options.headers ?? []) h.append(name, value);
    return { request: this.withBody(new SipRequest(method, uri, h), options.body, options.contentType), peer };
  }

  private withBody(request: SipRequest, body: string | Buffer | undefined, contentType: string | undefined): SipRequest {
    if (body === undefined) return request;
    request.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    request.headers.set('Content-Type', contentType ?? 'application/sdp');
    return request;
  }

  private via(transport: SipTransportName): string {
    return `SIP/2.0/${transport.toUpperCase()} ${formatHostPort(this.advertised, this.port)};branch=${newBranch()};rport`;
  }

  private async sendWithAuth(request: SipRequest, peer: SipPeer, credentials: DigestCredentials | null, nextSeq: () => number): Promise<SipResponse> {
    const first = await this.transact(request, peer);
    if ((first.status !== 401 && first.status !== 407) || !credentials) return first;
    const proxy = first.status === 407;
    const challenge = pickChallenge(first.headers.getAll(proxy ? 'Proxy-Authenticate' : 'WWW-Authenticate'));
    if (!challenge) return first;
    const retry = request.clone();
    const via = parseVia(retry.headers.get('Via') ?? '');
    via.params.set('branch', newBranch());
    retry.headers.replaceFirst('Via', formatVia(via));
    retry.headers.set('CSeq', `${nextSeq()} ${request.method}`);
    retry.headers.remove(proxy ? 'Proxy-Authorization' : 'Authorization');
    retry.headers.append(
      proxy ? 'Proxy-Authorization' : 'Authorization',
      digestAuthorization({ challenge, credentials, method: request.method, uri: request.uri, nc: 1, body: request.body }),
    );
    return this.transact(retry, peer);
  }

  private transact(request: SipRequest, peer: SipPeer): Promise<SipResponse> {
    return new Promise((resolve) => {
      this.transactions.sendRequest(request, peer, {
        response: (r) => {
          if (r.status >= 200) resolve(r);
        },
        timeout: () => resolve(createResponse(request, 408)),
        transportError: (err) => resolve(createResponse(request, 503, { reason: `Service Unavailable (${err.message})` })),
      });
    });
  }
}

function ackKey(callId: string, localTag: string, seq: number): string {
  return `${callId}|${localTag}|${seq}`;
}

/** A concrete local address to advertise when listening on a wildcard (set publicAddress behind NAT). */
function advertisedAddress(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  for (const list of Object.values(os.networkInterfaces())) {
    for (const info of list ?? []) {
      if (!info.internal && info.family === 'IPv4') return info.address;
    }
  }
  return '127.0.0.1';
}
