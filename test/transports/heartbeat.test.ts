// The voice socket's heartbeat on a virtual clock: a ping every interval, and a close (4000) exactly
// when the pong deadline passes.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { VirtualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { SessionRegistry } from '../../src/session/session-registry.js';
import { VoiceConnection } from '../../src/transports/browser-ws/voice-connection.js';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  sent: { type: string; t?: number }[] = [];
  closed: { code: number; at: number } | null = null;
  constructor(private readonly clock: VirtualClock) {
    super();
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  close(code: number): void {
    this.closed = { code, at: this.clock.now() };
    this.readyState = 3;
    this.emit('close');
  }
}

function connect(clock: VirtualClock) {
  const ws = new FakeSocket(clock);
  new VoiceConnection(ws as unknown as WebSocket, {
    clock,
    log: createLogger('silent'),
    registry: new SessionRegistry(clock, 1000),
    createSession: () => {
      throw new Error('not used');
    },
    engines: { vad: 'energy', stt: 'x', llm: 'x', tts: 'x' },
    internalSampleRate: 16000,
    defaultOutputSampleRate: 16000,
    heartbeatIntervalMs: 30_000,
    heartbeatTimeoutMs: 60_000,
    wallTime: (at) => at,
  }, 'default');
  const pong = () => ws.emit('message', Buffer.from(JSON.stringify({ type: 'pong' })), false);
  return { ws, pong };
}

describe('voice socket heartbeat', () => {
  it('pings every 30 s and closes with 4000 exactly 60 s after the last pong', () => {
    const clock = new VirtualClock();
    const { ws, pong } = connect(clock);
    clock.advance(29_999);
    expect(ws.sent).toHaveLength(0);
    clock.advance(1);
    expect(ws.sent).toEqual([{ type: 'ping', t: 30_000 }]);
    clock.advanceTo(35_000);
    pong();
    clock.advanceTo(90_000);
    expect(ws.sent.map((m) => m.t)).toEqual([30_000, 60_000, 90_000]);
    expect(ws.closed).toBeNull();
    clock.advanceTo(94_999);
    expect(ws.closed).toBeNull();
    clock.advanceTo(95_000);
    expect(ws.closed).toEqual({ code: 4000, at: 95_000 });
  });

  it('closes a client that never answers at 60 s', () => {
    const clock = new VirtualClock();
    const { ws } = connect(clock);
    clock.advance(120_000);
    expect(ws.closed).toEqual({ code: 4000, at: 60_000 });
    expect(ws.sent.filter((m) => m.type === 'ping')).toHaveLength(1);
  });

  it('keeps a client that answers every ping', () => {
    const clock = new VirtualClock();
    const { ws, pong } = connect(clock);
    for (let t = 30_000; t <= 600_000; t += 30_000) {
      clock.advanceTo(t + 50);
      pong();
    }
    expect(ws.closed).toBeNull();
    expect(ws.sent.filter((m) => m.type === 'ping')).toHaveLength(20);
  });
});
