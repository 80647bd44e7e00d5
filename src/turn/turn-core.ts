// The turn core: a deterministic state machine over turn inputs. `handle(input, now)` returns the
// effects the session must carry out, in order. No I/O, no timers, no clock of its own: replaying
// the same inputs at the same times gives the same effects.
import type { ChatMessage } from '../providers/types.js';
import { AdaptiveDebounce } from './adaptive-debounce.js';
import { findCorrectionMarker } from './cancellation-detector.js';
import { heardText, type SpokenChunk } from './heard-text.js';
import { isKeypadKey, keypadText } from './keypad.js';
import { SentenceChunker } from './sentence-chunker.js';
import { TurnStateMachine, type TurnState } from './states.js';
import { TranscriptBuffer } from './transcript-buffer.js';
import type { TurnEffect } from './turn-effects.js';
import { defaultTurnSettings, type TimerName, type TurnInput, type TurnSettings } from './turn-inputs.js';

type ReplyOrigin = 'voice' | 'text' | 'keypad' | 'greeting';

/** A reply in flight, from the moment the LLM starts until its audio is played or cut. */
type Reply = {
  id: string;
  origin: ReplyOrigin;
  userText: string;
  /** Everything the LLM produced so far. */
  agentText: string;
  /** LLM text not yet given to the chunker (held while SPECULATIVE). */
  held: string;
  chunker: SentenceChunker;
  chunks: (SpokenChunk & { id: number; done: boolean })[];
  toolMessages: ChatMessage[];
  llmDone: boolean;
  ttsEnded: boolean;
};

export class TurnCore {
  private readonly machine = new TurnStateMachine();
  private readonly transcript = new TranscriptBuffer();
  private readonly debounce: AdaptiveDebounce;
  private settings: TurnSettings;
  private readonly context: ChatMessage[] = [];
  private turnSeq = 0;
  private reply: Reply | null = null;
  /** A reply cut by barge-in, waiting for `playback.cleared` to learn how much was heard. */
  private readonly cut = new Map<string, Reply>();
  private readonly timers = new Map<TimerName, number>();
  private userSpeaking = false;
  private lastSpeechEndAt: number | null = null;
  /** The debounce came due while a partial was still waiting for its final. */
  private awaitingFinal = false;
  /**
   * Typed or keypad input arrived while a cut reply still waits for its heard words: the reply to
   * it starts once they are in the context.
   */
  private pendingStart: { origin: 'text' | 'keypad'; reason: string } | null = null;
  /** Keys of the keypad entry under way (not yet a caller turn). */
  private keys = '';
  private out: TurnEffect[] = [];
  private now = 0;

  constructor(settings: Partial<TurnSettings> = {}, history: ChatMessage[] = []) {
    this.settings = { ...defaultTurnSettings, ...settings };
    this.debounce = new AdaptiveDebounce(this.settings);
    this.context.push(...history);
  }

  get state(): TurnState {
    return this.machine.state;
  }

  get transitions() {
    return this.machine.history;
  }

  /** The conversation as the caller experienced it: only words that were heard. */
  get chatContext(): readonly ChatMessage[] {
    return this.context;
  }

  get debounceMs(): number {
    return this.debounce.currentMs;
  }

  get currentSettings(): Readonly<TurnSettings> {
    return this.settings;
  }

  get activeTurnId(): string | null {
    return this.reply?.id ?? null;
  }

