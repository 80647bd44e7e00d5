// An SttProvider that keeps one caller stream alive across STT connection losses: it reconnects on
// a fixed schedule, replays the caller audio the lost connection may not have transcribed, falls
// back along a chain of providers, and keeps every event on the caller's one audio timeline.
//
// Event contract of the streams it opens (a deliberate widening of SttEvent's "error = finished"):
// - `{type:'error', recoverable:true}` tells the caller the connection was lost and is being
//   re-established (or replaced by the next provider). The stream goes on; keep writing.
// - `{type:'error', recoverable:false}` is terminal: every provider failed. Nothing follows.
//
// When is a reconnect a success? An inner open() is synchronous and failures arrive later as
// events, so a connection counts as established (reconnect counter reset, `stt_reconnected`
// reported, breaker told "success") at its first partial/final event, or after `stableAfterMs`
// (default 2 s) without an error, whichever comes first. A connection that fails before then is
// a failed attempt; the next one waits the next delay of the schedule.
import type { Clock, TimerHandle } from '../clock.js';
import { ProviderError } from '../providers/provider-error.js';
import type { ProviderCapabilities, SttEvent, SttOpenOptions, SttProvider, SttStream } from '../providers/types.js';
import { AudioRing } from './audio-ring.js';
import type { ProviderAttempt, ProviderHealth } from './provider-health.js';
import type { ResilienceReporter } from './resilience-events.js';
import { failureReason, isRetryableFailure, toProviderError } from './retry-policy.js';

export const DEFAULT_RECONNECT_DELAYS_MS: readonly number[] = [0, 1000, 2000, 4000, 8000];

export type ReconnectingSttOptions = {
  /** In order of preference; at least one. */
  providers: SttProvider[];
  health: ProviderHealth;
  clock: Clock;
  report?: ResilienceReporter;
  /** Delay before each reconnect attempt on one provider; its length is the number of attempts. Default 0, 1, 2, 4, 8 s. */
  reconnectDelaysMs?: readonly number[];
  /** Caller audio kept for replay (ring; oldest dropped). Default 5000. */
  bufferMs?: number;
  /** Only audio younger than this (on the audio timeline) is replayed. Default 3000. */
  replayMaxAgeMs?: number;
  /** A connection without error for this long counts as established. Default 2000. */
  stableAfterMs?: number;
};

export class ReconnectingStt implements SttProvider {
  readonly name = 'reconnecting';
  readonly capabilities: ProviderCapabilities;

  constructor(private readonly options: ReconnectingSttOptions) {
    if (options.providers.length === 0) throw new RangeError('ReconnectingStt needs at least one provider');
    for (const delay of options.reconnectDelaysMs ?? []) {
      if (!(delay >= 0)) throw new RangeError(`reconnect delays must be >= 0, got ${delay}`);
    }
    for (const [key, value] of [['bufferMs', options.bufferMs], ['replayMaxAgeMs', options.replayMaxAgeMs], ['stableAfterMs', options.stableAfterMs]] as const) {
      if (value !== undefined && !(value > 0)) throw new RangeError(`${key} must be > 0, got ${value}`);
    }
    this.capabilities = options.providers[0].capabilities;
  }

  open(options: SttOpenOptions): ReconnectingSttStream {
    return new ReconnectingSttStream(this.options, options);
  }
}

export type ReconnectingSttStatus = {
  /** Provider of the current (or next) connection; null once the stream has ended. */
  provider: string | null;
  connected: boolean;
  /** Failed reconnect attempts on the current provider since it was last established. */
  failedAttempts: number;
  /** Caller audio lost because the buffer was full while no connection took it. */
  droppedMs: number;
  bufferedMs: number;
};

type Failure = { error: ProviderError; recoverable: boolean };

type Connection = {
  provider: SttProvider;
  controller: AbortController;
  stream: SttStream | null;
  attempt: ProviderAttempt;
  openedAt: number;
  /** Caller-timeline sample position of this connection's audio time 0. */
  offsetSamples: number;
  /** True while provider.open() runs; a failure seen then is handled once it returns. */
  opening: boolean;
  earlyFailure: Failure | null;
  confirmed: boolean;
  finished: boolean;
  stableTimer: TimerHandle | null;
  /** Reconnect attempt that opened it: 1.. on the schedule, 0 for a first open or a fallback. */
  attemptNumber: number;
  /** Opened to replace a lost connection (so its success is reported). */
  replacing: boolean;
  replayedSamples: number;
};

