// The simulators' shared state: keys, latencies, fault rules and a log of every connection, so tests
// can make a vendor misbehave and then check, on the server's side, what the client did.
import { performance } from 'node:perf_hooks';
import type { ChatMessage } from '../src/providers/types.js';
import { ScriptTranscriber, type SimTranscriber } from './script-transcriber.js';
import { defaultReply, type SimReply } from './sim-replies.js';

export type Vendor = 'deepgram' | 'openai' | 'elevenlabs' | 'cartesia' | 'twilio';
export const VENDORS: readonly Vendor[] = ['deepgram', 'openai', 'elevenlabs', 'cartesia', 'twilio'];

export type SimLatencies = {
  /** Deepgram: from the end of a speech segment (or Finalize) to its final result. */
  sttFinalDelayMs: number;
  /** Deepgram: audio time between interim results while speech goes on. */
  sttInterimIntervalMs: number;
  /** Silence that ends a speech segment (Deepgram's `endpointing` overrides it per connection). */
  sttEndpointingMs: number;
  /** OpenAI chat: time to first token. */
  llmTtftMs: number;
  llmTokensPerSecond: number;
  /** TTS vendors: time from the request (or flush) to the first audio. */
  ttsTtfbMs: number;
  /** TTS vendors: audio seconds produced per wall second (4 = four times faster than real time). */
  ttsRealtimeFactor: number;
};

export const DEFAULT_LATENCIES: SimLatencies = {
  sttFinalDelayMs: 80,
  sttInterimIntervalMs: 200,
  sttEndpointingMs: 300,
  llmTtftMs: 120,
  llmTokensPerSecond: 80,
  ttsTtfbMs: 80,
  ttsRealtimeFactor: 5,
};

export type SimTimeouts = {
  /** Deepgram listen: no audio/KeepAlive for this long closes with 1011 NET-0001 (vendor: 10 s). */
  deepgramIdleMs: number;
  /** Deepgram speak: no message for this long closes with 1011 NET-0001. */
  deepgramSpeakIdleMs: number;
  /** ElevenLabs default `inactivity_timeout` when the client sends none (vendor: 20 s). */
  elevenLabsInactivityMs: number;
  /** Cartesia closes an idle socket after this long (about 60 s reported). */
  cartesiaIdleMs: number;
};

export const DEFAULT_TIMEOUTS: SimTimeouts = {
  deepgramIdleMs: 10_000,
  deepgramSpeakIdleMs: 60_000,
  elevenLabsInactivityMs: 20_000,
  cartesiaIdleMs: 60_000,
};

/** Which OpenAI-compatible server the chat endpoint imitates (chunking of tool calls, usage placement). */
export type OpenAiDialect = 'openai' | 'ollama' | 'groq' | 'vllm';

export type SimFault =
  /** Accept, then cut the connection (socket destroyed, no close frame) or the HTTP body after `afterMs`. */
  | { type: 'drop'; afterMs: number }
  /** Refuse the request or upgrade with this status and the vendor's error body. */
  | { type: 'status'; status: 401 | 429 | 500 | 503; retryAfterS?: number }
  /** Every latency multiplied and every rate divided by `factor`. */
  | { type: 'slow'; factor: number }
  /** One frame of garbage (not the vendor's format) in the middle of the response. */
  | { type: 'malformed' }
  /** TTS: audio in a container the client did not ask for. STT sims treat bad client audio on their own. */
  | { type: 'wrong_audio_format' };

export type FaultRule = {
  vendor: Vendor;
  fault: SimFault;
  /** How many requests/connections it applies to; default every one. */
  times?: number;
  /** Only requests whose path contains this. */
  path?: string;
};

export type SimEvent = { at: number; type: string; detail?: string };

/** One request or WebSocket connection as the simulator saw it. `at` times are performance.now(). */
export type SimConnection = {
  id: number;
  vendor: Vendor;
  kind: 'ws' | 'http';
  path: string;
  openedAt: number;
  closedAt: number | null;
  /** Who ended it: the client (close frame, socket end, aborted HTTP) or the server (normal end, fault). */
  closedBy: 'client' | 'server' | null;
  fault: SimFault | null;
  /** Vendor-specific happenings: `cancel`, `clear`, `finalize`, `close_context`, … */
  events: SimEvent[];
};

export type SimControlOptions = {
  /** The key each vendor accepts. Defaults: `sim-<vendor>-key` (Twilio: the account's auth token). */
  keys?: Partial<Record<Vendor, string>>;
  latencies?: Partial<SimLatencies>;
  timeouts?: Partial<SimTimeouts>;
  openAiDialect?: OpenAiDialect;
  transcriber?: SimTranscriber;
  /** Script for the default transcriber: the N-th speech segment of a tag is the N-th line. */
  script?: string[];
  reply?: (messages: ChatMessage[], toolNames: string[]) => SimReply;
};