  handle(input: TurnInput, now: number): TurnEffect[] {
    this.now = now;
    this.out = [];
    switch (input.type) {
      case 'vad.speech_start':
        this.onSpeechStart(input.at);
        break;
      case 'vad.speech_end':
        this.onSpeechEnd(input.at);
        break;
      case 'stt.partial':
        this.onPartial(input.text, input.endMs);
        break;
      case 'stt.final':
        this.onFinal(input.text, input.confidence, input.startMs, input.endMs);
        break;
      case 'timer':
        this.onTimer(input.name);
        break;
      case 'llm.text':
        this.onLlmText(input.turnId, input.text);
        break;
      case 'llm.tool_call':
        if (this.reply?.id === input.turnId) {
          this.reply.toolMessages.push({ role: 'assistant', content: '', toolCalls: [input.call] });
          // What the reply said before the call is said now, not held until the tool is done.
          if (this.state === 'COMMITTED' || this.state === 'SPEAKING') this.flushSpoken(this.reply);
        }
        break;
      case 'tool.result':
        if (this.reply?.id === input.turnId) {
          this.reply.toolMessages.push({ role: 'tool', toolCallId: input.toolCallId, content: input.content });
        }
        break;
      case 'llm.done':
        this.onLlmDone(input.turnId);
        break;
      case 'llm.error':
        this.onLlmError(input.turnId, input.message);
        break;
      case 'tts.audio':
        this.onTtsAudio(input.turnId, input.chunkId, input.durationMs, input.words);
        break;
      case 'tts.done': {
        const chunk = (this.reply?.id === input.turnId ? this.reply : this.cut.get(input.turnId))?.chunks[input.chunkId];
        if (chunk) chunk.done = true;
        break;
      }
      case 'tts.error':
        this.emit({ type: 'log', level: 'warn', message: 'tts chunk failed', data: { turnId: input.turnId, chunkId: input.chunkId, error: input.message } });
        break;
      case 'playback.started':
        this.onPlaybackStarted(input.turnId);
        break;
      case 'playback.finished':
        this.onPlaybackFinished(input.turnId);
        break;
      case 'playback.cleared':
        this.onPlaybackCleared(input.turnId, input.playedMs);
        break;
      case 'user.text':
        this.onUserText(input.text);
        break;
      case 'user.interrupt':
        this.onUserInterrupt('client interrupt');
        break;
      case 'user.dtmf':
        this.onKey(input.digit);
        break;
      case 'agent.say':
        this.onAgentSay(input.text, input.reason);
        break;
      case 'settings.update':
        this.settings = { ...this.settings, ...input.settings };
        this.debounce.updateSettings(input.settings);
        break;
    }
    return this.out;
  }

  // ---- caller audio -------------------------------------------------------------------------

  private onSpeechStart(at: number): void {
    this.userSpeaking = true;
    this.cancelTimer('debounce');
    this.awaitingFinal = false;
    switch (this.state) {
      case 'IDLE':
        this.go('LISTENING', 'caller started speaking');
        break;
      case 'SPECULATIVE':
        this.cancelSpeculative('caller resumed speaking');
        break;
      case 'COMMITTED':
        this.cancelCommitted('caller spoke before the reply was heard');
        break;
      case 'SPEAKING': {
        const due = at + this.settings.minInterruptionMs;
        if (due <= this.now) this.bargeIn('caller spoke over the agent');
        else this.setTimer('bargein', due);
        break;
      }
      case 'LISTENING':
        break;
    }
  }

  private onSpeechEnd(at: number): void {
    this.userSpeaking = false;
    this.lastSpeechEndAt = at;
    // Speech shorter than the minimum interruption does not cut the agent off.
    this.cancelTimer('bargein');
    if (this.state === 'LISTENING') {
      this.emit({ type: 'stt.finalize' });
      this.armDebounce();
    }
  }

