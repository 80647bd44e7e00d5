// Parley's built-in SIP endpoint: the phone seam (PhoneLeg / PhoneCallAcceptor) on a hand-written
// RFC 3261 user agent with G.711 RTP. Inbound INVITEs are routed by the dialled user to an agent;
// `call()` places outbound calls (numbers through the configured trunk, with digest authentication);
// the trunk registration is kept fresh; OPTIONS report the load (and 503 when full). No maintained
// Node library offers a server-side SIP stack over UDP and TCP, hence the stack in this folder
// (docs/sip.md).
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import { routeFor } from '../../config-telephony.js';
import type { PhoneCallAcceptor, PhoneCallInfo } from '../phone/phone-leg.js';
import { RtpPortPool } from './media/rtp-port-pool.js';
import type { G711Codec } from './media/sdp-negotiation.js';
import { SipCall, SipCallFailedError, type SipCallContext } from './sip-call.js';
import { dialTarget, type DialTarget, type SipTrunk } from './sip-dial-target.js';
import { newCallId } from './sip-ids.js';
import type { IncomingInvite } from './sip-invite-uas.js';
import type { SipRequest } from './sip-message.js';
import { parseNameAddr } from './sip-name-addr.js';
import { SipRegistration, type RegistrationState } from './sip-registration.js';
import type { SipTimerValues } from './sip-timers.js';
import type { SipTransportName } from './sip-transport.js';
import { escapeUser, formatHostPort, parseSipUri, userText } from './sip-uri.js';
import { SipUserAgent, type SipUaStats } from './sip-user-agent.js';

export type { SipTrunk } from './sip-dial-target.js';
export { SipCallFailedError } from './sip-call.js';

export interface SipRouteRule {
  /** The dialled number or user part; `*` alone matches all, a trailing `*` matches a prefix. */
  match: string;
  agent: string;
  tenantId?: string;
}

export interface SipEndpointOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  transports: SipTransportName[];
  /** The address peers reach us at, for Via, Contact and SDP (NAT). */
  publicAddress?: string;
  rtp: { min: number; max: number };
  clock: Clock;
  log: Logger;
  acceptor: PhoneCallAcceptor;
  maxCalls: number;
  /** First match wins; empty: every call reaches the default agent; otherwise no match is a 404. */
  routes: SipRouteRule[];
  trunk?: SipTrunk;
  // Tuning; the defaults suit production.
  timers?: Partial<SipTimerValues>;
  /** Codec preference (default PCMU, PCMA). */
  codecs?: G711Codec[];
  /** An outbound call not answered within this is cancelled (default 60 s). */
  ringTimeoutMs?: number;
  /** A blind transfer with no final NOTIFY within this fails (default 60 s). */
  transferTimeoutMs?: number;
  /** Retry-After on 503 (default 30 s). */
  retryAfterS?: number;
  maxMessageBytes?: number;
  tcpIdleMs?: number;
  /** stop() waits this long at most for BYEs and the unregister (default 3 s). */
  stopTimeoutMs?: number;
  registerRetryMinMs?: number;
  registerRetryMaxMs?: number;
}

export interface SipOutboundRequest {
  /** A sip: URI, or a number (dialled through the trunk). */
  to: string;
  /** Caller id (From user). */
  from?: string;
  agent?: string;
  tenantId?: string;
  /** Parley's id for the call, chosen by the dialer. */
  callId?: string;
  variables?: Record<string, string>;
}

export interface SipEndpointStats extends SipUaStats {
  activeCalls: number;
  rtpPortsInUse: number;
  registration: RegistrationState | null;
}

export class SipEndpoint {
  private readonly ua: SipUserAgent;
  private pool: RtpPortPool | null = null;
  private readonly calls = new Set<SipCall>();
  /** Call-ID, From tag and CSeq of INVITEs being answered, to spot a merged request (RFC 3261 8.2.2.2). */
  private readonly answering = new Set<string>();
  private registration: SipRegistration | null = null;
  private running = false;
  private stopping = false;
  private readonly log: Logger;
  private readonly ctx: SipCallContext;

