// A call's transcript from its turns, timed by its timeline: what the caller said and what the
// caller actually heard of the agent (heard text; the full response only when not interrupted),
// in milliseconds from the start of the call.
//
// Times, best source first: agent audio start/end events of the turn; the turn's marks in its
// turn.completed event (session clock, mapped to call time through the call.started event, or
// through the event's own wall time); the turn row's started/ended times. When nothing says how
// long the agent spoke, its line lasts as long as speaking it takes at an ordinary pace (about 70
// ms a character), cut short where the next line starts.
import type { CallDetail, CallEvent, Turn } from '../../store/repository.js';

export type TranscriptSegment = {
  index: number;
  speaker: 'caller' | 'agent';
  text: string;
  startMs: number;
  endMs: number;
  /** For agent segments: the caller talked over the agent, so `text` is only what was heard. */
  interrupted: boolean;
  turnIdx: number;
};

type Payload = Record<string, unknown>;
const payloadOf = (event: CallEvent): Payload => (typeof event.payload === 'object' && event.payload !== null ? (event.payload as Payload) : {});
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

class CallTime {
  private readonly startMs: number;
  private readonly anchor: { relMs: number; sessionAt: number } | null;

  constructor(callStartedAt: string, events: CallEvent[]) {
    this.startMs = Date.parse(callStartedAt);
    const started = events.find((e) => e.type === 'call.started' && num(payloadOf(e).at) !== null);
    this.anchor = started ? { relMs: this.wall(started.at), sessionAt: num(payloadOf(started).at) as number } : null;
  }

  /** A wall-clock ISO time, relative to the call start. */
  wall(iso: string | null | undefined): number {
    return iso ? Date.parse(iso) - this.startMs : NaN;
  }

  /** A session-clock instant, relative to the call start; `via` is an event carrying both clocks. */
  session(at: number | null, via: CallEvent): number {
    if (at === null) return NaN;
    if (this.anchor) return this.anchor.relMs + (at - this.anchor.sessionAt);
    const viaAt = num(payloadOf(via).at);
    return viaAt === null ? NaN : this.wall(via.at) + (at - viaAt);
  }

  /** When an event happened, relative to the call start. */
  event(event: CallEvent): number {
    const viaSession = this.session(num(payloadOf(event).at), event);
    return Number.isFinite(viaSession) ? viaSession : this.wall(event.at);
  }
}

const SPEAKING_MS_PER_CHAR = 70;

type Draft = Omit<TranscriptSegment, 'index'> & { estimated: boolean };

/** The first finite value, or NaN. */
const pick = (...values: number[]): number => values.find((v) => Number.isFinite(v)) ?? NaN;

function turnIdOfCompleted(event: CallEvent): unknown {
  const turn = payloadOf(event).turn;
  return typeof turn === 'object' && turn !== null ? (turn as Payload).turnId : undefined;
}

function turnSegments(turn: Turn, events: CallEvent[], time: CallTime): Draft[] {
  const mine = (type: string) => events.find((e) => e.type === type && payloadOf(e).turnId === turn.id);
  const audioStart = mine('agent.audio_start');
  const audioEnd = mine('agent.audio_end');
  const completed = events.find((e) => e.type === 'turn.completed' && turnIdOfCompleted(e) === turn.id);
  const marks = completed ? ((payloadOf(completed).turn as Payload).marks as Payload | undefined) : undefined;
  const mark = (name: string) => (completed && marks ? time.session(num(marks[name]), completed) : NaN);

  const callerStart = Math.max(0, pick(time.wall(turn.startedAt), 0));
  const agentHeardFrom = pick(audioStart ? time.event(audioStart) : NaN, mark('firstAudioSentAt'));
  const callerEnd = Math.max(callerStart, pick(mark('speechEndAt'), agentHeardFrom, time.wall(turn.endedAt), callerStart));
  const agentStart = Math.max(callerEnd, pick(agentHeardFrom, callerEnd));
  const heard = turn.heardText.trim() || (turn.wasInterrupted ? '' : turn.agentResponse.trim());
  const agentEndSeen = Math.max(agentStart, pick(audioEnd ? time.event(audioEnd) : NaN, mark('endedAt'), time.wall(turn.endedAt), agentStart));
  const estimated = agentEndSeen === agentStart;
  const agentEnd = estimated ? agentStart + heard.length * SPEAKING_MS_PER_CHAR : agentEndSeen;

  const out: Draft[] = [];
  if (turn.userTranscript.trim()) {
    out.push({ speaker: 'caller', text: turn.userTranscript.trim(), startMs: callerStart, endMs: callerEnd, interrupted: false, turnIdx: turn.idx, estimated: false });
  }
  if (heard) out.push({ speaker: 'agent', text: heard, startMs: agentStart, endMs: agentEnd, interrupted: turn.wasInterrupted, turnIdx: turn.idx, estimated });
  return out;
}

export function buildTranscript(detail: Pick<CallDetail, 'call' | 'turns' | 'events'>): TranscriptSegment[] {
  const time = new CallTime(detail.call.startedAt, detail.events);
  const turns = [...detail.turns].sort((a, b) => a.idx - b.idx);
  const segments = turns.flatMap((turn) => turnSegments(turn, detail.events, time));
  // Stable: a turn's caller line stays before its agent line when they start together.
  segments.sort((a, b) => a.startMs - b.startMs);
  return segments.map(({ estimated, ...segment }, i) => {
    const next = segments[i + 1];
    const endMs = estimated && next && next.startMs > segment.startMs ? Math.min(segment.endMs, next.startMs) : segment.endMs;
    return { index: i + 1, ...segment, endMs };
  });
}
