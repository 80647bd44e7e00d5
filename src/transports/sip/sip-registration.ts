// Keeping Parley registered at a SIP trunk (RFC 3261 10): REGISTER with our Contact, answered
// challenges (digest), a refresh at half of what the registrar granted (the Contact's expires, else
// Expires, else what we asked for), 423 answered with the Min-Expires asked for, failures retried
// with exponential backoff (honouring Retry-After), and an unregister (Expires: 0) on stop.
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import type { DigestCredentials } from './sip-digest.js';
import { newCallId, newTag } from './sip-ids.js';
import type { SipResponse } from './sip-message.js';
import { parseNameAddr } from './sip-name-addr.js';
import { statusText } from './sip-status.js';
import type { SipTransportName } from './sip-transport.js';
import { formatHostPort, parseSipUri, userText } from './sip-uri.js';
import type { SipUserAgent } from './sip-user-agent.js';

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'failed' | 'stopped';

export interface SipRegistrationOptions {
  ua: SipUserAgent;
  clock: Clock;
  log: Logger;
  /** The trunk, `sip:host[:port]`. */
  registrar: string;
  /** The account (user part of the address of record and of our Contact). */
  user: string;
  credentials: DigestCredentials | null;
  transport?: SipTransportName;
  /** What we ask for, in seconds (default 3600). */
  expiresS?: number;
  /** First retry after a failure (default 30 s), doubling up to `retryMaxMs` (default 15 min). */
  retryMinMs?: number;
  retryMaxMs?: number;
}

export class SipRegistration {
  private stateValue: RegistrationState = 'idle';
  private readonly callId: string;
  private readonly fromTag = newTag();
  private cseq = 0;
  private timer: TimerHandle | null = null;
  private failures = 0;
  private expiresS: number;
  private granted: number | null = null;
  private inFlight: Promise<void> | null = null;
  private lastStatus: string | null = null;
  /** Called on every state change (logging, health). */
  onChange: ((state: RegistrationState, detail: string) => void) | null = null;

  constructor(private readonly options: SipRegistrationOptions) {
    this.callId = newCallId(options.ua.advertisedHost || 'parley');
    this.expiresS = options.expiresS ?? 3600;
  }

  get state(): RegistrationState {
    return this.stateValue;
  }

  /** Seconds the registrar granted in the last successful REGISTER. */
  get grantedExpiresS(): number | null {
    return this.granted;
  }

  /** The last response, e.g. "200 OK" or "403 Forbidden". */
  get lastResult(): string | null {
    return this.lastStatus;
  }

  start(): void {
    if (this.stateValue !== 'idle') return;
    this.run();
  }

  /** Stops refreshing and, if registered, unregisters (resolves when the registrar answered). */
  async stop(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    this.setState('stopped', 'stopping');
    if (this.inFlight) await this.inFlight.catch(() => undefined);
    if (!this.granted) return;
    const res = await this.register(0);
    this.options.log.info({ status: res.status }, 'SIP trunk registration removed');
  }

  private run(): void {
    if (this.stateValue === 'stopped') return;
    this.setState('registering', `expires ${this.expiresS}`);
    const attempt = this.register(this.expiresS).then((res) => this.onResult(res));
    this.inFlight = attempt.finally(() => {
      this.inFlight = null;
    });
  }

  private onResult(res: SipResponse): void {
    this.lastStatus = statusText(res.status, res.reason);
    const ok = res.status >= 200 && res.status < 300;
    // Noted even when stopping, so stop() knows there is a binding to remove.
    if (ok) this.granted = this.grantedFrom(res);
    if (this.stateValue === 'stopped') return;
    if (ok) {
      const granted = this.granted ?? 0;
      if (granted > 0) {
        this.failures = 0;
        this.setState('registered', `for ${granted} s`);
        // Refresh at half the granted time, so a lost REGISTER still has time for retries.
        this.schedule(Math.max(1000, (granted * 1000) / 2));
        return;
      }
    }
    if (res.status === 423) {
      const min = Number(res.headers.get('Min-Expires'));
      if (Number.isInteger(min) && min > this.expiresS && min <= 86_400) {
        this.expiresS = min;
        this.run();
        return;
      }
    }
    this.failures += 1;
    const retryMin = this.options.retryMinMs ?? 30_000;
    const retryMax = this.options.retryMaxMs ?? 900_000;
    let delay = Math.min(retryMax, retryMin * 2 ** (this.failures - 1));
    const retryAfter = Number(res.headers.get('Retry-After')?.split(/[;(\s]/)[0]);
    if (Number.isFinite(retryAfter) && retryAfter > 0) delay = Math.max(delay, Math.min(retryMax, retryAfter * 1000));
    this.setState('failed', `${this.lastStatus}; retrying in ${Math.round(delay / 1000)} s`);
    this.schedule(delay);
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
  }

  private async register(expires: number): Promise<SipResponse> {
    const { ua, registrar, user, credentials, transport } = this.options;
    const reg = parseSipUri(registrar);
    const domain = formatHostPort(reg.host, reg.port);
    const aor = `<sip:${user}@${domain}>`;
    const effectiveTransport = transport ?? (reg.params.get('transport') === 'tcp' ? 'tcp' : 'udp');
    const uri = `sip:${domain}${effectiveTransport === 'tcp' ? ';transport=tcp' : ''}`;
    this.cseq += 1;
    const res = await ua.request(
      {
        method: 'REGISTER',
        uri,
        from: `${aor};tag=${this.fromTag}`,
        to: aor,
        callId: this.callId,
        cseq: this.cseq,
        transport: effectiveTransport,
        headers: [
          ['Contact', ua.contactFor(user, effectiveTransport)],
          ['Expires', String(expires)],
        ],
      },
      credentials,
    );
    // An authentication retry used the next CSeq; later REGISTERs go on from there.
    try {
      this.cseq = Math.max(this.cseq, res.cseq.seq);
    } catch {
      // A made-up response (timeout) has the request's CSeq.
    }
    return res;
  }

  /** The expiry the registrar gave our binding: its Contact's expires, else Expires, else ours. */
  private grantedFrom(res: SipResponse): number {
    const ours = this.options.ua.contactFor(this.options.user, 'udp');
    const ourUri = parseSipUri(parseNameAddr(ours).uri);
    for (const value of res.headers.getAll('Contact')) {
      try {
        const contact = parseNameAddr(value);
        const uri = parseSipUri(contact.uri);
        const same = uri.host === ourUri.host && (uri.port ?? 5060) === (ourUri.port ?? 5060) && userText(uri) === userText(ourUri);
        const expires = contact.params.get('expires');
        if (same && typeof expires === 'string' && /^\d+$/.test(expires)) return Number(expires);
      } catch {
        // Another binding's Contact we cannot read is not ours.
      }
    }
    const header = res.headers.get('Expires');
    if (header !== undefined && /^\d+$/.test(header)) return Number(header);
    return this.expiresS;
  }

  private setState(state: RegistrationState, detail: string): void {
    this.stateValue = state;
    this.onChange?.(state, detail);
    const log = this.options.log;
    if (state === 'failed') log.warn({ detail }, 'SIP trunk registration failed');
    else log.debug({ state, detail }, 'SIP trunk registration');
  }
}