export class ReconnectingSttStream implements SttStream {
  private readonly providers: readonly SttProvider[];
  private readonly delays: readonly number[];
  private readonly sampleRate: number;
  private readonly ring: AudioRing;
  private readonly replayMaxAgeSamples: number;
  private readonly stableAfterMs: number;
  private providerIndex = 0;
  private failedAttempts = 0;
  private current: Connection | null = null;
  private timer: TimerHandle | null = null;
  /** Caller samples written so far: the caller's audio timeline. */
  private written = 0;
  /** Caller-timeline sample where the last final ended; audio before it is never replayed. */
  private lastFinalEnd = 0;
  /** Caller-timeline sample of a finalize() that no final has answered yet. */
  private pendingFinalizeAt: number | null = null;
  /** close() was called: no more writes or reconnects, but the last finals still flow. */
  private closing = false;
  /** Nothing more happens and no event is emitted. */
  private stopped = false;

  constructor(
    private readonly config: ReconnectingSttOptions,
    private readonly request: SttOpenOptions,
  ) {
    this.providers = config.providers;
    this.delays = config.reconnectDelaysMs ?? DEFAULT_RECONNECT_DELAYS_MS;
    this.sampleRate = request.sampleRate;
    this.ring = new AudioRing(this.samplesOf(config.bufferMs ?? 5000));
    this.replayMaxAgeSamples = this.samplesOf(config.replayMaxAgeMs ?? 3000);
    this.stableAfterMs = config.stableAfterMs ?? 2000;
    if (request.signal.aborted) {
      this.stopped = true;
      return;
    }
    request.signal.addEventListener('abort', this.shutdown, { once: true });
    this.connect(0, false);
  }

  write(samples: Int16Array): void {
    if (this.stopped || this.closing || samples.length === 0) return;
    const conn = this.liveConnection();
    this.ring.push(samples, conn !== null);
    this.written += samples.length;
    if (conn) this.send(conn, samples);
  }

  finalize(): void {
    if (this.stopped || this.closing) return;
    // Remembered until a final arrives, so it is sent again if the connection is lost first.
    this.pendingFinalizeAt = this.written;
    const conn = this.liveConnection();
    if (conn) this.finalizeOn(conn);
  }

  /** Closes the current connection gracefully; its remaining finals are still passed on. */
  close(): void {
    if (this.stopped || this.closing) return;
    this.closing = true;
    this.timer?.cancel();
    this.timer = null;
    const conn = this.current;
    if (!conn) return this.shutdown();
    conn.stableTimer?.cancel();
    conn.attempt.release();
    try {
      conn.stream?.close();
    } catch {
      /* closing a broken stream has nothing left to tell */
    }
  }

  get status(): ReconnectingSttStatus {
    const conn = this.current;
    return {
      provider: this.stopped ? null : this.providers[this.providerIndex].name,
      connected: conn !== null && conn.confirmed && !conn.finished,
      failedAttempts: this.failedAttempts,
      droppedMs: this.msOf(this.ring.droppedUndelivered),
      bufferedMs: this.msOf(this.ring.endSample - this.ring.startSample),
    };
  }

  /** Opens the current provider and replays what it needs; failures go on to the schedule. */
  private connect(attemptNumber: number, replacing: boolean): void {
    if (this.stopped || this.closing) return;
    const provider = this.providers[this.providerIndex];
    const attempt = this.config.health.begin('stt', provider.name);
    if (!attempt) {
      const error = new ProviderError(provider.name, 'server', 'circuit open: provider skipped after repeated failures', { code: 'circuit_open' });
      // A fresh start skips a provider known to be down; the last one is still tried on schedule.
      if (attemptNumber === 0 && this.providerIndex < this.providers.length - 1) this.fallback(error);
      else this.afterFailure(provider, { error, recoverable: true });
      return;
    }
    const from = this.replayStart();
    const conn: Connection = {
      provider,
      controller: new AbortController(),
      stream: null,
      attempt,
      openedAt: this.config.clock.now(),
      offsetSamples: from,
      opening: true,
      earlyFailure: null,
      confirmed: false,
      finished: false,
      stableTimer: null,
      attemptNumber,
      replacing,
      replayedSamples: 0,
    };
    this.current = conn;
    try {
      conn.stream = provider.open({
        sampleRate: this.sampleRate,
        ...(this.request.language === undefined ? {} : { language: this.request.language }),
        signal: conn.controller.signal,
        onEvent: (event) => this.onInnerEvent(conn, event),
      });
    } catch (err) {
      conn.earlyFailure ??= failureOf(provider.name, err);
    }
    conn.opening = false;
    if (conn.earlyFailure) return this.lose(conn, conn.earlyFailure);
    this.replay(conn, from);
    if (conn.finished || conn.confirmed || this.stopped) return;
    conn.stableTimer = this.config.clock.setTimeout(() => this.confirm(conn, false), this.stableAfterMs);
  }