  private onPartial(text: string, endMs: number | undefined): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    // A partial covering audio from before the last speech end is STT lag, not new speech.
    const fresh = endMs === undefined || this.lastSpeechEndAt === null || endMs > this.lastSpeechEndAt;
    switch (this.state) {
      case 'IDLE':
        this.transcript.setPartial(trimmed, this.now);
        this.go('LISTENING', 'partial transcript');
        break;
      case 'LISTENING':
        if (this.transcript.setPartial(trimmed, this.now) && fresh && !this.userSpeaking) this.cancelTimer('debounce');
        break;
      case 'SPECULATIVE':
        if (this.transcript.setPartial(trimmed, this.now) && fresh) this.cancelSpeculative('caller resumed speaking (transcript)');
        break;
      case 'COMMITTED': {
        this.transcript.setPartial(trimmed, this.now);
        const marker = findCorrectionMarker(trimmed, this.settings.correctionMarkers);
        if (marker) this.cancelCommitted(`correction marker "${marker}"`);
        else if (fresh) this.cancelCommitted('caller spoke before the reply was heard (transcript)');
        break;
      }
      case 'SPEAKING': {
        this.transcript.setPartial(trimmed, this.now);
        const marker = findCorrectionMarker(trimmed, this.settings.correctionMarkers);
        if (marker) this.bargeIn(`correction marker "${marker}"`);
        break;
      }
    }
    // While a reply is in flight the buffer is locked: show the caller's new words, not the answered ones.
    this.emit({ type: 'transcript.partial', text: this.transcript.locked ? trimmed : this.transcript.text });
  }

  private onFinal(text: string, confidence: number, startMs?: number, endMs?: number): void {
    const trimmed = text.trim();
    if (!trimmed) {
      // An empty final closes a partial that turned out to be nothing.
      this.transcript.setPartial('', this.now);
      if (this.awaitingFinal) this.onDebounceDue();
      return;
    }
    if (this.state === 'IDLE') this.go('LISTENING', 'final transcript');
    if (this.state === 'SPECULATIVE') this.cancelSpeculative('more words arrived');
    this.transcript.addFinal({ text: trimmed, confidence, startMs, endMs }, this.now);
    this.emit({ type: 'transcript.final', text: trimmed, confidence });
    switch (this.state) {
      case 'LISTENING':
        if (this.awaitingFinal) this.onDebounceDue();
        else if (!this.userSpeaking && !this.timers.has('debounce')) this.armDebounce();
        break;
      case 'COMMITTED': {
        const marker = findCorrectionMarker(trimmed, this.settings.correctionMarkers);
        if (marker) this.cancelCommitted(`correction marker "${marker}"`);
        break;
      }
      case 'SPEAKING': {
        const marker = findCorrectionMarker(trimmed, this.settings.correctionMarkers);
        if (marker) this.bargeIn(`correction marker "${marker}"`);
        break;
      }
      default:
        break;
    }
  }

  // ---- timers -------------------------------------------------------------------------------

  private onTimer(name: TimerName): void {
    if (!this.timers.has(name)) return; // cancelled meanwhile
    this.timers.delete(name);
    if (name === 'debounce') this.onDebounceDue();
    else if (name === 'dtmf') this.endKeys('keypad timeout');
    else if (name === 'commit') this.commit('held without caller audio');
    else if (name === 'bargein' && this.state === 'SPEAKING' && this.userSpeaking) this.bargeIn('caller spoke over the agent');
  }

  private armDebounce(): void {
    this.awaitingFinal = false;
    this.setTimer('debounce', this.now + this.debounce.currentMs);
  }

  private onDebounceDue(): void {
    this.awaitingFinal = false;
    if (this.state !== 'LISTENING' || this.userSpeaking) return;
    // A keypad entry is under way: its end starts the turn, with these words in it.
    if (this.keys) return;
    if (this.transcript.partial) {
      // Words are still being finalized: speculate the moment the final lands.
      this.awaitingFinal = true;
      return;
    }
    if (this.transcript.isEmpty()) {
      this.go('IDLE', 'speech without words');
      return;
    }
    this.startReply('voice', 'SPECULATIVE', 'end of utterance');
  }

  // ---- the reply ----------------------------------------------------------------------------

  private startReply(origin: ReplyOrigin, to: 'SPECULATIVE' | 'COMMITTED', reason: string): void {
    const userText = this.transcript.text;
    const reply = this.newReply(origin, userText);
    this.go(to, reason);
    this.emit({ type: 'llm.start', turnId: reply.id, messages: [...this.context, { role: 'user', content: userText }] });
    if (to === 'COMMITTED') this.enterCommitted(reply);
    else if (this.settings.speculativeHoldMs <= 0) this.commit('no speculative hold');
    else this.setTimer('commit', this.now + this.settings.speculativeHoldMs);
  }

  private newReply(origin: ReplyOrigin, userText: string): Reply {
    this.reply = {
      id: `turn-${++this.turnSeq}`,
      origin,
      userText,
      agentText: '',
      held: '',
      chunker: new SentenceChunker(this.settings),
      chunks: [],
      toolMessages: [],
      llmDone: false,
      ttsEnded: false,
    };
    return this.reply;
  }

  private commit(reason: string): void {
    const reply = this.reply;
    if (this.state !== 'SPECULATIVE' || !reply) return;
    this.go('COMMITTED', reason);
    if (reply.origin === 'voice') this.recordAttempt(false);
    this.enterCommitted(reply);
  }

  private enterCommitted(reply: Reply): void {
    this.transcript.lock();
    this.emit({ type: 'turn.committed', turnId: reply.id });
    if (reply.held) {
      const text = reply.held;
      reply.held = '';
      this.speakText(reply, text);
    }
    // Tool calls held while SPECULATIVE run now: what came before them is said first.
    if (reply.toolMessages.length > 0) this.flushSpoken(reply);
    if (reply.llmDone) this.finishText(reply);
  }

  private onLlmText(turnId: string, text: string): void {
    const reply = this.reply;
    if (!reply || reply.id !== turnId || !text) return;
    reply.agentText += text;
    if (this.state === 'SPECULATIVE') reply.held += text;
    else this.speakText(reply, text);
  }

  private speakText(reply: Reply, text: string): void {
    this.emit({ type: 'agent.text', turnId: reply.id, text, final: false });
    for (const chunk of reply.chunker.push(text)) this.queueChunk(reply, chunk);
  }

  /**
   * The reply's text so far goes to TTS as it is, even mid-sentence: the LLM called a tool, and
   * the words before the call ("let me check that", "I'm transferring you now") are what the
   * caller should hear while it runs. The text after the call starts a new first chunk.
   */
  private flushSpoken(reply: Reply): void {
    if (reply.ttsEnded) return;
    for (const chunk of reply.chunker.flush()) this.queueChunk(reply, chunk);
  }

  private queueChunk(reply: Reply, text: string): void {
    const id = reply.chunks.length;
    reply.chunks.push({ id, text, durationMs: 0, done: false });
    this.emit({ type: 'tts.speak', turnId: reply.id, chunkId: id, text });
  }

  private onLlmDone(turnId: string): void {
    const reply = this.reply;
    if (!reply || reply.id !== turnId) return;
    reply.llmDone = true;
    if (this.state === 'COMMITTED' || this.state === 'SPEAKING') this.finishText(reply);
  }

  /** The LLM is done and the turn is committed: flush the chunker and close the TTS input. */
  private finishText(reply: Reply): void {
    if (reply.ttsEnded) return;
    for (const chunk of reply.chunker.flush()) this.queueChunk(reply, chunk);
    reply.ttsEnded = true;
    this.emit({ type: 'tts.end', turnId: reply.id });
    this.emit({ type: 'agent.text', turnId: reply.id, text: reply.agentText, final: true });
    if (reply.chunks.length === 0 && this.state === 'COMMITTED') {
      // Nothing to say (e.g. only tool calls): the turn is over.
      this.endReply(reply, 'completed', reply.agentText, false);
      this.go('IDLE', 'reply had no speech', reply.id);
    }
  }

  private onLlmError(turnId: string, message: string): void {
    const reply = this.reply;
    if (!reply || reply.id !== turnId) return;
    if (this.state === 'SPEAKING') {
      // Keep what is already being spoken; the reply just ends early.
      reply.llmDone = true;
      this.finishText(reply);
      return;
    }
    this.cancelTimer('commit');
    this.emit({ type: 'tts.cancel', turnId: reply.id });
    this.endReply(reply, 'failed', '', false, message);
    this.transcript.unlock();
    this.transcript.clear();
    this.go('IDLE', `llm failed: ${message}`, reply.id);
  }

  private onTtsAudio(turnId: string, chunkId: number, durationMs: number, words: SpokenChunk['words']): void {
    const reply = this.reply?.id === turnId ? this.reply : this.cut.get(turnId);
    const chunk = reply?.chunks[chunkId];
    if (!chunk) return;
    chunk.durationMs = durationMs;
    if (words) chunk.words = words;
  }

  private onPlaybackStarted(turnId: string): void {
    if (this.reply?.id !== turnId || this.state !== 'COMMITTED') return;
    this.go('SPEAKING', 'first reply audio sent');
  }

  private onPlaybackFinished(turnId: string): void {
    const reply = this.reply;
    // COMMITTED here means no audio came out at all (every TTS chunk failed).
    if (!reply || reply.id !== turnId || (this.state !== 'SPEAKING' && this.state !== 'COMMITTED')) return;
    this.cancelTimer('bargein');
    this.endReply(reply, 'completed', reply.agentText, false);
    this.transcript.clearCommitted();
    const next = this.userSpeaking || !this.transcript.isEmpty() ? 'LISTENING' : 'IDLE';
    this.go(next, 'reply played out', reply.id);
    // Words spoken during the reply's last moments start the next turn.
    if (next === 'LISTENING' && !this.userSpeaking) this.armDebounce();
  }

  private onPlaybackCleared(turnId: string, playedMs: number): void {
    const reply = this.cut.get(turnId);
    if (!reply) return;
    this.cut.delete(turnId);
    this.endReply(reply, 'interrupted', heardText(spokenSoFar(reply.chunks), playedMs), true);
    const pending = this.pendingStart;
    if (pending && this.cut.size === 0) {
      this.pendingStart = null;
      this.cancelTimer('debounce');
      this.startReply(pending.origin, 'COMMITTED', pending.reason);
    }
  }

  // ---- cancellation and barge-in ------------------------------------------------------------

  private cancelSpeculative(reason: string): void {
    const reply = this.reply;
    if (!reply) return;
    this.cancelTimer('commit');
    this.emit({ type: 'llm.cancel', turnId: reply.id, reason });
    this.emit({ type: 'speculative.canceled', turnId: reply.id, reason });
    this.reply = null;
    this.recordAttempt(true);
    this.go('LISTENING', reason, reply.id);
    if (!this.userSpeaking) this.armDebounce();
  }

  /** The caller spoke after COMMITTED but before hearing anything: drop the reply, keep listening. */
  private cancelCommitted(reason: string): void {
    const reply = this.reply;
    if (!reply) return;
    this.emit({ type: 'llm.cancel', turnId: reply.id, reason });
    this.emit({ type: 'tts.cancel', turnId: reply.id });
    this.emit({ type: 'output.clear', turnId: reply.id });
    this.reply = null;
    if (reply.origin === 'voice') this.recordAttempt(true);
    const done = completedToolRounds(reply.toolMessages);
    if (done.length > 0) {
      // Tools already ran (a booking was made): that happened whether or not the caller heard
      // about it. The caller's words and the tool round go into the context, and the next reply
      // answers only what the caller says now, instead of running the tools again.
      if (reply.userText) this.context.push({ role: 'user', content: reply.userText });
      this.context.push(...done);
      this.transcript.clearCommitted();
    } else {
      // The caller's words so far stay: the next reply answers all of them.
      this.transcript.unlock();
    }
    this.emit({ type: 'turn.ended', turnId: reply.id, userText: reply.userText, agentText: reply.agentText, heardText: '', interrupted: false, outcome: 'canceled' });
    this.go('LISTENING', reason, reply.id);
    if (!this.userSpeaking) this.armDebounce();
  }

  private bargeIn(reason: string): void {
    const reply = this.reply;
    if (!reply || this.state !== 'SPEAKING') return;
    this.cancelTimer('bargein');
    this.emit({ type: 'llm.cancel', turnId: reply.id, reason });
    this.emit({ type: 'tts.cancel', turnId: reply.id });
    this.reply = null;
    this.cut.set(reply.id, reply);
    this.transcript.clearCommitted();
    this.go('LISTENING', reason, reply.id);
    // The session answers with playback.cleared, which commits the heard words.
    this.emit({ type: 'output.clear', turnId: reply.id });
    // Without caller speech (a client interrupt) the debounce brings the turn back to IDLE.
    if (!this.userSpeaking) this.armDebounce();
  }

  private onUserInterrupt(reason: string): void {
    switch (this.state) {
      case 'SPECULATIVE':
        this.cancelSpeculative(reason);
        break;
      case 'COMMITTED':
        this.cancelCommitted(reason);
        break;
      case 'SPEAKING':
        this.bargeIn(reason);
        break;
      default:
        break;
    }
  }

  private onUserText(text: string): void {
    const trimmed = text.trim();
    if (!trimmed) return;
    this.onUserInterrupt('client interrupt');
    this.cancelTimer('debounce');
    this.awaitingFinal = false;
    // Keys pressed just before belong to the same turn, ahead of the typed words.
    this.takeKeys();
    this.transcript.addFinal({ text: trimmed, confidence: 1 }, this.now);
    this.emit({ type: 'transcript.final', text: trimmed, confidence: 1 });
    // Typed over a speaking reply: answer once the heard part of it is in the context.
    this.startOrWait('text', 'typed input');
  }

  private startOrWait(origin: 'text' | 'keypad', reason: string): void {
    if (this.cut.size > 0) this.pendingStart = { origin, reason };
    else this.startReply(origin, 'COMMITTED', reason);
  }

  // ---- the keypad ---------------------------------------------------------------------------

  /**
   * One key. A key press is deliberate, so it stops the agent at once (no minimum duration, unlike
   * speech): a reply being prepared is dropped, one being spoken is cut and only its heard words
   * are kept. Keys collect into one entry that ends at # (not part of it), at `dtmfMaxDigits`
   * keys, or `dtmfTimeoutMs` after the last key; a # alone is an entry of its own ("#").
   */
  private onKey(key: string): void {
    if (!isKeypadKey(key)) {
      this.emit({ type: 'log', level: 'warn', message: 'ignored a key that is not on a phone keypad', data: { key } });
      return;
    }
    this.onUserInterrupt('caller pressed a key');
    if (this.state === 'IDLE') this.go('LISTENING', 'caller pressed a key');
    if (key === '#') {
      if (!this.keys) this.keys = '#';
      this.endKeys('keypad #');
      return;
    }
    this.keys += key;
    if (this.keys.length >= this.settings.dtmfMaxDigits) this.endKeys('keypad maximum length');
    else this.setTimer('dtmf', this.now + this.settings.dtmfTimeoutMs);
  }

  /** The keypad entry is complete: it becomes the caller's turn (with any words said alongside). */
  private endKeys(reason: string): void {
    if (!this.takeKeys()) return;
    // Still speaking (or words still being finalized): the end of the speech starts the turn,
    // and the keys are part of it.
    if (this.userSpeaking) return;
    this.cancelTimer('debounce');
    if (this.transcript.partial) {
      this.awaitingFinal = true;
      return;
    }
    this.awaitingFinal = false;
    this.startOrWait('keypad', reason);
  }

  /** Moves the keys pressed so far into the transcript, as `[keypad] 123`; false when there were none. */
  private takeKeys(): boolean {
    this.cancelTimer('dtmf');
    const keys = this.keys;
    if (!keys) return false;
    this.keys = '';
    const text = keypadText(keys);
    this.transcript.addFinal({ text, confidence: 1 }, this.now);
    this.emit({ type: 'transcript.final', text, confidence: 1 });
    return true;
  }

  private onAgentSay(text: string, reason: string): void {
    if (this.state !== 'IDLE') {
      this.emit({ type: 'log', level: 'info', message: 'agent.say skipped: the caller is already talking', data: { reason } });
      return;
    }
    // No LLM: the text is the whole reply.
    const reply = this.newReply('greeting', '');
    reply.agentText = text;
    reply.llmDone = true;
    this.go('COMMITTED', reason);
    this.emit({ type: 'turn.committed', turnId: reply.id });
    this.emit({ type: 'agent.text', turnId: reply.id, text, final: false });
    for (const chunk of reply.chunker.push(text)) this.queueChunk(reply, chunk);
    this.finishText(reply);
  }

  /** Closes a reply: the chat context gets the caller's words and only the reply words heard. */
  private endReply(reply: Reply, outcome: 'completed' | 'interrupted' | 'failed', heard: string, interrupted: boolean, error?: string): void {
    if (this.reply === reply) this.reply = null;
    if (outcome !== 'failed') {
      if (reply.userText) this.context.push({ role: 'user', content: reply.userText });
      this.context.push(...reply.toolMessages);
      if (heard.trim()) this.context.push({ role: 'assistant', content: heard.trim() });
    } else {
      // A failed reply leaves no words, but tools it ran did what they did.
      const done = completedToolRounds(reply.toolMessages);
      if (done.length > 0) {
        if (reply.userText) this.context.push({ role: 'user', content: reply.userText });
        this.context.push(...done);
      }
    }
    this.emit({ type: 'turn.ended', turnId: reply.id, userText: reply.userText, agentText: reply.agentText, heardText: heard.trim(), interrupted, outcome });
    if (error) this.emit({ type: 'log', level: 'warn', message: 'turn failed', data: { turnId: reply.id, error } });
  }

  private recordAttempt(canceled: boolean): void {
    const adapted = this.debounce.recordTurn(canceled);
    if (adapted && adapted.fromMs !== adapted.toMs) this.emit({ type: 'debounce.adapted', ...adapted });
  }

  // ---- plumbing -----------------------------------------------------------------------------

  /** `turnId`: the reply the move concerns, when it was just let go of. */
  private go(to: TurnState, reason: string, turnId: string | null = this.reply?.id ?? null): void {
    if (this.state === to) return;
    const record = this.machine.transition(to, reason, this.now);
    this.emit({ type: 'state.changed', ...record, turnId });
  }

  private setTimer(name: TimerName, at: number): void {
    this.timers.set(name, at);
    this.emit({ type: 'timer.set', name, at });
  }

  private cancelTimer(name: TimerName): void {
    if (!this.timers.delete(name)) return;
    this.emit({ type: 'timer.cancel', name });
  }

  private emit(effect: TurnEffect): void {
    this.out.push(effect);
  }
}

