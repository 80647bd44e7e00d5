// One call: caller audio -> VAD + STT -> turn core -> LLM -> TTS -> paced audio back. The session is
// the imperative shell around the pure turn core: it carries out the core's effects and feeds every
// outcome back to it as an input, and puts everything on the call's timeline.
import type { Logger } from 'pino';
import { FrameAssembler } from '../audio/frame-assembler.js';
import { FRAME_MS, samplesPerFrame } from '../audio/pcm.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { ChatMessage, LlmProvider, SttProvider, SttStream, TtsProvider } from '../providers/types.js';
import type { ToolRegistry } from '../tools/tool-registry.js';
import { isKeypadKey } from '../turn/keypad.js';
import { TurnCore } from '../turn/turn-core.js';
import type { TurnEffect } from '../turn/turn-effects.js';
import type { TimerName, TurnInput, TurnSettings } from '../turn/turn-inputs.js';
import type { Vad, VadEvent, VadSettings, VadStream } from '../vad/vad.js';
import { describeProviderEvent, type ResilienceEvent } from '../resilience/resilience-events.js';
import type { CallUsage } from '../usage/call-usage.js';
import { AudioTimeMap } from './audio-time-map.js';
import { runLlm } from './llm-runner.js';
import { Playout } from './playout.js';
import { ReplySpeaker } from './reply-speaker.js';
import { Timeline, type TimelineEvent } from './timeline.js';
import { emptyMarks, latenciesOf, turnUsageOf, type TurnMarks, type TurnRecord } from './turn-metrics.js';

export interface AgentProfile {
  name: string;
  systemPrompt: string;
  greeting: string | null;
  voice?: string;
  turn: Partial<TurnSettings>;
  vad: VadSettings;
}

export interface SessionDeps {
  callId: string;
  clock: Clock;
  log: Logger;
  vad: Vad;
  stt: SttProvider;
  llm: LlmProvider;
  tts: TtsProvider;
  tools: ToolRegistry;
  agent: AgentProfile;
  /** Internal audio rate: caller audio arrives and agent audio leaves at this rate. */
  sampleRate: number;
  /** Where paced agent frames go (the transport resamples/encodes them). */
  sendAudio: (frame: Int16Array, dueAt: number) => void;
  /** How far ahead of playback TTS may run. */
  ttsAheadMs?: number;
  /** The call's usage and cost; each finished turn gets its share. */
  usage?: CallUsage;
  /** What serves this call, for clients (e.g. `deepgram > simulated`). */
  engines?: { stt: string; llm: string; tts: string };
  /** Sees every paced frame of agent audio with the clock time it is due (recording, pacing stats). */
  onAgentAudio?: (frame: Int16Array, dueAt: number) => void;
  /** The conversation so far, for a call restored from saved state (what the caller heard). */
  history?: readonly ChatMessage[];
  /** Sees every frame of caller audio (session rate) with the clock time it arrived (recording). */
  onCallerAudio?: (frame: Int16Array, at: number) => void;
  /**
   * Agent audio the transport sent but the far end has not played yet, in ms (Twilio marks); 0 or
   * absent when it cannot tell. A barge-in counts only what was played as heard, and the end of a
   * call or a transfer waits for it.
   */
  unplayedMs?: () => number;
}

/** What `noteTransfer` records. */
export type TransferNote = { target: string; mode: 'blind' | 'warm'; ok: boolean; error?: string };

/** The longest wait for audio the far end still holds: a transport's wrong count must not hold a call open. */
const MAX_UNPLAYED_WAIT_MS = 5000;

type ReplyRun = {
  abort: AbortController;
  commit: () => void;
  committed: Promise<void>;
  speaker: ReplySpeaker | null;
  marks: TurnMarks;
  audioStarted: boolean;
  /** Fallbacks and failures of providers while this reply was produced. */
  providerIssues: string[];
  /** Chunks given to TTS, and those whose audio is all in the playout (or that failed). */
  chunksQueued: number;
  chunksSettled: number;
  /** Tool calls the LLM made that have no result yet. */
  toolsPending: number;
};

