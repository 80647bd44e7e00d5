// The simulated Twilio account: its calls and what happened on them, kept per simulator (per
// SimControl) so tests can place and receive calls, reach a call's media stream to speak and
// listen as the caller, and read what the call did (said, dialled, errors).
import { systemClock, type Clock } from '../../src/clock.js';
import type { SimControl } from '../sim-control.js';
import type { TwilioMediaStreamClient } from './media-stream-client.js';
import { twilioSid } from './media-stream-client.js';
import { runTwiml, type TwimlSource } from './twiml-runner.js';
import { sendWebhook } from './webhook-request.js';

export type SimCallStatus = 'queued' | 'ringing' | 'in-progress' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'canceled';

/** One `<Dial>` the call ran: where the caller went. */
export type SimDial = { target: string; kind: 'number' | 'sip' | 'client'; answerOnBridge: boolean };

/** The account the simulator serves (its auth token is `control.keys.twilio`). */
export const SIM_TWILIO_ACCOUNT_SID = 'ACd0c5e7a1b2c3d4e5f60718293a4b5c6d';

export class SimTwilioCall {
  status: SimCallStatus = 'queued';
  readonly dateCreated = new Date();
  dateUpdated = new Date();
  startTime: Date | null = null;
  endTime: Date | null = null;
  /** `<Say>` texts, in order. */
  readonly said: string[] = [];
  /** `<Play>` URLs and `<Play digits>`, in order. */
  readonly played: string[] = [];
  readonly dialed: SimDial[] = [];
  /** What Twilio's debugger would show: "11200 HTTP retrieval failure: …". */
  readonly errors: string[] = [];
  /** Every media stream the call opened, the latest last. */
  readonly streams: TwilioMediaStreamClient[] = [];
  /** Bumped whenever the call's TwiML is replaced or the call ends: a running document stops. */
  generation = 0;

  constructor(
    readonly sid: string,
    readonly accountSid: string,
    readonly direction: 'inbound' | 'outbound-api',
    readonly from: string,
    readonly to: string,
    readonly statusCallback: string | null,
  ) {}

  get stream(): TwilioMediaStreamClient | null {
    return this.streams.at(-1) ?? null;
  }

  get isLive(): boolean {
    return this.status === 'queued' || this.status === 'ringing' || this.status === 'in-progress';
  }

  /** Seconds from answer to end (0 before the end). */
  get durationS(): number {
    return this.startTime && this.endTime ? Math.round((this.endTime.getTime() - this.startTime.getTime()) / 1000) : 0;
  }

  /** The parameters Twilio posts to the call's URLs. */
  webhookParams(): Record<string, string> {
    return {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: this.sid,
      CallStatus: this.status,
      Called: this.to,
      Caller: this.from,
      Direction: this.direction,
      From: this.from,
      To: this.to,
    };
  }
}

export type PlaceCallRequest = { to: string; from: string; url?: string; method?: 'GET' | 'POST'; twiml?: string; statusCallback?: string };

export class TwilioSim {
  readonly accountSid = SIM_TWILIO_ACCOUNT_SID;
  /** The clock of the calls' media streams (pacing, playout); real time by default. */
  clock: Clock = systemClock;
  /** Ringing time of an outbound call before it is answered. */
  answerDelayMs = 20;
  readonly calls = new Map<string, SimTwilioCall>();

  constructor(readonly control: SimControl) {}

  get authToken(): string {
    return this.control.keys.twilio;
  }

  /** REST `Calls.json`: the call is queued, rings, is answered and runs its TwiML. */
  placeCall(request: PlaceCallRequest): SimTwilioCall {
    const call = new SimTwilioCall(twilioSid('CA'), this.accountSid, 'outbound-api', request.from, request.to, request.statusCallback ?? null);
    this.calls.set(call.sid, call);
    const source: TwimlSource = request.twiml !== undefined ? { twiml: request.twiml } : { url: request.url!, method: request.method ?? 'POST' };
    setTimeout(() => {
      if (call.status !== 'queued') return;
      this.setStatus(call, 'ringing');
      setTimeout(() => {
        if (call.status !== 'ringing') return;
        this.answered(call);
        void runTwiml(this, call, source, call.generation);
      }, this.answerDelayMs);
    }, 0);
    return call;
  }

  /** A call to one of the account's numbers: Twilio asks `url` (the number's voice webhook) for TwiML. */
  incomingCall(request: { url: string; from: string; to: string; method?: 'GET' | 'POST' }): SimTwilioCall {
    const call = new SimTwilioCall(twilioSid('CA'), this.accountSid, 'inbound', request.from, request.to, null);
    this.calls.set(call.sid, call);
    this.setStatus(call, 'ringing');
    this.answered(call);
    void runTwiml(this, call, { url: request.url, method: request.method ?? 'POST' }, call.generation);
    return call;
  }

  /** Replaces the TwiML of a live call (REST update with Twiml or Url): its stream stops first. */
  redirect(call: SimTwilioCall, source: TwimlSource): void {
    call.generation++;
    const stream = call.stream;
    if (stream?.isOpen) void stream.hangup();
    void runTwiml(this, call, source, call.generation);
  }

  /** Ends the call with `status`; its stream gets `stop`, the status callback is told. */
  end(call: SimTwilioCall, status: SimCallStatus): void {
    if (!call.isLive) return;
    call.generation++;
    call.endTime = new Date();
    this.setStatus(call, status);
    const stream = call.stream;
    if (stream?.isOpen) void stream.hangup();
    if (call.statusCallback) {
      const params = { ...call.webhookParams(), CallDuration: String(call.durationS) };
      void sendWebhook(call.statusCallback, params, this.authToken).then((r) => {
        if ('error' in r) call.errors.push(`15003 status callback failed: ${r.error}`);
        else if (r.status >= 400) call.errors.push(`15003 status callback failed: HTTP ${r.status}`);
        this.changed();
      });
    }
  }

  setStatus(call: SimTwilioCall, status: SimCallStatus): void {
    call.status = status;
    call.dateUpdated = new Date();
    this.changed();
  }

  /** Wakes `waitFor`s (calls change status, streams open and close). */
  changed(): void {
    this.control.notify();
  }

  /** Resolves with the first value `check` returns that is not undefined, re-checked on every change. */
  waitFor<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
    return this.control.waitFor(check, timeoutMs);
  }

  /** The call's media stream once it is open (started). */
  openStream(call: SimTwilioCall, timeoutMs = 5000): Promise<TwilioMediaStreamClient> {
    return this.waitFor(() => (call.stream?.isOpen ? call.stream : undefined), timeoutMs);
  }

  private answered(call: SimTwilioCall): void {
    call.startTime = new Date();
    this.setStatus(call, 'in-progress');
  }
}

const sims = new WeakMap<SimControl, TwilioSim>();

/** The simulated Twilio account of a simulator. */
export function twilioSim(control: SimControl): TwilioSim {
  let sim = sims.get(control);
  if (!sim) {
    sim = new TwilioSim(control);
    sims.set(control, sim);
  }
  return sim;
}
