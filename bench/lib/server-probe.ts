// In-process instrumentation of a running Parley: hooks each voice socket's send() (to know when a
// frame was really handed to the socket) and subscribes to each session's timeline the moment the
// session is created, before it starts. Together with the provider decorators it assembles, per
// reply, every instant on the critical path on one clock (performance.now()).
import type { WebSocket } from 'ws';
import type { Parley } from '../../src/main.js';
import type { TimelineEvent } from '../../src/session/timeline.js';
import type { TurnRecord } from '../../src/session/turn-metrics.js';
import type { ProbedVad, VadDecision } from './probed-vad.js';
import type { LlmCall, TimedLlm, TimedStt, TimedTts, TtsCall } from './timed-providers.js';
import type { TimingClock } from './timing-clock.js';

export type ServerTurn = {
  callId: string;
  turnId: string;
  /** The end-of-speech decision that led to this reply (null for typed input). */
  speechEnd: VadDecision | null;
  llmStartAt: number;
  llm: LlmCall | null;
  commitAt: number | null;
  /** Due time of the speculative-hold timer when it committed the reply. */
  commitDueAt: number | null;
  tts: TtsCall | null;
  audioStartAt: number | null;
  firstSocketSendAt: number | null;
  /** Barge-in: when the session cleared the output, and the last frame handed to the socket before. */
  clearAt: number | null;
  lastSocketSendBeforeClear: number | null;
  bargeStart: VadDecision | null;
  record: TurnRecord | null;
};

type SessionProbe = {
  callId: string;
  turns: Map<string, ServerTurn>;
  lastSpeechEnd: VadDecision | null;
  lastSpeechStart: VadDecision | null;
  lastSocketSendAt: number | null;
  awaitingFirstSend: ServerTurn | null;
};

export interface ProbeParts {
  clock: TimingClock;
  vad: ProbedVad;
  stt: TimedStt;
  llm: TimedLlm;
  tts: TimedTts;
}

export class ServerProbe {
  readonly sessions = new Map<string, SessionProbe>();

  constructor(
    private readonly parley: Parley,
    private readonly parts: ProbeParts,
  ) {
    parley.app.websocketServer.on('connection', (ws: WebSocket) => this.hookSocket(ws));
  }

  turn(callId: string, turnId: string): ServerTurn | undefined {
    return this.sessions.get(callId)?.turns.get(turnId);
  }

  allTurns(): ServerTurn[] {
    return [...this.sessions.values()].flatMap((s) => [...s.turns.values()]);
  }

  private hookSocket(ws: WebSocket): void {
    let probe: SessionProbe | null = null;
    const send = ws.send.bind(ws) as (data: unknown, ...rest: unknown[]) => void;
    (ws as unknown as { send: (data: unknown, ...rest: unknown[]) => void }).send = (data: unknown, ...rest: unknown[]) => {
      if (typeof data === 'string') {
        if (data.startsWith('{"type":"session_ready"')) probe = this.onSessionReady(JSON.parse(data) as { session_id: string });
      } else if (probe) {
        const now = this.parts.clock.now();
        probe.lastSocketSendAt = now;
        if (probe.awaitingFirstSend) {
          probe.awaitingFirstSend.firstSocketSendAt = now;
          probe.awaitingFirstSend = null;
        }
      }
      send(data, ...rest);
    };
  }

  /** Runs inside the transport, after the session is registered and before `session.start()`. */
  private onSessionReady(msg: { session_id: string }): SessionProbe | null {
    const session = this.parley.registry.sessions().find((s) => s.id === msg.session_id);
    if (!session) return null;
    const probe: SessionProbe = {
      callId: session.id,
      turns: new Map(),
      lastSpeechEnd: null,
      lastSpeechStart: null,
      lastSocketSendAt: null,
      awaitingFirstSend: null,
    };
    this.sessions.set(session.id, probe);
    this.parts.stt.nextOwner = session.id;
    session.timeline.subscribe((e) => this.onEvent(probe, e));
    return probe;
  }

  private onEvent(probe: SessionProbe, e: TimelineEvent): void {
    const { vad, llm, tts, clock } = this.parts;
    switch (e.type) {
      case 'vad.speech_start':
        probe.lastSpeechStart = vad.lastDecision;
        break;
      case 'vad.speech_end':
        probe.lastSpeechEnd = vad.lastDecision;
        break;
      case 'llm.start': {
        const turn: ServerTurn = {
          callId: probe.callId,
          turnId: e.turnId,
          speechEnd: probe.lastSpeechEnd,
          llmStartAt: e.at,
          llm: null,
          commitAt: null,
          commitDueAt: null,
          tts: null,
          audioStartAt: null,
          firstSocketSendAt: null,
          clearAt: null,
          lastSocketSendBeforeClear: null,
          bargeStart: null,
          record: null,
        };
        probe.turns.set(e.turnId, turn);
        // The session calls llm.stream() synchronously right after this event.
        llm.nextOwner = `${probe.callId}/${e.turnId}`;
        queueMicrotask(() => {
          turn.llm = llm.calls.get(`${probe.callId}/${e.turnId}`) ?? null;
        });
        break;
      }
      case 'turn.state':
        if (e.to === 'COMMITTED') {
          const turn = [...probe.turns.values()].at(-1);
          if (turn && turn.commitAt === null) {
            turn.commitAt = e.at;
            turn.commitDueAt = clock.currentTimer?.dueAt ?? e.at;
          }
        }
        break;
      case 'tts.start': {
        // The first chunk's synthesize() ran synchronously just before this event.
        const turn = probe.turns.get(e.turnId);
        if (turn && e.chunkId === 0 && tts.lastCall?.text === e.text) turn.tts = tts.lastCall;
        break;
      }
      case 'agent.audio_start': {
        const turn = probe.turns.get(e.turnId);
        if (turn) {
          turn.audioStartAt = e.at;
          probe.awaitingFirstSend = turn;
        }
        break;
      }
      case 'agent.audio_end': {
        const turn = probe.turns.get(e.turnId);
        if (turn && e.interrupted) {
          turn.clearAt = e.at;
          turn.lastSocketSendBeforeClear = probe.lastSocketSendAt;
          turn.bargeStart = probe.lastSpeechStart;
        }
        break;
      }
      case 'turn.completed': {
        const turn = probe.turns.get(e.turn.turnId);
        if (turn) turn.record = e.turn;
        break;
      }
      default:
        break;
    }
  }
}
