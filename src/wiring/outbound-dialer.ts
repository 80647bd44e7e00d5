// Places outbound phone calls for the API (`POST /v1/calls`): through the SIP endpoint (a sip: URI,
// or a number when a SIP trunk is configured) or through Twilio's REST API (a number, when Twilio
// credentials are set). The call id is chosen here and is the one the call is stored under.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { PhoneTransport } from '../transports/phone/phone-leg.js';
import type { PhoneCalls } from './phone-calls.js';

export type DialRequest = {
  tenantId: string;
  to: string;
  from?: string;
  transport?: PhoneTransport;
  /** Agent name or id in the tenant; default the tenant's default agent. */
  agent?: string;
  variables: Record<string, string>;
};

/** The SIP endpoint as the dialer uses it. */
export interface SipDialer {
  /** Places the call; resolves once it was answered and the agent has it, rejects with the SIP failure. */
  call(request: { to: string; from?: string; agent?: string; tenantId?: string; callId?: string; variables?: Record<string, string> }): Promise<{ callId: string }>;
  /** Whether `to` (a number) can be reached: a trunk is configured. */
  readonly hasTrunk: boolean;
}

/** Twilio's REST API as the dialer uses it. */
export interface TwilioDialer {
  createCall(p: { to: string; from: string; url: string }): Promise<{ sid: string; status: string }>;
}

export class DialError extends Error {
  constructor(
    readonly status: 400 | 404 | 502 | 503,
    message: string,
  ) {
    super(message);
    this.name = 'DialError';
  }
}

export type OutboundDialerDeps = {
  phoneCalls: PhoneCalls;
  sip: SipDialer | null;
  twilio: { rest: TwilioDialer; from?: string; voiceUrl: string | null } | null;
  log: Logger;
  /** Rejects (DialError 404) when the agent does not exist in the tenant. */
  checkAgent(tenantId: string, agent: string | undefined): Promise<void>;
  accepting(): boolean;
};

export class OutboundDialer {
  constructor(private readonly deps: OutboundDialerDeps) {}

  /** Starts dialling; resolves once the call was handed to its transport (not when answered). */
  async dial(request: DialRequest): Promise<{ callId: string; transport: PhoneTransport }> {
    if (!this.deps.accepting()) throw new DialError(503, 'this server is shutting down');
    const transport = this.transportFor(request);
    await this.deps.checkAgent(request.tenantId, request.agent);
    const callId = randomUUID();
    const log = this.deps.log.child({ call_id: callId });
    if (transport === 'sip') {
      const sip = this.deps.sip;
      if (!sip) throw new DialError(503, 'the SIP endpoint is not running');
      sip
        .call({ to: request.to, from: request.from, agent: request.agent, tenantId: request.tenantId, callId, variables: request.variables })
        .catch((err: unknown) => log.warn({ to: request.to, err: err instanceof Error ? err.message : String(err) }, 'outbound call failed'));
      return { callId, transport };
    }
    const twilio = this.deps.twilio;
    if (!twilio) throw new DialError(503, 'Twilio is not configured (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN)');
    if (!twilio.voiceUrl) throw new DialError(503, 'Twilio calls need the public URL Twilio reaches this server at (telephony.publicUrl, PARLEY_PUBLIC_URL)');
    const from = request.from ?? twilio.from;
    if (!from) throw new DialError(400, 'no caller id: pass "from" or configure telephony.twilio.from');
    this.deps.phoneCalls.expect(callId, { tenantId: request.tenantId, agent: request.agent, variables: request.variables, to: request.to });
    const url = new URL(twilio.voiceUrl);
    url.searchParams.set('parley_call_id', callId);
    try {
      const created = await twilio.rest.createCall({ to: request.to, from, url: url.toString() });
      log.info({ to: request.to, call_sid: created.sid, status: created.status }, 'outbound call placed through Twilio');
    } catch (err) {
      this.deps.phoneCalls.forget(callId);
      throw new DialError(502, `Twilio refused the call: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { callId, transport };
  }

  private transportFor(request: DialRequest): PhoneTransport {
    if (request.transport) {
      if (request.transport === 'twilio' && /^sips?:/i.test(request.to)) throw new DialError(400, 'Twilio calls go to phone numbers, not SIP URIs');
      return request.transport;
    }
    if (/^sips?:/i.test(request.to)) return 'sip';
    if (this.deps.twilio) return 'twilio';
    if (this.deps.sip?.hasTrunk) return 'sip';
    throw new DialError(503, 'no way to reach a phone number: configure Twilio or a SIP trunk, or dial a sip: URI');
  }
}
