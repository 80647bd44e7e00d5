// One browser WebSocket on /ws/voice: parses and validates client frames, drives its Session, and
// turns the session's timeline into protocol messages and binary audio. A bad message gets an
// `error` and the call goes on.
import { randomUUID } from 'node:crypto';
import type { WebSocket, RawData } from 'ws';
import type { Logger } from 'pino';
import { AudioFormatError, pcm16FromBytes, pcm16ToBytes } from '../../audio/pcm.js';
import { Resampler } from '../../audio/resampler.js';
import type { Clock, TimerHandle } from '../../clock.js';
import type { Session } from '../../session/session.js';
import type { SessionOwner, SessionRegistry } from '../../session/session-registry.js';
import type { TimelineEvent } from '../../session/timeline.js';
import { telemetryOf, toServerMessage } from './timeline-to-wire.js';
import { fromWire, toWire, type SessionOverrides } from './settings-mapper.js';
import {
  PROTOCOL_VERSION,
  parseClientMessage,
  type ClientMessage,
  type ErrorCode,
  type ServerMessage,
} from './protocol.js';

/** Thrown by `createSession` when a call may not start; `code` goes to the client. */
export class SessionRefusedError extends Error {
  constructor(
    readonly code: 'unknown_agent' | 'budget_exceeded' | 'unavailable',
    message: string,
    /** Whether the client can succeed by asking differently (another agent). */
    readonly recoverable: boolean,
  ) {
    super(message);
    this.name = 'SessionRefusedError';
  }
}

/** Thrown by `createSession` for an agent that does not exist. */
export class UnknownAgentError extends SessionRefusedError {
  constructor(message: string) {
    super('unknown_agent', message, true);
    this.name = 'UnknownAgentError';
  }
}

export interface NewSessionRequest {
  callId: string;
  /** The tenant of the credentials the socket was opened with: the agent is looked up there. */
  tenantId: string;
  agent?: string;
  overrides: SessionOverrides;
  inputSampleRate: number;
  outputSampleRate: number;
  sendAudio: (frame: Int16Array, dueAt: number) => void;
}

export interface VoiceConnectionDeps {
  clock: Clock;
  log: Logger;
  registry: SessionRegistry;
  /** Builds (but does not start) a session; throws with a clear message for an unknown agent. */
  createSession(request: NewSessionRequest): Session | Promise<Session>;
  /** The tenant a live session belongs to (a resume from another tenant is refused). */
  sessionTenant?(sessionId: string): string | undefined;
  /**
   * Rebuilds a call this process does not hold from its saved state (after a restart or on
   * another instance); null when there is none for this tenant.
   */
  restoreSession?(request: NewSessionRequest): Promise<Session | null>;
  engines: { vad: string; stt: string; llm: string; tts: string };
  internalSampleRate: number;
  defaultOutputSampleRate: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Session-clock instant -> wall-clock epoch ms for the wire. */
  wallTime(at: number): number;
}