/** An `afterReply` caller: `chunks` null waits for the whole reply, a number for that many chunks played. */
type ReplyWaiter = { turnId: string; chunks: number | null; resolve: () => void };

export class Session {
  readonly timeline = new Timeline();
  readonly turns: TurnRecord[] = [];
  private readonly core: TurnCore;
  private readonly playout: Playout;
  private readonly assembler: FrameAssembler;
  private readonly audioTime = new AudioTimeMap();
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly replies = new Map<string, ReplyRun>();
  private vadStream: VadStream | null = null;
  private sttStream: SttStream | null = null;
  private readonly sttAbort = new AbortController();
  private inbox: TurnInput[] = [];
  private dispatching = false;
  private audioMs = 0;
  private utterance: TurnMarks = emptyMarks();
  private speculativeCancels = 0;
  private vadSettings: VadSettings;
  private systemPrompt: string;
  private ended = false;
  private sendAudio: SessionDeps['sendAudio'];
  /** `endAfterReply` was called: the call ends when this reply is over (null: nothing was playing). */
  private pendingEnd: { reason: string; turnId: string | null } | null = null;
  private endTimer: TimerHandle | null = null;
  private waiters: ReplyWaiter[] = [];
  /** `afterReply` callers waiting for audio the far end still holds. */
  private readonly drains = new Set<{ timer: TimerHandle; resolve: () => void }>();

  constructor(private readonly deps: SessionDeps) {
    this.core = new TurnCore(deps.agent.turn, deps.history ? [...deps.history] : []);
    this.vadSettings = { ...deps.agent.vad };
    this.systemPrompt = deps.agent.systemPrompt;
    this.sendAudio = deps.sendAudio;
    this.assembler = new FrameAssembler(samplesPerFrame(deps.sampleRate));
    this.playout = new Playout({
      clock: deps.clock,
      sampleRate: deps.sampleRate,
      send: (frame, dueAt) => {
        // Before the sink, which a resumed connection replaces: recording and pacing see every frame.
        deps.onAgentAudio?.(frame, dueAt);
        this.sendAudio(frame, dueAt);
      },
      events: {
        onStarted: (turnId) => this.onAudioStarted(turnId),
        onFinished: (turnId, playedMs) => {
          this.emit({ type: 'agent.audio_end', turnId, interrupted: false, playedMs });
          this.dispatch({ type: 'playback.finished', turnId, playedMs });
        },
      },
    });
  }

  get id(): string {
    return this.deps.callId;
  }

  get state() {
    return this.core.state;
  }

  get chatContext() {
    return this.core.chatContext;
  }

  get turnSettings(): Readonly<TurnSettings> {
    return this.core.currentSettings;
  }

  get currentVadSettings(): Readonly<VadSettings> {
    return this.vadSettings;
  }

  get debounceMs(): number {
    return this.core.debounceMs;
  }