  constructor(private readonly options: SipEndpointOptions) {
    if (!Number.isInteger(options.maxCalls) || options.maxCalls < 1) throw new RangeError(`maxCalls must be a positive integer, got ${options.maxCalls}`);
    if (options.trunk) parseSipUri(options.trunk.uri);
    this.log = options.log;
    this.ua = new SipUserAgent({
      host: options.host,
      port: options.port,
      transports: options.transports,
      publicAddress: options.publicAddress,
      clock: options.clock,
      log: options.log,
      timers: options.timers,
      maxMessageBytes: options.maxMessageBytes,
      tcpIdleMs: options.tcpIdleMs,
      contactUser: options.trunk?.username ?? 'parley',
      handler: {
        invite: (invite) => this.onInvite(invite),
        options: (_request, inCall) => this.optionsAnswer(inCall),
      },
    });
    this.ctx = {
      ua: this.ua,
      pool: () => {
        if (!this.pool) throw new Error('the SIP endpoint is not started');
        return this.pool;
      },
      clock: options.clock,
      log: options.log,
      acceptor: options.acceptor,
      codecs: options.codecs ?? ['PCMU', 'PCMA'],
      ringTimeoutMs: options.ringTimeoutMs ?? 60_000,
      transferTimeoutMs: options.transferTimeoutMs ?? 60_000,
      retryAfterS: options.retryAfterS ?? 30,
      target: (to) => dialTarget(to, options.trunk),
      fromFor: (target, callerId) => this.fromFor(target, callerId),
      dialBridge: (to) => this.dialBridge(to),
      ended: (call) => this.calls.delete(call),
    };
  }

  async start(): Promise<void> {
    if (this.running) return;
    if (!isIP(this.options.host)) throw new Error(`SIP host must be an IP address (RTP binds to it), got "${this.options.host}"`);
    const pool = new RtpPortPool({ host: this.options.host, min: this.options.rtp.min, max: this.options.rtp.max });
    await this.ua.start();
    this.pool = pool;
    this.running = true;
    this.stopping = false;
    const trunk = this.options.trunk;
    if (trunk?.register) {
      if (!trunk.username) throw new Error('registering at the SIP trunk needs trunk.username');
      this.registration = new SipRegistration({
        ua: this.ua,
        clock: this.options.clock,
        log: this.log,
        registrar: trunk.uri,
        user: trunk.username,
        credentials: trunk.password ? { username: trunk.username, password: trunk.password } : null,
        transport: trunk.transport,
        expiresS: trunk.registerExpiresS,
        retryMinMs: this.options.registerRetryMinMs,
        retryMaxMs: this.options.registerRetryMaxMs,
      });
      this.registration.start();
    }
    this.log.info({ host: this.options.host, port: this.ua.port, transports: this.options.transports, advertised: this.ua.advertisedHost }, 'SIP endpoint listening');
  }

  /** Hangs up every call (BYE), unregisters, and closes the sockets. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.stopping = true;
    const closing = [...this.calls].map((call) => call.end('server shutting down', { signal: true, tellAgent: true }));
    await this.bounded(Promise.allSettled(closing));
    if (this.registration) await this.bounded(this.registration.stop().catch(() => undefined));
    this.registration = null;
    await this.ua.stop();
    this.running = false;
    this.log.info('SIP endpoint stopped');
  }

  /** The port SIP listens on (after start). */
  get port(): number {
    return this.ua.port;
  }

  get activeCalls(): number {
    return this.calls.size;
  }

  get hasTrunk(): boolean {
    return Boolean(this.options.trunk);
  }

  get registrationState(): RegistrationState | null {
    return this.registration?.state ?? null;
  }

  stats(): SipEndpointStats {
    return { ...this.ua.stats(), activeCalls: this.calls.size, rtpPortsInUse: this.pool?.inUse ?? 0, registration: this.registrationState };
  }

  /**
   * Places an outbound call: resolves with Parley's call id once it was answered and the agent has
   * it; rejects with SipCallFailedError naming the SIP status (busy, no answer, ...).
   */
  async call(request: SipOutboundRequest): Promise<{ callId: string }> {
    if (!this.running || this.stopping) throw new SipCallFailedError(503, 'the SIP endpoint is not running');
    if (this.calls.size >= this.options.maxCalls) throw new SipCallFailedError(503, `the SIP endpoint is at capacity (${this.options.maxCalls} calls)`);
    const target = dialTarget(request.to, this.options.trunk);
    const from = this.fromFor(target, request.from);
    const call = new SipCall(this.ctx, 'outbound', newCallId(this.ua.advertisedHost));
    this.calls.add(call);
    const info: Omit<PhoneCallInfo, 'externalId'> = {
      transport: 'sip',
      direction: 'outbound',
      from: request.from ?? userOfNameAddr(from),
      to: request.to,
      callId: request.callId,
      agent: request.agent,
      tenantId: request.tenantId,
      variables: request.variables ?? {},
    };
    const callId = await call.dial(target, from, info);
    return { callId: callId ?? request.callId ?? call.externalId };
  }

  // ---- inbound -------------------------------------------------------------------------------

