// A /ws/voice client for the bench: a real-time microphone (driven by MicScheduler) that plays
// utterances into a continuous noise-floor stream, and a record of what the server sent, stamped
// with arrival times. Only the message types the bench needs are parsed, so hundreds of clients
// stay cheap for the load generator.
import WebSocket from 'ws';
import type { Microphone } from './mic-scheduler.js';
import { FRAME_MS } from './mic-scheduler.js';
import { noiseFloor, SAMPLE_RATE, type Utterance } from './speech-corpus.js';

const FRAME_SAMPLES = (SAMPLE_RATE * FRAME_MS) / 1000;
const FRAME_BYTES = FRAME_SAMPLES * 2;
const NOISE_FRAMES = 50;

/** One utterance as the client streamed it; times are performance.now() on the client. */
export type SpokenUtterance = {
  index: number;
  text: string;
  /** When its first sample was "spoken" (start of the frame that carries it). */
  startAt: number;
  /** True speech onset and end, from the energy analysis of the audio. */
  onsetAt: number;
  offsetAt: number;
  /** When the frame carrying its last sample was sent. */
  sentUntil: number;
};

/** One agent reply as the client received it. */
export type ReceivedReply = {
  turnId: string;
  audioStartMsgAt: number;
  firstAudioAt: number | null;
  lastAudioAt: number | null;
  frames: number;
  endMsgAt: number | null;
  interrupted: boolean | null;
  /** The utterance the client had last finished (or was speaking) when the reply started. */
  after: SpokenUtterance | null;
};

export type TurnComplete = { turn_id: string; outcome: string; metrics: Record<string, number | null> };

export interface ClientListener {
  onReplyStart?(reply: ReceivedReply): void;
  onReplyEnd?(reply: ReceivedReply): void;
  onTurnComplete?(turn: TurnComplete, at: number): void;
  onClose?(): void;
}

/** An utterance padded to whole frames, as bytes ready to send. */
export type EncodedUtterance = { utterance: Utterance; index: number; bytes: Buffer; frames: number };

const noiseBytes: Buffer = (() => {
  const n = noiseFloor(FRAME_SAMPLES * NOISE_FRAMES, 777);
  return Buffer.from(n.buffer, n.byteOffset, n.byteLength);
})();

/** Pads to whole frames with the noise floor and keeps the bytes ready to send. */
export function encodeUtterance(utterance: Utterance, index: number): EncodedUtterance {
  const frames = Math.ceil(utterance.samples.length / FRAME_SAMPLES);
  const bytes = Buffer.alloc(frames * FRAME_BYTES);
  noiseBytes.copy(bytes, 0, 0, Math.min(noiseBytes.length, bytes.length));
  Buffer.from(utterance.samples.buffer, utterance.samples.byteOffset, utterance.samples.byteLength).copy(bytes);
  return { utterance, index, bytes, frames };
}