  get engines(): { stt: string; llm: string; tts: string } {
    return this.deps.engines ?? { stt: this.deps.stt.name, llm: this.deps.llm.name, tts: this.deps.tts.name };
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** What the resilience layer did for this call (retries, fallbacks, reconnects, exhaustion). */
  noteProviderEvent(event: ResilienceEvent): void {
    if (this.ended) return;
    this.deps.log.info({ turn_id: 'turnId' in event ? event.turnId : undefined, provider_event: event }, 'provider event');
    this.emit({ type: 'provider.event', event });
    const turnId = 'turnId' in event ? event.turnId : undefined;
    const run = turnId ? this.replies.get(turnId) : undefined;
    if (run && event.type !== 'retry') run.providerIssues.push(describeProviderEvent(event));
  }

  get outputDroppedSamples(): number {
    return this.playout.droppedSamples;
  }

  /**
   * Opens listening and says the greeting. A call restored from saved state (another process, a
   * restart) says no greeting and marks the timeline `call.resumed` instead of `call.started`.
   */
  start(options: { inputSampleRate?: number; outputSampleRate?: number; restored?: boolean } = {}): void {
    if (options.restored) this.emit({ type: 'call.resumed' });
    else {
      const rate = this.deps.sampleRate;
      this.emit({ type: 'call.started', agent: this.deps.agent.name, inputSampleRate: options.inputSampleRate ?? rate, outputSampleRate: options.outputSampleRate ?? rate });
    }
    this.openVad();
    this.sttStream = this.deps.stt.open({
      sampleRate: this.deps.sampleRate,
      signal: this.sttAbort.signal,
      onEvent: (e) => {
        if (this.ended) return;
        if (e.type === 'error') {
          this.deps.log.warn({ err: e.message, recoverable: e.recoverable }, 'stt error');
          this.emit({ type: 'error', code: e.recoverable ? 'stt_reconnecting' : 'provider_error', message: `speech recognition: ${e.message}`, recoverable: e.recoverable });
          return;
        }
        const startMs = this.audioTime.toClock(e.startMs);
        const endMs = this.audioTime.toClock(e.endMs);
        if (e.type === 'partial') {
          this.dispatch({ type: 'stt.partial', text: e.text, startMs, endMs });
        } else {
          this.utterance.sttFinalAt = this.deps.clock.now();
          this.dispatch({ type: 'stt.final', text: e.text, confidence: e.confidence, startMs, endMs });
        }
      },
    });
    if (this.deps.agent.greeting && !options.restored) this.dispatch({ type: 'agent.say', text: this.deps.agent.greeting, reason: 'greeting' });
  }

  /** Caller audio, PCM16 mono at the session rate, any length. */
  pushAudio(samples: Int16Array): void {
    if (this.ended) return;
    this.assembler.push(samples, (frame) => {
      this.audioMs += FRAME_MS;
      const at = this.deps.clock.now();
      this.audioTime.record(this.audioMs, at);
      this.deps.onCallerAudio?.(frame, at);
      this.vadStream?.push(frame);
      this.sttStream?.write(frame);
    });
  }

  sendText(text: string): void {
    if (!this.ended) this.dispatch({ type: 'user.text', text });
  }

  interrupt(): void {
    if (!this.ended) this.dispatch({ type: 'user.interrupt' });
  }

  /**
   * One keypad key the caller pressed (0-9, *, #, A-D; a-d are read as A-D). Anything else is
   * logged and ignored. Keys stop the agent like speech does and collect into one caller turn
   * (`[keypad] 1234`, see src/turn/keypad.ts) that ends at #, at the maximum length or after the
   * inter-digit timeout.
   */
  dtmf(digit: string): void {
    if (this.ended) return;
    const key = typeof digit === 'string' ? digit.trim().toUpperCase() : '';
    if (!isKeypadKey(key)) {
      this.deps.log.warn({ digit: String(digit).slice(0, 16) }, 'ignored DTMF: not a keypad key (0-9, *, #, A-D)');
      return;
    }
    // The caller's input ends with the last key: the turn's latencies count from it.
    const now = this.deps.clock.now();
    this.utterance = { ...emptyMarks(), speechEndAt: now, speechEndDetectedAt: now };
    this.emit({ type: 'dtmf', digit: key });
    this.dispatch({ type: 'user.dtmf', digit: key });
  }

  /**
   * Ends the call once the current reply is over: the reply being prepared or spoken now (for
   * the end_call tool, the one whose LLM called it, words said after the tool result included).
   * Over means played out, cut by a barge-in, or dropped: a caller talking over the goodbye does
   * not keep the call alive. With nothing playing or coming the call ends at once. Audio the far
   * end still holds (`unplayedMs`) is waited for first. Calls after the first change nothing.
   */
  endAfterReply(reason: string): void {
    if (this.ended || this.pendingEnd) return;
    const turnId = this.core.activeTurnId;
    const waiting = turnId !== null && this.replies.has(turnId);
    this.pendingEnd = { reason, turnId: waiting ? turnId : null };
    this.deps.log.info({ turn_id: waiting ? turnId : undefined, reason }, waiting ? 'call ends after the current reply' : 'call ends now');
    if (!waiting) this.endPending();
  }

  /**
   * Resolves once what the agent is saying now has been heard; at once when it says nothing.
   * While the current reply waits for a tool call (the tool that asks, e.g. a transfer), that is
   * the words said before the call; otherwise the whole reply, played out or cut. Audio the far
   * end still holds (`unplayedMs`) is waited for too. Resolves when the call ends, whatever else.
   */
  afterReply(): Promise<void> {
    if (this.ended) return Promise.resolve();
    const turnId = this.core.activeTurnId;
    const run = turnId === null ? undefined : this.replies.get(turnId);
    if (turnId === null || !run) return this.afterUnplayed();
    const chunks = run.toolsPending > 0 ? run.chunksQueued : null;
    return new Promise<void>((resolve) => {
      this.waiters.push({ turnId, chunks, resolve });
      this.checkWaiters(turnId);
    }).then(() => this.afterUnplayed());
  }

  /** Records a transfer of this call (done or failed) on the timeline, as `call.transfer`. */
  noteTransfer(transfer: TransferNote): void {
    const { target, mode, ok, error } = transfer;
    this.deps.log.info({ target, mode, ok, err: error }, ok ? 'call transferred' : 'call transfer failed');
    this.emit({ type: 'call.transfer', target, mode, ok, ...(error !== undefined ? { error } : {}) });
  }

  get greeting(): string | null {
    return this.deps.agent.greeting;
  }

  get currentSystemPrompt(): string {
    return this.systemPrompt;
  }

  updateSettings(turn: Partial<TurnSettings>, vad: Partial<VadSettings>, systemPrompt?: string): void {
    if (systemPrompt !== undefined) this.systemPrompt = systemPrompt;
    if (Object.keys(turn).length) this.dispatch({ type: 'settings.update', settings: turn });
    if (Object.keys(vad).length) {
      this.vadSettings = { ...this.vadSettings, ...vad };
      this.openVad();
    }
  }

  /** Points the agent audio at a new sink (a resumed connection). */
  setAudioSink(send: SessionDeps['sendAudio']): void {
    this.sendAudio = send;
  }

  end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    for (const run of this.replies.values()) {
      run.abort.abort();
      run.speaker?.cancel();
    }
    this.replies.clear();
    this.endTimer?.cancel();
    this.endTimer = null;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    for (const d of this.drains) {
      d.timer.cancel();
      d.resolve();
    }
    this.drains.clear();
    this.playout.close();
    this.vadStream?.close();
    this.sttAbort.abort();
    this.sttStream?.close();
    this.emit({ type: 'call.ended', reason, usage: this.deps.usage ? turnUsageOf(this.deps.usage.summary()) : null });
  }