  private onInvite(invite: IncomingInvite): void {
    const request = invite.request;
    const retryAfter: [string, string] = ['Retry-After', String(this.ctx.retryAfterS)];
    if (!this.running || this.stopping) {
      invite.reject(503, { reason: 'Service Unavailable (shutting down)', headers: [retryAfter] });
      return;
    }
    if (this.calls.size >= this.options.maxCalls) {
      invite.reject(503, { reason: 'Service Unavailable (at capacity)', headers: [retryAfter] });
      return;
    }
    if (request.body.length > 0 && request.contentType !== 'application/sdp') {
      invite.reject(415, { headers: [['Accept', 'application/sdp']] });
      return;
    }
    const merged = `${request.callId}|${request.fromTag ?? ''}|${request.cseq.seq}`;
    if (this.answering.has(merged)) {
      invite.reject(482);
      return;
    }
    const dialled = dialledUser(request);
    let route: SipRouteRule | undefined;
    if (this.options.routes.length > 0) {
      const found = routeFor(
        this.options.routes.map((r) => ({ match: r.match, agent: r.agent, tenant: r.tenantId })),
        dialled,
      );
      if (!found) {
        this.log.info({ dialled }, 'inbound SIP call with no route');
        invite.reject(404, { reason: 'Not Found (no route for the dialled number)' });
        return;
      }
      route = { match: found.match, agent: found.agent, tenantId: found.tenant };
    }
    const info: PhoneCallInfo = {
      transport: 'sip',
      direction: 'inbound',
      from: callerOf(request),
      to: dialled,
      externalId: request.callId,
      agent: route?.agent,
      tenantId: route?.tenantId,
      variables: {},
    };
    const call = new SipCall(this.ctx, 'inbound', request.callId);
    this.calls.add(call);
    this.answering.add(merged);
    call
      .answer(invite, info)
      .catch((err: unknown) => {
        this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'inbound SIP call failed');
        invite.reject(500);
        return call.end('internal error', { signal: true, tellAgent: true });
      })
      .finally(() => this.answering.delete(merged));
  }

  private optionsAnswer(inCall: boolean): { status: number; reason?: string; headers: Array<[string, string]> } {
    const calls = this.calls.size;
    const max = this.options.maxCalls;
    const headers: Array<[string, string]> = [['X-Parley-Load', `calls=${calls};max=${max}`]];
    // Inside a call an OPTIONS is a keep-alive: the call is fine whatever the load.
    if (inCall) return { status: 200, headers };
    if (this.stopping || !this.running) return { status: 503, reason: 'Service Unavailable (shutting down)', headers: [...headers, ['Retry-After', String(this.ctx.retryAfterS)]] };
    if (calls >= max) return { status: 503, reason: 'Service Unavailable (at capacity)', headers: [...headers, ['Retry-After', String(this.ctx.retryAfterS)]] };
    return { status: 200, headers };
  }

  // ---- outbound helpers ----------------------------------------------------------------------

  private fromFor(target: DialTarget, callerId?: string): string {
    if (callerId && /^sips?:/i.test(callerId.trim())) return `<${callerId.trim()}>`;
    const trunk = this.options.trunk;
    const user = escapeUser(callerId?.trim() || (target.viaTrunk ? (trunk?.fromUser ?? trunk?.username) : undefined) || 'parley');
    if (target.viaTrunk && trunk) {
      const t = parseSipUri(trunk.uri);
      return `<sip:${user}@${formatHostPort(t.host, t.port)}>`;
    }
    return `<${this.ua.localUri(user)}>`;
  }

  private async dialBridge(to: string): Promise<SipCall> {
    if (this.stopping) throw new SipCallFailedError(503, 'the SIP endpoint is shutting down');
    if (this.calls.size >= this.options.maxCalls) throw new SipCallFailedError(503, `the SIP endpoint is at capacity (${this.options.maxCalls} calls)`);
    const target = dialTarget(to, this.options.trunk);
    const call = new SipCall(this.ctx, 'outbound', newCallId(this.ua.advertisedHost), true);
    this.calls.add(call);
    await call.dial(target, this.fromFor(target), null);
    return call;
  }

  private bounded(work: Promise<unknown>): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.options.clock.setTimeout(resolve, this.options.stopTimeoutMs ?? 3000);
      void work.finally(() => {
        timer.cancel();
        resolve();
      });
    });
  }
}

/** The dialled number / user: the Request-URI's user part, else the To URI's. */
export function dialledUser(request: SipRequest): string {
  try {
    const uri = parseSipUri(request.uri);
    if (uri.user) return userText(uri);
  } catch {
    // A Request-URI the parser accepted is a SIP URI; fall through to To regardless.
  }
  return userOfNameAddr(request.headers.get('To') ?? '');
}

/** The caller as the line gives it: the From URI's user part, else the whole URI. */
function callerOf(request: SipRequest): string {
  const from = request.headers.get('From') ?? '';
  return userOfNameAddr(from) || safeUri(from);
}

function userOfNameAddr(value: string): string {
  try {
    const uri = parseSipUri(parseNameAddr(value).uri);
    return uri.user ? userText(uri) : '';
  } catch {
    return '';
  }
}

function safeUri(value: string): string {
  try {
    return parseNameAddr(value).uri;
  } catch {
    return '';
  }
}
