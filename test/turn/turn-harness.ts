// Drives a TurnCore on a virtual clock: timers the core asks for fire as the clock advances, and
// every effect is recorded with the time it was produced.
import { VirtualClock, type TimerHandle } from '../../src/clock.js';
import { TurnCore } from '../../src/turn/turn-core.js';
import type { TurnEffect } from '../../src/turn/turn-effects.js';
import type { TimerName, TurnInput, TurnSettings } from '../../src/turn/turn-inputs.js';

export type Logged = TurnEffect & { t: number };

export class TurnHarness {
  readonly clock = new VirtualClock();
  readonly core: TurnCore;
  readonly effects: Logged[] = [];
  private readonly timers = new Map<TimerName, TimerHandle>();

  constructor(settings: Partial<TurnSettings> = {}) {
    this.core = new TurnCore(settings);
  }

  get state() {
    return this.core.state;
  }

  send(input: TurnInput): TurnEffect[] {
    const out = this.core.handle(input, this.clock.now());
    for (const e of out) {
      this.effects.push({ ...e, t: this.clock.now() });
      if (e.type === 'timer.set') {
        this.timers.get(e.name)?.cancel();
        this.timers.set(
          e.name,
          this.clock.setTimeout(() => {
            this.timers.delete(e.name);
            this.send({ type: 'timer', name: e.name });
          }, e.at - this.clock.now()),
        );
      } else if (e.type === 'timer.cancel') {
        this.timers.get(e.name)?.cancel();
        this.timers.delete(e.name);
      }
    }
    return out;
  }

  at(t: number, input?: TurnInput): TurnEffect[] {
    this.clock.advanceTo(t);
    return input ? this.send(input) : [];
  }

  of<T extends TurnEffect['type']>(type: T): (Logged & { type: T })[] {
    return this.effects.filter((e): e is Logged & { type: T } => e.type === type);
  }

  last<T extends TurnEffect['type']>(type: T): (Logged & { type: T }) | undefined {
    const all = this.of(type);
    return all[all.length - 1];
  }

  states(): string[] {
    return this.of('state.changed').map((e) => e.to);
  }

  /** A spoken utterance: speech from `start` to `end`, a partial midway, the final `finalDelay` after the end. */
  utterance(text: string, start: number, end: number, finalDelay = 100, vadSilenceMs = 250): void {
    this.at(start + 64, { type: 'vad.speech_start', at: start });
    this.at((start + end) / 2, { type: 'stt.partial', text: text.split(' ').slice(0, 2).join(' '), startMs: start, endMs: (start + end) / 2 });
    this.at(end + vadSilenceMs, { type: 'vad.speech_end', at: end });
    this.at(end + vadSilenceMs + finalDelay, { type: 'stt.final', text, confidence: 0.9, startMs: start, endMs: end });
  }

  /** Plays the reply of `turnId` as the session would: audio of each chunk, then playback. */
  llmReply(turnId: string, text: string): void {
    this.send({ type: 'llm.text', turnId, text });
    this.send({ type: 'llm.done', turnId });
  }

  chunkAudio(turnId: string, msPerChar = 50): void {
    for (const s of this.of('tts.speak').filter((e) => e.turnId === turnId)) {
      this.send({ type: 'tts.audio', turnId, chunkId: s.chunkId, durationMs: s.text.length * msPerChar });
      this.send({ type: 'tts.done', turnId, chunkId: s.chunkId });
    }
  }
}
