// One Twilio Media Streams WebSocket, Twilio's side in: `start` names the call and hands a
// TwilioMediaLeg to the acceptor; caller audio, keys, mark echoes and `stop` follow in sequence
// order. A bad message is logged and skipped and the call goes on; a refused call closes the
// socket, which makes Twilio move past <Connect> and hang up.
import type { Logger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { muLawDecode } from '../../audio/g711.js';
import type { Clock, TimerHandle } from '../../clock.js';
import { PhoneCallRefusedError, type PhoneCallAcceptor, type PhoneCallInfo, type PhoneLegEvents } from '../phone/phone-leg.js';
import { newStreamStats, TwilioMediaLeg } from './twilio-media-leg.js';
import type { TwilioRestClient } from './twilio-rest.js';
import { mediaBytes, parseStreamMessage, type StartMessage, type StreamMessage } from './twilio-stream-messages.js';

export type TwilioMediaStreamDeps = {
  acceptor: PhoneCallAcceptor;
  clock: Clock;
  log: Logger;
  rest?: TwilioRestClient;
  /** A mark after this many agent frames (default 5: 100 ms of playout resolution). */
  markEveryFrames?: number;
  /** A socket that sends no `start` in this long is closed (default 10 s). */
  startTimeoutMs?: number;
};

/** Stream parameters Parley's TwiML sets for itself; the rest become the agent's variables. */
const RESERVED_PARAMETERS = new Set(['callSid', 'from', 'to', 'direction', 'agent', 'tenant', 'parley_call_id']);
/** Caller audio kept while the agent is being set up: 10 s of 20 ms frames. */
const MAX_HELD = 500;
/** Messages held back waiting for a missing sequence number before the gap is given up on. */
const REORDER_WINDOW = 8;
/** Skipped messages logged one by one per stream; after that, one line per this many. */
const IGNORED_LOGGED = 20;
const IGNORED_LOG_EVERY = 500;

type State = 'waiting' | 'accepting' | 'live' | 'ended';

export class TwilioMediaStream {
  private state: State = 'waiting';
  private leg: TwilioMediaLeg | null = null;
  private events: PhoneLegEvents | null = null;
  private held: StreamMessage[] = [];
  private heldDropped = 0;
  private socketClosed = false;
  private nextSeq: number | null = null;
  private readonly reorder = new Map<number, StreamMessage>();
  private readonly stats = newStreamStats();
  private startTimer: TimerHandle | null;
  private log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: TwilioMediaStreamDeps,
  ) {
    this.log = deps.log;
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'Twilio media socket error'));
    this.startTimer = deps.clock.setTimeout(() => {
      if (this.state !== 'waiting') return;
      this.log.warn({}, 'Twilio media socket sent no "start": closing it');
      this.state = 'ended';
      ws.close(1008, 'no start message');
    }, deps.startTimeoutMs ?? 10_000);
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    this.stats.messagesIn++;
    if (isBinary) return this.ignore('binary frame (Twilio media streams carry JSON text)');
    const parsed = parseStreamMessage(toBuffer(data).toString('utf8'));
    if (!parsed.ok) {
      if (parsed.event === 'start' && this.state === 'waiting') return this.refuseStream(1008, 'invalid start message', parsed.reason);
      return this.ignore(parsed.reason);
    }
    const message = parsed.message;
    if (message.event === 'connected') {
      this.log.debug({ protocol: message.protocol, version: message.version }, 'Twilio media stream connected');
      return;
    }
    if (message.event === 'start') return this.onStart(message);
    this.onStreamMessage(message);
  }

  private onStart(message: StartMessage): void {
    if (this.state !== 'waiting') return this.ignore('a second "start" on one stream');
    this.startTimer?.cancel();
    this.startTimer = null;
    const start = message.start;
    this.log = this.deps.log.child({ call_sid: start.callSid, stream_sid: start.streamSid });
    const format = start.mediaFormat;
    if (format.encoding !== 'audio/x-mulaw' || format.sampleRate !== 8000 || format.channels !== 1) {
      return this.refuseStream(1003, 'unsupported media format', `media format ${format.encoding} ${format.sampleRate} Hz ${format.channels} ch; Parley takes audio/x-mulaw 8000 Hz mono`);
    }
    const params = this.stringParameters(start.customParameters ?? {});
    const variables: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) {
      if (!RESERVED_PARAMETERS.has(name)) variables[name.startsWith('parley_') ? name.slice('parley_'.length) : name] = value;
    }
    const info: PhoneCallInfo = {
      transport: 'twilio',
      direction: params.direction?.startsWith('outbound') ? 'outbound' : 'inbound',
      from: params.from ?? '',
      to: params.to ?? '',
      externalId: start.callSid,
      callId: params.parley_call_id,
      agent: params.agent,
      tenantId: params.tenant,
      variables,
    };
    if (message.sequenceNumber !== undefined) this.nextSeq = message.sequenceNumber + 1;
    const leg = new TwilioMediaLeg(this.ws, start.callSid, start.streamSid, {
      clock: this.deps.clock,
      log: this.log,
      rest: this.deps.rest,
      markEveryFrames: this.deps.markEveryFrames ?? 5,
      stats: this.stats,
    });
    this.leg = leg;
    this.state = 'accepting';
    this.deps.acceptor.accept(info, leg).then(
      ({ callId, events }) => this.onAccepted(callId, events),
      (err: unknown) => this.onRefused(err),
    );
  }

  private onAccepted(callId: string, events: PhoneLegEvents): void {
    this.log = this.log.child({ call_id: callId });
    this.events = events;
    this.state = 'live';
    this.log.info({}, 'Twilio call connected to its agent');
    if (this.heldDropped > 0) this.log.warn({ frames: this.heldDropped }, 'caller audio dropped while the agent was being set up');
    const held = this.held;
    this.held = [];
    for (const message of held) this.deliver(message);
    if (this.socketClosed) this.finish();
  }

  private onRefused(err: unknown): void {
    if (err instanceof PhoneCallRefusedError) this.log.warn({ reason: err.reason, err: err.message }, 'Twilio call refused');
    else this.log.error({ err: err instanceof Error ? err.message : String(err) }, 'Twilio call could not start');
    this.state = 'ended';
    this.held = [];
    this.leg?.streamEnded();
    this.leg?.close(1000, 'call refused');
  }

  private onStreamMessage(message: StreamMessage): void {
    const leg = this.leg;
    if (!leg || this.state === 'waiting') return this.ignore(`"${message.event}" before "start"`);
    if (message.streamSid !== leg.streamSid) return this.ignore(`"${message.event}" for stream ${message.streamSid}, not this stream (${leg.streamSid})`);
    const seq = message.sequenceNumber;
    if (seq === undefined || this.nextSeq === null) return this.dispatch(message);
    if (seq < this.nextSeq || this.reorder.has(seq)) return this.ignore(`"${message.event}" with sequence number ${seq} repeated or too late (next is ${this.nextSeq})`);
    if (seq > this.nextSeq) {
      // Out of order: held until the missing ones arrive, or given up on once the window is full.
      this.reorder.set(seq, message);
      if (this.reorder.size > REORDER_WINDOW) {
        const first = Math.min(...this.reorder.keys());
        this.log.warn({ from: this.nextSeq, to: first - 1 }, 'Twilio stream messages missing: skipped');
        this.nextSeq = first;
        this.drainReorder();
      }
      return;
    }
    this.nextSeq++;
    this.dispatch(message);
    this.drainReorder();
  }

  private drainReorder(): void {
    while (this.nextSeq !== null && this.reorder.has(this.nextSeq)) {
      const message = this.reorder.get(this.nextSeq)!;
      this.reorder.delete(this.nextSeq);
      this.nextSeq++;
      this.dispatch(message);
    }
  }

  /** In sequence order: to the agent, or held while the agent is set up. */
  private dispatch(message: StreamMessage): void {
    if (this.state === 'live') return this.deliver(message);
    if (this.state !== 'accepting') return;
    if (this.held.length >= MAX_HELD) {
      const at = this.held.findIndex((m) => m.event === 'media');
      if (at >= 0) {
        this.held.splice(at, 1);
        this.heldDropped++;
      }
    }
    this.held.push(message);
  }

  private deliver(message: StreamMessage): void {
    const events = this.events!;
    switch (message.event) {
      case 'media': {
        // A <Start> fork can carry the outbound track too; the caller is the inbound one.
        if (message.media.track !== undefined && message.media.track !== 'inbound') return;
        const bytes = mediaBytes(message);
        if (bytes.length === 0) return this.ignore('"media" with an empty payload');
        this.stats.mediaIn++;
        this.safely(() => events.audio(muLawDecode(bytes)));
        return;
      }
      case 'dtmf':
        this.stats.dtmfIn++;
        this.safely(() => events.dtmf(message.dtmf.digit.toUpperCase()));
        return;
      case 'mark':
        this.leg!.markEchoed(message.mark.name);
        return;
      case 'stop':
        this.finish();
        return;
    }
  }

  private onClose(): void {
    this.startTimer?.cancel();
    this.socketClosed = true;
    // What waited for a missing message is still the caller's: delivered in order.
    for (const seq of [...this.reorder.keys()].sort((a, b) => a - b)) {
      const message = this.reorder.get(seq)!;
      this.reorder.delete(seq);
      this.dispatch(message);
    }
    if (this.state === 'live') this.finish();
    else if (this.state === 'waiting') this.state = 'ended';
  }

  /** The stream is over: the agent side hears why, once. */
  private finish(): void {
    if (this.state !== 'live') return;
    this.state = 'ended';
    const reason = this.leg!.streamEnded();
    this.log.info({ reason, ...this.stats }, 'Twilio media stream ended');
    const events = this.events!;
    this.safely(() => events.ended(reason));
  }

  private refuseStream(code: number, closeReason: string, why: string): void {
    this.log.error({ reason: why }, 'Twilio media stream refused');
    this.state = 'ended';
    this.startTimer?.cancel();
    this.ws.close(code, closeReason);
  }

  private stringParameters(raw: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(raw)) {
      if (typeof value === 'string') out[name] = value;
      else this.ignore(`custom parameter "${name}" is not a string`);
    }
    return out;
  }

  private ignore(reason: string): void {
    const n = ++this.stats.ignored;
    if (n <= IGNORED_LOGGED || n % IGNORED_LOG_EVERY === 0) this.log.warn({ reason, ignored: n }, 'Twilio stream message ignored');
  }

  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'the agent side failed on a Twilio stream event');
    }
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