  // ---- inputs -------------------------------------------------------------------------------

  private openVad(): void {
    this.vadStream?.close();
    this.vadStream = this.deps.vad.open(this.vadSettings, (e) => this.onVad(e));
  }

  private onVad(e: VadEvent): void {
    if (this.ended) return;
    if (e.type === 'speech_start') {
      const at = this.audioTime.toClock(e.onsetMs);
      this.utterance = emptyMarks();
      this.emit({ type: 'vad.speech_start', onsetAt: at });
      this.dispatch({ type: 'vad.speech_start', at });
    } else {
      const at = this.audioTime.toClock(e.endMs);
      this.utterance.speechEndAt = at;
      this.utterance.speechEndDetectedAt = this.deps.clock.now();
      this.emit({ type: 'vad.speech_end', endAt: at });
      this.dispatch({ type: 'vad.speech_end', at });
    }
  }

  private dispatch(input: TurnInput): void {
    this.inbox.push(input);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      while (this.inbox.length > 0 && !this.ended) {
        const next = this.inbox.shift()!;
        for (const effect of this.core.handle(next, this.deps.clock.now())) this.apply(effect);
      }
    } finally {
      this.dispatching = false;
      if (this.ended) this.inbox = [];
    }
  }

  // ---- effects ------------------------------------------------------------------------------

  private apply(effect: TurnEffect): void {
    const now = this.deps.clock.now();
    switch (effect.type) {
      case 'timer.set': {
        this.timers.get(effect.name)?.cancel();
        const name = effect.name;
        this.timers.set(
          name,
          this.deps.clock.setTimeout(() => {
            this.timers.delete(name);
            this.dispatch({ type: 'timer', name });
          }, effect.at - now),
        );
        break;
      }
      case 'timer.cancel':
        this.timers.get(effect.name)?.cancel();
        this.timers.delete(effect.name);
        break;
      case 'state.changed':
        this.deps.log.info({ turn_id: effect.turnId, from: effect.from, to: effect.to, reason: effect.reason, at: effect.at }, 'turn state');
        this.emit({ type: 'turn.state', from: effect.from, to: effect.to, reason: effect.reason });
        break;
      case 'llm.start':
        this.startLlm(effect.turnId, effect.messages);
        break;
      case 'llm.cancel': {
        const run = this.replies.get(effect.turnId);
        run?.abort.abort();
        this.emit({ type: 'llm.cancel', turnId: effect.turnId, reason: effect.reason });
        break;
      }
      case 'turn.committed': {
        const run = this.reply(effect.turnId);
        run.marks.committedAt = now;
        run.commit();
        break;
      }
      case 'tts.speak': {
        const run = this.reply(effect.turnId);
        run.chunksQueued++;
        if (run.marks.firstChunkAt === null) run.marks.firstChunkAt = now;
        this.speakerFor(effect.turnId, run).speak(effect.chunkId, effect.text);
        this.emit({ type: 'tts.start', turnId: effect.turnId, chunkId: effect.chunkId, text: effect.text });
        break;
      }
      case 'tts.end':
        this.replies.get(effect.turnId)?.speaker?.end();
        break;
      case 'tts.cancel':
        this.replies.get(effect.turnId)?.speaker?.cancel();
        break;
      case 'output.clear': {
        const run = this.replies.get(effect.turnId);
        const playing = this.playout.currentTurnId === effect.turnId;
        // Heard = sent, less what the far end still held and now drops (a phone line's buffer).
        // Read before anyone hears of the barge-in: the transport clears its count then.
        const unplayed = playing ? this.unplayedNow() : 0;
        const playedMs = playing ? Math.max(0, this.playout.clear().playedMs - unplayed) : 0;
        if (run?.audioStarted) this.emit({ type: 'agent.audio_end', turnId: effect.turnId, interrupted: true, playedMs });
        this.dispatch({ type: 'playback.cleared', turnId: effect.turnId, playedMs });
        break;
      }
      case 'transcript.partial':
        this.emit({ type: 'stt.partial', text: effect.text });
        break;
      case 'transcript.final':
        this.emit({ type: 'stt.final', text: effect.text, confidence: effect.confidence });
        break;
      case 'agent.text':
        this.emit({ type: 'agent.text', turnId: effect.turnId, text: effect.text, final: effect.final });
        break;
      case 'stt.finalize':
        this.sttStream?.finalize();
        break;
      case 'turn.ended':
        this.finishTurn(effect);
        this.replyOver(effect.turnId);
        break;
      case 'speculative.canceled':
        this.speculativeCancels++;
        this.replies.delete(effect.turnId);
        this.emit({ type: 'speculative.canceled', turnId: effect.turnId, reason: effect.reason });
        this.replyOver(effect.turnId);
        break;
      case 'debounce.adapted':
        this.deps.log.info({ fromMs: effect.fromMs, toMs: effect.toMs, cancelRate: effect.cancelRate }, 'debounce adapted');
        this.emit({ type: 'debounce.adapted', fromMs: effect.fromMs, toMs: effect.toMs, cancelRate: effect.cancelRate });
        break;
      case 'log': {
        // The core names a turn `turnId`; log lines name it `turn_id`.
        const { turnId, ...data } = effect.data ?? {};
        this.deps.log[effect.level](turnId === undefined ? data : { turn_id: turnId, ...data }, effect.message);
        break;
      }
    }
  }

  private reply(turnId: string): ReplyRun {
    let run = this.replies.get(turnId);
    if (!run) {
      // A reply without an LLM (the greeting).
      run = this.newRun({ ...emptyMarks() });
      this.replies.set(turnId, run);
    }
    return run;
  }

  private newRun(marks: TurnMarks): ReplyRun {
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    return { abort: new AbortController(), commit, committed, speaker: null, marks, audioStarted: false, providerIssues: [], chunksQueued: 0, chunksSettled: 0, toolsPending: 0 };
  }

  private startLlm(turnId: string, messages: ChatMessage[]): void {
    const now = this.deps.clock.now();
    const run = this.newRun({ ...this.utterance, llmStartAt: now });
    this.replies.set(turnId, run);
    this.emit({ type: 'llm.start', turnId });
    const { signal } = run.abort;
    runLlm({
      llm: this.deps.llm,
      messages: [{ role: 'system', content: this.systemPrompt }, ...messages],
      tools: this.deps.tools,
      callId: this.deps.callId,
      turnId,
      signal,
      committed: run.committed,
      handlers: {
        onText: (text) => {
          if (signal.aborted) return;
          if (run.marks.llmFirstTokenAt === null) run.marks.llmFirstTokenAt = this.deps.clock.now();
          this.emit({ type: 'llm.token', turnId, text });
          this.dispatch({ type: 'llm.text', turnId, text });
        },
        onToolCall: (call) => {
          run.toolsPending++;
          this.emit({ type: 'tool.call', turnId, toolCallId: call.id, name: call.name, arguments: call.arguments });
          this.dispatch({ type: 'llm.tool_call', turnId, call });
        },
        onToolResult: (call, outcome) => {
          run.toolsPending = Math.max(0, run.toolsPending - 1);
          this.emit({ type: 'tool.result', turnId, toolCallId: call.id, name: call.name, ok: outcome.ok, content: outcome.content });
          this.dispatch({ type: 'tool.result', turnId, toolCallId: call.id, content: outcome.content });
        },
        onUsage: (promptTokens, completionTokens) => this.emit({ type: 'llm.usage', turnId, promptTokens, completionTokens }),
      },
    }).then(
      () => {
        if (!signal.aborted) this.dispatch({ type: 'llm.done', turnId });
      },
      (err: unknown) => {
        if (signal.aborted) return;
        const message = err instanceof Error ? err.message : String(err);
        this.deps.log.warn({ turn_id: turnId, err: message }, 'llm failed');
        this.emit({ type: 'error', code: 'provider_error', message: `language model: ${message}`, recoverable: true });
        this.dispatch({ type: 'llm.error', turnId, message });
      },
    );
  }

  private speakerFor(turnId: string, run: ReplyRun): ReplySpeaker {
    if (run.speaker) return run.speaker;
    run.speaker = new ReplySpeaker(
      turnId,
      this.deps.tts,
      this.playout,
      { sampleRate: this.deps.sampleRate, voice: this.deps.agent.voice, aheadMs: this.deps.ttsAheadMs ?? 3000, callId: this.deps.callId },
      {
        onRequest: () => {
          if (run.marks.ttsRequestAt === null) run.marks.ttsRequestAt = this.deps.clock.now();
        },
        onAudio: (chunkId, durationMs, words, first) => {
          if (first) run.marks.ttsFirstAudioAt = this.deps.clock.now();
          this.dispatch({ type: 'tts.audio', turnId, chunkId, durationMs, words });
        },
        onChunkDone: (chunkId) => {
          run.chunksSettled++;
          this.dispatch({ type: 'tts.done', turnId, chunkId });
          this.checkWaiters(turnId);
        },
        onChunkError: (chunkId, message, text) => {
          run.chunksSettled++;
          // The caller still gets the words, as text, and the reply goes on with the next chunk.
          this.deps.log.warn({ turn_id: turnId, err: message }, 'tts failed; reply chunk sent as text');
          this.emit({ type: 'error', code: 'provider_error', message: `speech synthesis: ${message}`, recoverable: true });
          this.emit({ type: 'agent.text_fallback', turnId, chunkId, text });
          this.dispatch({ type: 'tts.error', turnId, chunkId, message });
          this.checkWaiters(turnId);
        },
      },
    );
    return run.speaker;
  }

  private onAudioStarted(turnId: string): void {
    const run = this.replies.get(turnId);
    if (run) {
      run.audioStarted = true;
      run.marks.firstAudioSentAt = this.deps.clock.now();
    }
    this.emit({ type: 'agent.audio_start', turnId });
    this.dispatch({ type: 'playback.started', turnId });
  }

  private finishTurn(effect: TurnEffect & { type: 'turn.ended' }): void {
    const run = this.replies.get(effect.turnId);
    this.replies.delete(effect.turnId);
    const marks = run?.marks ?? emptyMarks();
    marks.endedAt = this.deps.clock.now();
    const { type: _type, ...ending } = effect;
    const record: TurnRecord = {
      ...ending,
      speculativeCancels: this.speculativeCancels,
      debounceMs: this.core.debounceMs,
      marks,
      latencies: latenciesOf(marks),
      providerIssues: run?.providerIssues ?? [],
      usage: this.deps.usage ? turnUsageOf(this.deps.usage.closeTurn(effect.turnId)) : null,
    };
    if (effect.outcome !== 'canceled') this.speculativeCancels = 0;
    this.turns.push(record);
    this.deps.log.info({ turn_id: record.turnId, outcome: record.outcome, latencies: record.latencies }, 'turn ended');
    this.emit({ type: 'turn.completed', turn: record });
  }

  // ---- the end of a reply, for endAfterReply and afterReply ------------------------------------

  /** The reply `turnId` is over (played out, cut, dropped or failed). */
  private replyOver(turnId: string): void {
    const still: ReplyWaiter[] = [];
    for (const w of this.waiters) {
      if (w.turnId === turnId) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
    if (this.pendingEnd?.turnId === turnId) this.endPending();
  }

  /** `afterReply` callers waiting for the words before a tool call: resolved once those are played. */
  private checkWaiters(turnId: string): void {
    const run = this.replies.get(turnId);
    if (!run) return;
    const still: ReplyWaiter[] = [];
    for (const w of this.waiters) {
      if (w.turnId !== turnId || w.chunks === null || run.chunksSettled < w.chunks) still.push(w);
      // All their audio is in the playout: played once less than a frame of it is left.
      else void this.playout.whenBelow(FRAME_MS).then(w.resolve);
    }
    this.waiters = still;
  }

  private endPending(): void {
    const pending = this.pendingEnd;
    if (!pending || this.ended || this.endTimer) return;
    const wait = this.unplayedNow();
    if (wait > 0) this.endTimer = this.deps.clock.setTimeout(() => this.end(pending.reason), wait);
    // Inside the core's effects: let them (and subscribers of the finished turn) run first.
    else if (this.dispatching) queueMicrotask(() => this.end(pending.reason));
    else this.end(pending.reason);
  }

  /** Waits for the audio the far end still holds. */
  private afterUnplayed(): Promise<void> {
    const wait = this.ended ? 0 : this.unplayedNow();
    if (wait <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const drain = {
        resolve,
        timer: this.deps.clock.setTimeout(() => {
          this.drains.delete(drain);
          resolve();
        }, wait),
      };
      this.drains.add(drain);
    });
  }

  /** The transport's count of agent audio not played yet, within sane bounds. */
  private unplayedNow(): number {
    const count = this.deps.unplayedMs;
    if (!count) return 0;
    try {
      const ms = count();
      return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_UNPLAYED_WAIT_MS) : 0;
    } catch (err) {
      this.deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'transport could not tell its unplayed audio');
      return 0;
    }
  }

  private emit(event: DistributiveOmit<TimelineEvent, 'callId' | 'at'>): void {
    this.timeline.emit({ ...event, callId: this.deps.callId, at: this.deps.clock.now() } as TimelineEvent);
  }
}


type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
