// The phone side of the composition root: turns a call arriving on a phone transport (or an
// outbound one that was answered) into an agent Session on a PhoneBridge, keeps the live phone calls
// (for draining, shutdown and call control), and remembers outbound calls placed through Twilio
// until their media stream connects.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { routeFor, type PhoneRoute } from '../config-telephony.js';
import type { Session } from '../session/session.js';
import { PhoneBridge } from '../transports/phone/phone-bridge.js';
import { PhoneCallRefusedError, PHONE_SAMPLE_RATE, type PhoneCallAcceptor, type PhoneCallInfo, type PhoneLeg, type PhoneLegEvents } from '../transports/phone/phone-leg.js';
import { SessionRefusedError } from '../transports/browser-ws/voice-connection.js';

/** What an outbound call was placed with, until its line connects. */
export type PendingOutbound = { tenantId: string; agent: string | undefined; variables: Record<string, string>; to: string };

/** A phone call to build: who, which agent, which tenant, on which leg. */
export type PhoneSessionRequest = {
  callId: string;
  tenantId: string;
  agent: string | undefined;
  info: PhoneCallInfo;
  leg: PhoneLeg;
  variables: Record<string, string>;
  sendAudio: (frame: Int16Array, dueAt: number) => void;
};

export type PhoneCallsDeps = {
  log: Logger;
  routes: () => readonly PhoneRoute[];
  defaultTenantId: string;
  sessionSampleRate: number;
  /** Builds (not starts) the session; throws SessionRefusedError when the call may not start. */
  buildSession(request: PhoneSessionRequest): Promise<Session>;
  /** False while the server drains. */
  accepting(): boolean;
  /** How long an outbound call may take to connect before its record is dropped. */
  pendingTtlMs?: number;
};

type LiveCall = { session: Session; leg: PhoneLeg; tenantId: string };

export class PhoneCalls implements PhoneCallAcceptor {
  private readonly live = new Map<string, LiveCall>();
  private readonly pending = new Map<string, { outbound: PendingOutbound; timer: NodeJS.Timeout }>();

  constructor(private readonly deps: PhoneCallsDeps) {}

  get size(): number {
    return this.live.size;
  }

  sessions(): Session[] {
    return [...this.live.values()].map((c) => c.session);
  }

  /** The leg and tenant of a live phone call in this process. */
  call(callId: string): LiveCall | undefined {
    return this.live.get(callId);
  }

  /** Remembers an outbound call about to be placed; its line will present `callId`. */
  expect(callId: string, outbound: PendingOutbound): void {
    const timer = setTimeout(() => this.pending.delete(callId), this.deps.pendingTtlMs ?? 120_000);
    timer.unref();
    this.pending.set(callId, { outbound, timer });
  }

  /** An outbound call that will not connect (the dial failed). */
  forget(callId: string): void {
    const entry = this.pending.get(callId);
    if (entry) clearTimeout(entry.timer);
    this.pending.delete(callId);
  }

  async accept(info: PhoneCallInfo, leg: PhoneLeg): Promise<{ callId: string; events: PhoneLegEvents }> {
    if (!this.deps.accepting()) throw new PhoneCallRefusedError('unavailable', 'this server is shutting down');
    // A call id the line presents counts only if this process placed that call: a forged id gets a
    // fresh one and ordinary routing.
    const placed = info.callId ? this.pending.get(info.callId)?.outbound : undefined;
    if (placed && info.callId) this.forget(info.callId);
    // This process's SIP endpoint places its calls under the id the dialer chose (and returned).
    const ownSip = info.transport === 'sip' && info.direction === 'outbound' && info.tenantId !== undefined;
    const callId = info.callId && (placed || ownSip) ? info.callId : randomUUID();
    let tenantId: string;
    let agent: string | undefined;
    if (placed) {
      tenantId = placed.tenantId;
      agent = placed.agent;
    } else if (ownSip && info.tenantId) {
      // Placed by this process's SIP endpoint, which hands the request's tenant and agent over
      // itself. (A Twilio stream's parameters come from outside and never choose the tenant.)
      tenantId = info.tenantId;
      agent = info.agent;
    } else {
      const routes = this.deps.routes();
      const route = routeFor(routes, info.to);
      if (!route && routes.length > 0) throw new PhoneCallRefusedError('no_route', `no route for dialled number "${info.to}"`);
      tenantId = route?.tenant ?? this.deps.defaultTenantId;
      agent = route?.agent ?? info.agent;
    }
    const variables = { ...info.variables, ...(placed?.variables ?? {}), caller: info.from, called: info.to };
    const bridge = new PhoneBridge(leg, { sessionSampleRate: this.deps.sessionSampleRate, log: this.deps.log });
    let session: Session;
    try {
      session = await this.deps.buildSession({ callId, tenantId, agent, info, leg, variables, sendAudio: bridge.sendAudio });
    } catch (err) {
      if (err instanceof SessionRefusedError) {
        const reason = err.code === 'unknown_agent' ? 'unknown_agent' : err.code === 'budget_exceeded' ? 'budget_exceeded' : 'unavailable';
        throw new PhoneCallRefusedError(reason, err.message);
      }
      throw err;
    }
    this.live.set(callId, { session, leg, tenantId });
    session.timeline.subscribe((e) => {
      if (e.type === 'call.ended') this.live.delete(callId);
    });
    const events = bridge.attach(session);
    session.start({ inputSampleRate: PHONE_SAMPLE_RATE, outputSampleRate: PHONE_SAMPLE_RATE });
    this.deps.log.info({ call_id: callId, transport: info.transport, direction: info.direction, from: info.from, to: info.to, external_id: info.externalId }, 'phone call started');
    return { callId, events };
  }

  /** Ends every live phone call (server shutdown). */
  endAll(reason: string): void {
    for (const { session } of [...this.live.values()]) session.end(reason);
  }
}
