// Twilio's end of a bidirectional Media Stream, written from Twilio's documented protocol: it
// opens the WebSocket (signed like Twilio's upgrade when given the auth token), sends `connected`
// and `start`, then a 20 ms μ-law `media` frame in real time (on its clock) from a caller audio
// source, `dtmf` on demand and `stop` on hang-up. What the server sends is checked as Twilio
// would (an invalid message is recorded, as Twilio's error 31951, and skipped), played out in real
// time for its marks, and dropped by `clear`.
import { randomBytes } from 'node:crypto';
import { WebSocket, type RawData } from 'ws';
import { muLawDecode, muLawEncode } from '../../src/audio/g711.js';
import { systemClock, type Clock, type TimerHandle } from '../../src/clock.js';
import { twilioSignature } from '../../src/transports/twilio/twilio-signature.js';
import { SimPlayout } from './media-playout.js';

export type StreamClientEvent = { at: number; type: string; detail?: string };
export type HeardFrame = { at: number; samples: Int16Array };
export type MediaFormat = { encoding: string; sampleRate: number; channels: number };

export type TwilioMediaStreamClientOptions = {
  /** The stream URL from `<Stream url>` (wss:// in production, ws:// on loopback). */
  url: string;
  /** Signs the upgrade (X-Twilio-Signature over the URL, no parameters) as Twilio does. */
  authToken?: string;
  /** Time for media pacing and playout; default the system clock (real time). */
  clock?: Clock;
  accountSid?: string;
  callSid?: string;
  streamSid?: string;
  /** `<Parameter>`s of the `<Stream>`, sent in `start.customParameters`. */
  customParameters?: Record<string, string>;
  /** Caller audio, PCM16 mono 8 kHz, sent from the start; more with `play()`. */
  audio?: Int16Array;
  /** Hang up once the caller audio has all been sent; default false (silence follows). */
  hangupWhenAudioEnds?: boolean;
  /** What `start` announces; default audio/x-mulaw 8000 Hz mono. */
  mediaFormat?: MediaFormat;
};

export type StreamClientCounts = {
  messagesIn: number;
  messagesOut: number;
  mediaIn: number;
  marksIn: number;
  clearsIn: number;
  /** Server messages Twilio would refuse (31951). */
  invalidIn: number;
  mediaOut: number;
  marksOut: number;
  dtmfOut: number;
};

export type StreamClose = { code: number; reason: string; by: 'client' | 'server' };

const FRAME_MS = 20;
const FRAME_SAMPLES = 160;
const RATE = 8000;

/** A Twilio-style SID: two letters and 32 hex digits. */
export function twilioSid(prefix: 'CA' | 'MZ' | 'AC'): string {
  return prefix + randomBytes(16).toString('hex');
}

export class TwilioMediaStreamClient {
  readonly streamSid: string;
  readonly callSid: string;
  readonly accountSid: string;
  readonly events: StreamClientEvent[] = [];
  readonly heardFrames: HeardFrame[] = [];
  readonly counts: StreamClientCounts = { messagesIn: 0, messagesOut: 0, mediaIn: 0, marksIn: 0, clearsIn: 0, invalidIn: 0, mediaOut: 0, marksOut: 0, dtmfOut: 0 };
  /** Called when a `clear` arrives, with the clock time. */
  onClear: ((at: number) => void) | null = null;
  /** Set when the server refused the upgrade. */
  refusal: { status: number; body: string } | null = null;
  readonly closed: Promise<StreamClose>;
  private resolveClosed!: (close: StreamClose) => void;
  private readonly clock: Clock;
  private ws: WebSocket | null = null;
  private readonly queue: Int16Array[] = [];
  private queueOffset = 0;
  private seq = 0;
  private framesSent = 0;
  private startedAt = 0;
  private mediaTimer: TimerHandle | null = null;
  private readonly playout: SimPlayout;
  private closing = false;
  private isClosed = false;

  constructor(private readonly options: TwilioMediaStreamClientOptions) {
    this.clock = options.clock ?? systemClock;
    this.streamSid = options.streamSid ?? twilioSid('MZ');
    this.callSid = options.callSid ?? twilioSid('CA');
    this.accountSid = options.accountSid ?? twilioSid('AC');
    if (options.audio) this.queue.push(options.audio.slice());
    this.playout = new SimPlayout(this.clock, (name) => this.echoMark(name));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN && !this.closing;
  }