  /**
   * Replay starts at the latest of: the oldest audio held, the end of the last final (finished
   * utterances are not transcribed twice), and `replayMaxAgeMs` before now (stale audio would
   * bring old words into a live conversation).
   */
  private replayStart(): number {
    return Math.min(this.written, Math.max(this.ring.startSample, this.lastFinalEnd, this.written - this.replayMaxAgeSamples));
  }

  private replay(conn: Connection, from: number): void {
    const end = this.written;
    // Set first: the replay itself can bring a final, which confirms (and reports) the connection.
    conn.replayedSamples = end - from;
    const finalizeAt = this.pendingFinalizeAt;
    // A finalize for audio entirely before the replay has nothing left to finalize.
    if (finalizeAt !== null && finalizeAt <= from) this.pendingFinalizeAt = null;
    const splitAt = finalizeAt !== null && finalizeAt > from ? finalizeAt : null;
    for (const piece of this.ring.slice(from, splitAt ?? end)) if (!this.send(conn, piece)) return;
    if (splitAt !== null) {
      // The finalize goes where the caller asked for it, between the audio before and after.
      if (!this.finalizeOn(conn)) return;
      for (const piece of this.ring.slice(splitAt, end)) if (!this.send(conn, piece)) return;
    }
    this.ring.markDelivered(from, end);
  }

  private onInnerEvent(conn: Connection, event: SttEvent): void {
    if (conn !== this.current || conn.finished || this.stopped) return;
    if (event.type === 'error') {
      const error = event.error ?? new ProviderError(conn.provider.name, event.recoverable ? 'network' : 'bad_request', event.message);
      const failure = { error, recoverable: event.recoverable };
      if (conn.opening) conn.earlyFailure ??= failure;
      else this.lose(conn, failure);
      return;
    }
    if (!conn.confirmed) this.confirm(conn, true);
    const shifted = shiftEvent(event, this.msOf(conn.offsetSamples));
    if (shifted.type === 'final') {
      this.lastFinalEnd = Math.max(this.lastFinalEnd, Math.min(this.written, Math.round((shifted.endMs * this.sampleRate) / 1000)));
      this.pendingFinalizeAt = null;
    }
    this.request.onEvent(shifted);
  }

  private confirm(conn: Connection, byEvent: boolean): void {
    if (conn.confirmed || conn.finished || this.stopped) return;
    conn.confirmed = true;
    conn.stableTimer?.cancel();
    conn.stableTimer = null;
    if (byEvent) conn.attempt.firstChunk();
    conn.attempt.succeed();
    this.failedAttempts = 0;
    if (conn.replacing) {
      this.config.report?.({ type: 'stt_reconnected', provider: conn.provider.name, attempt: conn.attemptNumber, replayedMs: this.msOf(conn.replayedSamples) });
    }
  }

  /** The connection is gone: tidy it up, record the failure, and decide what comes next. */
  private lose(conn: Connection, failure: Failure): void {
    if (conn.finished) return;
    conn.finished = true;
    conn.stableTimer?.cancel();
    if (this.current === conn) this.current = null;
    conn.controller.abort();
    try {
      conn.stream?.close();
    } catch {
      /* already broken */
    }
    if (this.closing) {
      conn.attempt.release();
      return this.shutdown();
    }
    if (conn.confirmed) this.config.health.recordFailure('stt', conn.provider.name, failure.error);
    else conn.attempt.fail(failure.error);
    this.afterFailure(conn.provider, failure);
  }