/** Assumed speaking rate for text whose audio is not all synthesized yet (about 15 characters/s). */
const DEFAULT_MS_PER_CHAR = 65;

/**
 * A chunk cut while still being synthesized has audio for only part of its text. With word timings
 * that is exact; without, its full length is estimated from the reply's finished chunks (or a
 * typical speaking rate), so playing all the audio so far does not count the unsynthesized words.
 */
function spokenSoFar(chunks: readonly (SpokenChunk & { done: boolean })[]): SpokenChunk[] {
  const finished = chunks.filter((c) => c.done && c.durationMs > 0);
  const chars = finished.reduce((n, c) => n + c.text.length, 0);
  const msPerChar = chars > 0 ? finished.reduce((n, c) => n + c.durationMs, 0) / chars : DEFAULT_MS_PER_CHAR;
  return chunks.map((c) => (c.done || c.words?.length ? c : { text: c.text, durationMs: Math.max(c.durationMs, c.text.length * msPerChar) }));
}

/** The tool calls whose results came back, each followed by its result; calls still running are left out. */
function completedToolRounds(messages: readonly ChatMessage[]): ChatMessage[] {
  const results = new Map(messages.flatMap((m) => (m.role === 'tool' ? [[m.toolCallId, m] as const] : [])));
  return messages.flatMap((m) => {
    if (m.role !== 'assistant' || !m.toolCalls) return [];
    const answered = m.toolCalls.filter((c) => results.has(c.id));
    if (answered.length === 0) return [];
    return [{ ...m, toolCalls: answered }, ...answered.map((c) => results.get(c.id)!)];
  });
}