  /** Opens the stream and sends `connected` and `start`; rejects when the server refuses. */
  async connect(): Promise<void> {
    const headers: Record<string, string> = {};
    if (this.options.authToken) headers['x-twilio-signature'] = twilioSignature(this.options.authToken, this.options.url);
    const ws = new WebSocket(this.options.url, { headers });
    this.ws = ws;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          this.refusal = { status: res.statusCode ?? 0, body };
          req.destroy();
          this.markClosed(res.statusCode ?? 0, 'upgrade refused', 'server');
          reject(new Error(`media stream refused: HTTP ${res.statusCode} ${body}`));
        });
      });
      ws.once('error', (err) => {
        this.markClosed(1006, err.message, 'server');
        reject(err);
      });
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', (code, reason) => this.markClosed(code, reason.toString(), this.closing ? 'client' : 'server'));
    ws.on('error', () => {});
    this.log('open');
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    const start = {
      streamSid: this.streamSid,
      accountSid: this.accountSid,
      callSid: this.callSid,
      tracks: ['inbound'],
      customParameters: this.options.customParameters ?? {},
      mediaFormat: this.options.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: RATE, channels: 1 },
    };
    this.send({ event: 'start', sequenceNumber: this.nextSeq(), start, streamSid: this.streamSid });
    this.startedAt = this.clock.now();
    this.scheduleMedia();
  }

  /** Queues caller audio (PCM16 mono 8 kHz) after what is still to be sent. */
  play(samples: Int16Array): void {
    this.queue.push(samples.slice());
  }

  /** Caller audio queued and not sent yet, in ms. */
  pendingAudioMs(): number {
    const samples = this.queue.reduce((n, q) => n + q.length, 0) - this.queueOffset;
    return (samples * 1000) / RATE;
  }

  /** The caller presses a key. */
  pressDigit(digit: string): void {
    if (!/^[0-9*#A-D]$/.test(digit)) throw new RangeError(`"${digit}" is not a keypad key`);
    this.send({ event: 'dtmf', streamSid: this.streamSid, sequenceNumber: this.nextSeq(), dtmf: { track: 'inbound_track', digit } });
    this.counts.dtmfOut++;
    this.log('dtmf.sent', digit);
  }

  /** The caller hangs up: `stop`, then the socket closes. */
  async hangup(): Promise<StreamClose> {
    if (this.isOpen) {
      this.send({ event: 'stop', sequenceNumber: this.nextSeq(), streamSid: this.streamSid, stop: { accountSid: this.accountSid, callSid: this.callSid } });
      this.closing = true;
      this.ws!.close(1000, 'call ended');
    }
    this.stopTimers();
    return this.closed;
  }

  /** Sends a text frame as it is (fault tests: what real Twilio would never send). */
  sendRaw(text: string): void {
    if (this.ws?.readyState !== WebSocket.OPEN) throw new Error('media stream is not open');
    this.ws.send(text);
    this.counts.messagesOut++;
  }

  /** A sequence number for a hand-made message (fault tests), counted like the client's own. */
  nextSeq(): string {
    return String(++this.seq);
  }

  /** Everything the server sent as media, decoded, in arrival order (PCM16 8 kHz). */
  heard(): Int16Array {
    const total = this.heardFrames.reduce((n, f) => n + f.samples.length, 0);
    const out = new Int16Array(total);
    let at = 0;
    for (const f of this.heardFrames) {
      out.set(f.samples, at);
      at += f.samples.length;
    }
    return out;
  }

  /** Server audio not yet played out (it would be dropped by a clear now). */
  heldMs(): number {
    return this.playout.heldMs();
  }

  private scheduleMedia(): void {
    // Frame n covers [n*20, (n+1)*20) ms of the call and leaves once it has been captured.
    const due = this.startedAt + (this.framesSent + 1) * FRAME_MS;
    this.mediaTimer = this.clock.setTimeout(() => this.sendFrame(), Math.max(0, due - this.clock.now()));
  }

  private sendFrame(): void {
    this.mediaTimer = null;
    if (!this.isOpen) return;
    const frame = this.takeFrame();
    if (!frame && this.options.hangupWhenAudioEnds) {
      void this.hangup();
      return;
    }
    const samples = frame ?? new Int16Array(FRAME_SAMPLES);
    const payload = Buffer.from(muLawEncode(samples)).toString('base64');
    const chunk = ++this.framesSent;
    this.send({
      event: 'media',
      sequenceNumber: this.nextSeq(),
      media: { track: 'inbound', chunk: String(chunk), timestamp: String((chunk - 1) * FRAME_MS), payload },
      streamSid: this.streamSid,
    });
    this.counts.mediaOut++;
    this.scheduleMedia();
  }

  /** The next 160 samples of queued audio (the last one padded), or null when none is left. */
  private takeFrame(): Int16Array | null {
    if (this.queue.length === 0) return null;
    const out = new Int16Array(FRAME_SAMPLES);
    let filled = 0;
    while (filled < FRAME_SAMPLES && this.queue.length > 0) {
      const head = this.queue[0];
      const take = Math.min(FRAME_SAMPLES - filled, head.length - this.queueOffset);
      out.set(head.subarray(this.queueOffset, this.queueOffset + take), filled);
      filled += take;
      this.queueOffset += take;
      if (this.queueOffset >= head.length) {
        this.queue.shift();
        this.queueOffset = 0;
      }
    }
    return filled > 0 ? out : null;
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.counts.messagesIn++;
    const now = this.clock.now();
    if (isBinary) return this.invalid('binary frame');
    let msg: unknown;
    try {
      msg = JSON.parse(toBuffer(data).toString('utf8'));
    } catch {
      return this.invalid('not JSON');
    }
    const problem = problemOf(msg, this.streamSid);
    if (problem) return this.invalid(problem);
    const m = msg as { event: string; media?: { payload: string }; mark?: { name: string } };
    switch (m.event) {
      case 'media': {
        const samples = muLawDecode(Buffer.from(m.media!.payload, 'base64'));
        this.heardFrames.push({ at: now, samples });
        this.playout.queued((samples.length * 1000) / RATE);
        this.counts.mediaIn++;
        this.log('media', String(samples.length));
        return;
      }
      case 'mark':
        this.counts.marksIn++;
        this.log('mark', m.mark!.name);
        this.playout.mark(m.mark!.name);
        return;
      case 'clear': {
        this.counts.clearsIn++;
        const { droppedMs, marks } = this.playout.clear();
        this.log('clear', `dropped ${Math.round(droppedMs)} ms, ${marks.length} marks returned`);
        this.onClear?.(now);
        return;
      }
    }
  }

  private echoMark(name: string): void {
    if (!this.isOpen) return;
    this.send({ event: 'mark', sequenceNumber: this.nextSeq(), streamSid: this.streamSid, mark: { name } });
    this.counts.marksOut++;
    this.log('mark.echo', name);
  }

  private invalid(reason: string): void {
    this.counts.invalidIn++;
    this.log('invalid', `31951 Stream - Protocol - Invalid Message: ${reason}`);
  }

  private send(message: object): void {
    if (this.ws?.readyState !== WebSocket.OPEN) return;
    this.ws.send(JSON.stringify(message));
    this.counts.messagesOut++;
  }

  private log(type: string, detail?: string): void {
    this.events.push({ at: this.clock.now(), type, detail });
  }

  private stopTimers(): void {
    this.mediaTimer?.cancel();
    this.mediaTimer = null;
    this.playout.stop();
  }

  private markClosed(code: number, reason: string, by: 'client' | 'server'): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.stopTimers();
    this.log('close', `${code} ${reason} (${by})`);
    this.resolveClosed({ code, reason, by });
  }
}