export class SimControl {
  readonly keys: Record<Vendor, string>;
  latencies: SimLatencies;
  timeouts: SimTimeouts;
  openAiDialect: OpenAiDialect;
  transcriber: SimTranscriber;
  reply: (messages: ChatMessage[], toolNames: string[]) => SimReply;
  readonly connections: SimConnection[] = [];
  private rules: Array<FaultRule & { left: number }> = [];
  private nextId = 1;
  private readonly waiters = new Set<() => void>();
  private readonly killers = new Map<number, () => void>();

  constructor(options: SimControlOptions = {}) {
    this.keys = {
      deepgram: options.keys?.deepgram ?? 'sim-deepgram-key',
      openai: options.keys?.openai ?? 'sim-openai-key',
      elevenlabs: options.keys?.elevenlabs ?? 'sim-elevenlabs-key',
      cartesia: options.keys?.cartesia ?? 'sim-cartesia-key',
      twilio: options.keys?.twilio ?? 'sim-twilio-key',
    };
    this.latencies = { ...DEFAULT_LATENCIES, ...options.latencies };
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.openAiDialect = options.openAiDialect ?? 'openai';
    this.transcriber = options.transcriber ?? new ScriptTranscriber({ script: options.script ?? [] });
    this.reply = options.reply ?? defaultReply;
  }

  addFault(rule: FaultRule): void {
    this.rules.push({ ...rule, left: rule.times ?? Number.POSITIVE_INFINITY });
  }

  clearFaults(): void {
    this.rules = [];
  }

  /** Consumes one use of the first matching rule. */
  takeFault(vendor: Vendor, path: string): SimFault | null {
    const rule = this.rules.find((r) => r.vendor === vendor && r.left > 0 && (r.path === undefined || path.includes(r.path)));
    if (!rule) return null;
    rule.left--;
    return rule.fault;
  }

  /** Latencies for one connection, with a `slow` fault applied. */
  latenciesFor(fault: SimFault | null): SimLatencies {
    if (fault?.type !== 'slow') return this.latencies;
    const f = fault.factor;
    const l = this.latencies;
    return {
      sttFinalDelayMs: l.sttFinalDelayMs * f,
      sttInterimIntervalMs: l.sttInterimIntervalMs,
      sttEndpointingMs: l.sttEndpointingMs,
      llmTtftMs: l.llmTtftMs * f,
      llmTokensPerSecond: l.llmTokensPerSecond / f,
      ttsTtfbMs: l.ttsTtfbMs * f,
      ttsRealtimeFactor: l.ttsRealtimeFactor / f,
    };
  }

  /** Records a new request/connection; the caller must call `closed` when it ends. */
  opened(vendor: Vendor, kind: 'ws' | 'http', path: string, fault: SimFault | null): SimConnection {
    const connection: SimConnection = {
      id: this.nextId++,
      vendor,
      kind,
      path,
      openedAt: performance.now(),
      closedAt: null,
      closedBy: null,
      fault,
      events: [],
    };
    this.connections.push(connection);
    this.notify();
    return connection;
  }

  /** Lets `kill()` cut this live connection. */
  onKill(connection: SimConnection, kill: () => void): void {
    this.killers.set(connection.id, kill);
  }

  /** Cuts a live connection now, as a network failure would (no close frame). */
  kill(connection: SimConnection): void {
    const kill = this.killers.get(connection.id);
    if (!kill) throw new Error(`simulator: connection ${connection.id} is not live`);
    this.event(connection, 'killed');
    kill();
  }

  closed(connection: SimConnection, by: 'client' | 'server'): void {
    this.killers.delete(connection.id);
    if (connection.closedAt !== null) return;
    connection.closedAt = performance.now();
    connection.closedBy = by;
    this.notify();
  }

  event(connection: SimConnection, type: string, detail?: string): void {
    connection.events.push({ at: performance.now(), type, detail });
    this.notify();
  }

  /** Resolves with the first value `check` returns that is not undefined, re-checked on every change. */
  waitFor<T>(check: () => T | undefined, timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`simulator: condition not reached within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter = () => void attempt();
      if (!attempt()) this.waiters.add(waiter);
    });
  }

  /** The latest connection of `vendor` (optionally whose path contains `path`). */
  last(vendor: Vendor, path?: string): SimConnection | undefined {
    return this.connections.findLast((c) => c.vendor === vendor && (path === undefined || c.path.includes(path)));
  }

  /** Wakes `waitFor`s: something they may be waiting for changed (vendor modules call it too). */
  notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