  private afterFailure(provider: SttProvider, failure: Failure): void {
    if (!failure.recoverable || this.failedAttempts >= this.delays.length) return this.fallback(failure.error);
    const delayMs = this.delays[this.failedAttempts];
    const attempt = ++this.failedAttempts;
    const reason = failureReason(failure.error);
    this.config.health.recordRetry('stt', provider.name);
    this.config.report?.({ type: 'stt_reconnecting', provider: provider.name, attempt, delayMs, reason });
    this.emit({
      type: 'error',
      recoverable: true,
      message: `${failure.error.message} (reconnecting in ${delayMs} ms, attempt ${attempt} of ${this.delays.length})`,
      error: failure.error,
    });
    this.schedule(delayMs, attempt);
  }

  private fallback(error: ProviderError): void {
    const next = this.providerIndex + 1;
    if (next >= this.providers.length) return this.terminate(error);
    const from = this.providers[this.providerIndex].name;
    const to = this.providers[next].name;
    this.config.health.recordFallback('stt', from);
    this.config.report?.({ type: 'fallback', kind: 'stt', from, to, reason: failureReason(error) });
    this.emit({ type: 'error', recoverable: true, message: `${error.message} (switching to ${to})`, error });
    this.providerIndex = next;
    this.failedAttempts = 0;
    this.schedule(0, 0);
  }

  private terminate(error: ProviderError): void {
    this.config.report?.({ type: 'exhausted', kind: 'stt', reason: failureReason(error) });
    const onEvent = this.request.onEvent;
    this.shutdown();
    onEvent({ type: 'error', recoverable: false, message: `speech recognition unavailable: ${error.message}`, error });
  }

  /** Always through the clock, even for 0 ms, so a reconnect never runs inside an inner callback. */
  private schedule(delayMs: number, attemptNumber: number): void {
    this.timer = this.config.clock.setTimeout(() => {
      this.timer = null;
      this.connect(attemptNumber, true);
    }, delayMs);
  }

  private send(conn: Connection, samples: Int16Array): boolean {
    try {
      conn.stream?.write(samples);
    } catch (err) {
      this.lose(conn, failureOf(conn.provider.name, err));
    }
    return !conn.finished;
  }

  private finalizeOn(conn: Connection): boolean {
    try {
      conn.stream?.finalize();
    } catch (err) {
      this.lose(conn, failureOf(conn.provider.name, err));
    }
    return !conn.finished;
  }

  private liveConnection(): Connection | null {
    const conn = this.current;
    return conn !== null && conn.stream !== null && !conn.finished && !conn.opening ? conn : null;
  }

  private emit(event: SttEvent): void {
    if (!this.stopped) this.request.onEvent(event);
  }

  /** Stops everything at once: timers, the current connection (aborted), and all events. */
  private readonly shutdown = (): void => {
    if (this.stopped) return;
    this.stopped = true;
    this.closing = true;
    this.timer?.cancel();
    this.timer = null;
    const conn = this.current;
    this.current = null;
    this.request.signal.removeEventListener('abort', this.shutdown);
    if (!conn || conn.finished) return;
    conn.finished = true;
    conn.stableTimer?.cancel();
    conn.attempt.release();
    conn.controller.abort();
    try {
      conn.stream?.close();
    } catch {
      /* nothing left to tell */
    }
  };

  private samplesOf(ms: number): number {
    return Math.round((ms * this.sampleRate) / 1000);
  }

  private msOf(samples: number): number {
    return (samples * 1000) / this.sampleRate;
  }
}

function failureOf(provider: string, err: unknown): Failure {
  return { error: toProviderError(provider, err), recoverable: isRetryableFailure(err) };
}

/** Moves an inner connection's event onto the caller's audio timeline. */
export function shiftEvent(event: Exclude<SttEvent, { type: 'error' }>, offsetMs: number): Exclude<SttEvent, { type: 'error' }> {
  if (offsetMs === 0) return event;
  if (event.type === 'partial') return { ...event, startMs: event.startMs + offsetMs, endMs: event.endMs + offsetMs };
  return {
    ...event,
    startMs: event.startMs + offsetMs,
    endMs: event.endMs + offsetMs,
    ...(event.words ? { words: event.words.map((w) => ({ ...w, startMs: w.startMs + offsetMs, endMs: w.endMs + offsetMs })) } : {}),
  };
}