const TYPE_RE = /^\{"type":"([a-z_]+)"/;
const PARSED = new Set(['session_ready', 'agent_audio_start', 'agent_audio_end', 'turn_complete', 'ping', 'error', 'session_ended']);

export class BenchClient implements Microphone {
  sessionId = '';
  micT0 = 0;
  framesSent = 0;
  readonly replies: ReceivedReply[] = [];
  readonly spoken: SpokenUtterance[] = [];
  readonly errors: string[] = [];
  /** Why the server ended the session, once it has. */
  endedReason: string | null = null;
  closed = false;
  /** Called with the gap between consecutive agent frames of one reply (20 ms when smooth). */
  onFrameGap: ((ms: number) => void) | null = null;
  private current: { enc: EncodedUtterance; startFrame: number; record: SpokenUtterance } | null = null;
  private reply: ReceivedReply | null = null;
  private listener: ClientListener = {};
  private readyWaiter: ((id: string) => void) | null = null;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', () => {
      this.closed = true;
      this.listener.onClose?.();
    });
    ws.on('error', (err) => this.errors.push(`socket: ${err.message}`));
  }

  static connect(url: string): Promise<BenchClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const client = new BenchClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
    });
  }

  setListener(listener: ClientListener): void {
    this.listener = listener;
  }

  /** Sends start_session and resolves with the session id. */
  start(settings: Record<string, unknown> = {}): Promise<string> {
    return new Promise((resolve) => {
      this.readyWaiter = resolve;
      this.send({ type: 'start_session', input_sample_rate: SAMPLE_RATE, output_sample_rate: SAMPLE_RATE, settings });
    });
  }

  /** Starts the microphone: frame 0 begins at `t0` (offset per client spreads the load). */
  startMic(t0: number): void {
    this.micT0 = t0;
    this.framesSent = 0;
  }

  /** Whether an utterance is still being streamed. */
  get speaking(): boolean {
    return this.current !== null;
  }

  /**
   * Speaks `enc` from the next frame that starts at or after now. Returns its record, whose
   * times are known at once (the stream is real time); `sentUntil` is filled in when done.
   */
  say(enc: EncodedUtterance): SpokenUtterance {
    const now = performance.now();
    const startFrame = Math.max(this.framesSent, Math.ceil((now - this.micT0) / FRAME_MS));
    const startAt = this.micT0 + startFrame * FRAME_MS;
    const record: SpokenUtterance = {
      index: enc.index,
      text: enc.utterance.text,
      startAt,
      onsetAt: startAt + enc.utterance.onsetMs,
      offsetAt: startAt + enc.utterance.offsetMs,
      sentUntil: Number.NaN,
    };
    this.current = { enc, startFrame, record };
    this.spoken.push(record);
    return record;
  }

  sendNextFrame(): boolean {
    if (this.closed || this.ws.readyState !== WebSocket.OPEN) return false;
    const n = this.framesSent++;
    const cur = this.current;
    if (cur && n >= cur.startFrame) {
      const k = n - cur.startFrame;
      this.ws.send(cur.enc.bytes.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES));
      if (k + 1 >= cur.enc.frames) {
        cur.record.sentUntil = performance.now();
        this.current = null;
      }
    } else {
      const k = n % NOISE_FRAMES;
      this.ws.send(noiseBytes.subarray(k * FRAME_BYTES, (k + 1) * FRAME_BYTES));
    }
    return true;
  }

  send(msg: object): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(msg));
  }

  end(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.send({ type: 'end_session' });
  }

  close(): void {
    this.ws.close();
  }

  /** The last utterance whose speech had started by `at`. */
  private utteranceBefore(at: number): SpokenUtterance | null {
    for (let i = this.spoken.length - 1; i >= 0; i--) if (this.spoken[i].onsetAt <= at) return this.spoken[i];
    return null;
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    const at = performance.now();
    if (isBinary) {
      const r = this.reply;
      if (r) {
        if (r.firstAudioAt === null) r.firstAudioAt = at;
        else if (this.onFrameGap && r.lastAudioAt !== null) this.onFrameGap(at - r.lastAudioAt);
        r.lastAudioAt = at;
        r.frames++;
      }
      return;
    }
    const text = data.toString('utf8');
    const type = TYPE_RE.exec(text)?.[1];
    if (!type || !PARSED.has(type)) return;
    const msg = JSON.parse(text) as Record<string, unknown>;
    switch (type) {
      case 'session_ready':
        this.sessionId = String(msg.session_id);
        this.readyWaiter?.(this.sessionId);
        this.readyWaiter = null;
        break;
      case 'ping':
        this.send({ type: 'pong', t: msg.t });
        break;
      case 'agent_audio_start': {
        const reply: ReceivedReply = {
          turnId: String(msg.turn_id),
          audioStartMsgAt: at,
          firstAudioAt: null,
          lastAudioAt: null,
          frames: 0,
          endMsgAt: null,
          interrupted: null,
          after: this.utteranceBefore(at),
        };
        this.reply = reply;
        this.replies.push(reply);
        this.listener.onReplyStart?.(reply);
        break;
      }
      case 'agent_audio_end': {
        const reply = this.reply;
        if (!reply || reply.turnId !== msg.turn_id) break;
        reply.endMsgAt = at;
        reply.interrupted = msg.interrupted === true;
        this.reply = null;
        this.listener.onReplyEnd?.(reply);
        break;
      }
      case 'turn_complete':
        this.listener.onTurnComplete?.(msg.turn as TurnComplete, at);
        break;
      case 'error':
        this.errors.push(`${String(msg.code)}: ${String(msg.message)}`);
        break;
      case 'session_ended':
        this.endedReason = String(msg.reason);
        break;
    }
  }
}