export class VoiceConnection implements SessionOwner {
  private session: Session | null = null;
  private unsubscribe: (() => void) | null = null;
  private inputResampler: Resampler | null = null;
  private outputResampler: Resampler | null = null;
  private inputRate = 0;
  private outputRate = 0;
  private heartbeat: TimerHandle | null = null;
  private lastPongAt: number;
  private nextPingAt: number;
  private closed = false;
  private log: Logger;
  /** Frames that arrived while the session was being set up, handled once it is ready. */
  private waiting: { data: RawData; isBinary: boolean }[] | null = null;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: VoiceConnectionDeps,
    /** The tenant the socket's credentials belong to. */
    private readonly tenantId: string,
  ) {
    this.log = deps.log;
    this.lastPongAt = deps.clock.now();
    this.nextPingAt = this.lastPongAt + deps.heartbeatIntervalMs;
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => this.log.warn({ err: err.message }, 'voice socket error'));
    this.scheduleHeartbeat();
  }

  private onFrame(data: RawData, isBinary: boolean): void {
    if (this.waiting) {
      if (this.waiting.length >= MAX_WAITING_FRAMES) this.sendError('invalid_message', 'too many frames before session_ready: wait for it', true);
      else this.waiting.push({ data, isBinary });
      return;
    }
    try {
      if (isBinary) this.onAudio(toBuffer(data));
      else this.onText(toBuffer(data).toString('utf8'));
    } catch (err) {
      this.log.error({ err: err instanceof Error ? err.stack : String(err) }, 'voice frame handling failed');
      this.sendError('internal_error', 'the server failed to handle that message', true);
    }
  }

  private onText(raw: string): void {
    const parsed = parseClientMessage(raw);
    if (!parsed.ok) {
      this.sendError(parsed.code, parsed.message, true);
      return;
    }
    this.onMessage(parsed.message);
  }

  private onMessage(msg: ClientMessage): void {
    switch (msg.type) {
      case 'start_session':
        void this.startSession(msg);
        return;
      case 'ping':
        this.send({ type: 'pong', t: msg.t });
        return;
      case 'pong':
        this.lastPongAt = this.deps.clock.now();
        return;
      default:
        break;
    }
    const session = this.session;
    if (!session) {
      this.sendError('no_session', `"${msg.type}" needs a session: send start_session first`, true);
      return;
    }
    switch (msg.type) {
      case 'interrupt':
        session.interrupt();
        break;
      case 'text_input':
        session.sendText(msg.text);
        break;
      case 'dtmf':
        for (const digit of msg.digits) session.dtmf(digit);
        break;
      case 'update_settings': {
        const o = fromWire(msg.settings);
        session.updateSettings(o.turn, o.vad, o.systemPrompt);
        this.send({ type: 'settings_updated', settings: this.wireSettings(session) });
        break;
      }
      case 'end_session':
        this.deps.registry.end(session.id, 'client ended the session');
        this.ws.close(1000, 'session ended');
        break;
    }
  }

  private async startSession(msg: ClientMessage & { type: 'start_session' }): Promise<void> {
    if (this.session || this.waiting) {
      this.sendError('session_already_started', `this connection already carries session ${this.session?.id ?? '(starting)'}`, true);
      return;
    }
    this.inputRate = msg.input_sample_rate ?? 16000;
    this.outputRate = msg.output_sample_rate ?? this.deps.defaultOutputSampleRate;
    this.waiting = [];
    let opened: { session: Session; resumed: boolean; restored: boolean } | null = null;
    try {
      opened = await this.openSession(msg);
    } catch (err) {
      if (err instanceof SessionRefusedError) this.sendError(err.code, err.message, err.recoverable);
      else this.sendError('invalid_message', err instanceof Error ? err.message : String(err), true);
    }
    const waiting = this.waiting;
    this.waiting = null;
    if (opened) {
      if (this.closed) {
        // The socket went away while the session was being set up: keep it for a resume.
        if (!opened.resumed || opened.restored) this.deps.registry.add(opened.session, this);
        opened.session.setAudioSink(() => {});
        this.deps.registry.detach(opened.session.id, this);
        if (!opened.resumed) opened.session.start({ inputSampleRate: this.inputRate, outputSampleRate: this.outputRate });
        else if (opened.restored) opened.session.start({ restored: true });
        return;
      }
      this.attach(opened.session, opened.resumed, opened.restored);
    }
    for (const frame of waiting) this.onFrame(frame.data, frame.isBinary);
  }

  private async openSession(msg: ClientMessage & { type: 'start_session' }): Promise<{ session: Session; resumed: boolean; restored: boolean } | null> {
    const request = {
      callId: msg.session_id ?? randomUUID(),
      tenantId: this.tenantId,
      agent: msg.agent,
      overrides: fromWire(msg.settings ?? {}),
      inputSampleRate: this.inputRate,
      outputSampleRate: this.outputRate,
      sendAudio: (frame: Int16Array, dueAt: number) => this.sendAudio(frame, dueAt),
    };
    if (!msg.session_id) return { session: await this.deps.createSession(request), resumed: false, restored: false };
    const owner = this.deps.sessionTenant?.(msg.session_id);
    // Another tenant's session answers exactly like an unknown one.
    const found = owner === undefined || owner === this.tenantId ? this.deps.registry.resume(msg.session_id, this) : null;
    if (found) {
      found.setAudioSink(request.sendAudio);
      if (msg.settings) {
        const o = fromWire(msg.settings);
        found.updateSettings(o.turn, o.vad, o.systemPrompt);
      }
      return { session: found, resumed: true, restored: false };
    }
    const restored = owner === undefined ? await this.deps.restoreSession?.(request) : null;
    if (restored) return { session: restored, resumed: true, restored: true };
    this.sendError('session_not_found', `session ${msg.session_id} cannot be resumed (unknown, expired or ended)`, true);
    return null;
  }

  private attach(session: Session, resumed: boolean, restored: boolean): void {
    if (!resumed || restored) this.deps.registry.add(session, this);
    this.session = session;
    this.log = this.deps.log.child({ call_id: session.id });
    this.inputResampler = this.inputRate === this.deps.internalSampleRate ? null : new Resampler(this.inputRate, this.deps.internalSampleRate);
    this.outputResampler = this.outputRate === this.deps.internalSampleRate ? null : new Resampler(this.deps.internalSampleRate, this.outputRate);
    this.unsubscribe = session.timeline.subscribe((e) => this.onTimeline(e));
    this.send({
      type: 'session_ready',
      session_id: session.id,
      resumed,
      protocol_version: PROTOCOL_VERSION,
      input_sample_rate: this.inputRate,
      output_sample_rate: this.outputRate,
      settings: this.wireSettings(session),
      engines: { ...this.deps.engines, ...session.engines },
      state: session.state,
    });
    this.log.info({ resumed, restored, input_sample_rate: this.inputRate, output_sample_rate: this.outputRate }, resumed ? 'session resumed' : 'session started');
    if (!resumed) session.start({ inputSampleRate: this.inputRate, outputSampleRate: this.outputRate });
    else if (restored) session.start({ restored: true });
  }

  private onAudio(bytes: Buffer): void {
    const session = this.session;
    if (!session) {
      this.sendError('no_session', 'audio before start_session: send start_session first', true);
      return;
    }
    let samples: Int16Array;
    try {
      samples = pcm16FromBytes(bytes);
    } catch (err) {
      const why = err instanceof AudioFormatError ? err.message : 'unreadable audio';
      this.sendError('invalid_audio', `audio frame dropped: ${why} (expected PCM16LE mono at ${this.inputRate} Hz)`, true);
      return;
    }
    session.pushAudio(this.inputResampler ? this.inputResampler.process(samples) : samples);
  }

  private sendAudio(frame: Int16Array, _dueAt: number): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    const out = this.outputResampler ? this.outputResampler.process(frame) : frame;
    if (out.length > 0) this.ws.send(pcm16ToBytes(out), { binary: true });
  }

  private wireSettings(session: Session) {
    return toWire(session.turnSettings, session.currentVadSettings, session.greeting, session.currentSystemPrompt);
  }

  /** Another connection resumed our session. */
  takeover(): void {
    this.log.info({}, 'session resumed on another connection');
    this.detachSession();
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(4001, 'session resumed on another connection');
  }

  /** Server shutdown: say so to the client. */
  shutdown(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1001, 'server shutting down');
  }

  private onTimeline(e: TimelineEvent): void {
    // A cut reply must not leave resampler history in front of the next one.
    if (e.type === 'agent.audio_end' && e.interrupted) this.outputResampler?.reset();
    const msg = toServerMessage(e, this.deps.wallTime);
    if (msg) this.send(msg);
    if (e.type === 'turn.completed') this.send({ type: 'telemetry', metrics: telemetryOf(e.turn, this.session) });
    if (e.type === 'call.ended') {
      this.detachSession();
      if (this.ws.readyState === this.ws.OPEN) this.ws.close(1000, 'session ended');
    }
  }

  /** Pings every interval; closes exactly when the pong deadline passes, whichever comes first. */
  private scheduleHeartbeat(): void {
    const now = this.deps.clock.now();
    const deadline = this.lastPongAt + this.deps.heartbeatTimeoutMs;
    const wait = Math.max(0, Math.min(this.nextPingAt, deadline) - now);
    this.heartbeat = this.deps.clock.setTimeout(() => {
      if (this.closed) return;
      const at = this.deps.clock.now();
      if (at - this.lastPongAt >= this.deps.heartbeatTimeoutMs) {
        this.log.info({}, 'closing voice socket: no pong');
        this.ws.close(4000, 'heartbeat timeout');
        return;
      }
      if (at >= this.nextPingAt) {
        this.send({ type: 'ping', t: Math.round(this.deps.wallTime(at)) });
        this.nextPingAt = at + this.deps.heartbeatIntervalMs;
      }
      this.scheduleHeartbeat();
    }, wait);
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.heartbeat?.cancel();
    const session = this.session;
    this.detachSession();
    if (session && !session.hasEnded) {
      session.setAudioSink(() => {});
      this.deps.registry.detach(session.id, this);
      this.log.info({}, 'voice socket closed; session kept for resume');
    }
  }

  private detachSession(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.session = null;
  }

  private sendError(code: ErrorCode, message: string, recoverable: boolean): void {
    this.send({ type: 'error', code, message, recoverable });
  }

  private send(msg: ServerMessage): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(JSON.stringify(msg));
  }
}

/** Frames held while a session is being set up (a database lookup); more is a misbehaving client. */
const MAX_WAITING_FRAMES = 500;

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