/** Why Twilio would refuse a server message (31951), or null. Extra fields count, as they do for Twilio. */
function problemOf(msg: unknown, streamSid: string): string | null {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return 'not a JSON object';
  const m = msg as Record<string, unknown>;
  const only = (obj: Record<string, unknown>, keys: string[], what: string) => {
    const extra = Object.keys(obj).filter((k) => !keys.includes(k));
    return extra.length > 0 ? `${what} has unexpected field(s) ${extra.join(', ')}` : null;
  };
  if (m.event !== 'media' && m.event !== 'mark' && m.event !== 'clear') return `unknown event ${JSON.stringify(m.event)}`;
  if (m.streamSid !== streamSid) return `streamSid ${JSON.stringify(m.streamSid)} is not this stream's`;
  if (m.event === 'clear') return only(m, ['event', 'streamSid'], 'clear');
  if (m.event === 'media') {
    const media = m.media as Record<string, unknown> | undefined;
    if (typeof media !== 'object' || media === null) return 'media without "media"';
    if (typeof media.payload !== 'string' || media.payload.length === 0 || media.payload.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(media.payload)) {
      return 'media payload is not base64';
    }
    return only(m, ['event', 'streamSid', 'media'], 'media') ?? only(media, ['payload'], 'media.media');
  }
  const mark = m.mark as Record<string, unknown> | undefined;
  if (typeof mark !== 'object' || mark === null || typeof mark.name !== 'string') return 'mark without a name';
  return only(m, ['event', 'streamSid', 'mark'], 'mark') ?? only(mark, ['name'], 'mark.mark');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
