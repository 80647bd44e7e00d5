// The `dtmf` client message over a real WebSocket on loopback: each key reaches the session, comes
// back as a `dtmf` server message, and the entry becomes a caller turn; bad keys are an error.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { VirtualClock } from '../../src/clock.js';
import { createLogger } from '../../src/log.js';
import { SimulatedLlm, SimulatedStt, SimulatedTts } from '../../src/providers/simulated/index.js';
import { Session } from '../../src/session/session.js';
import { SessionRegistry } from '../../src/session/session-registry.js';
import { ToolRegistry } from '../../src/tools/tool-registry.js';
import { VoiceConnection } from '../../src/transports/browser-ws/voice-connection.js';
import { EnergyVad } from '../../src/vad/energy-vad.js';
import { VoiceClient } from '../helpers/voice-client.js';

// Only the socket is real: the session's clock never moves, so nothing but the keys happens.
const clock = new VirtualClock(1000);
const log = createLogger('silent');
let server: WebSocketServer;
let url: string;

beforeAll(async () => {
  const registry = new SessionRegistry(clock, 60_000);
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (ws) => {
    new VoiceConnection(
      ws,
      {
        clock,
        log,
        registry,
        createSession: (request) =>
          new Session({
            callId: request.callId,
            clock,
            log,
            vad: new EnergyVad(),
            stt: new SimulatedStt({ clock, script: [], finalDelayMs: 100 }),
            llm: new SimulatedLlm({ clock, ttftMs: 300, tokensPerSecond: 50 }),
            tts: new SimulatedTts({ clock, ttfbMs: 100, realtimeFactor: 5, msPerChar: 60 }),
            tools: new ToolRegistry(),
            agent: { name: 'assistant', systemPrompt: 'Be brief.', greeting: null, turn: {}, vad: { threshold: 0.5, minSpeechMs: 64, minSilenceMs: 250 } },
            sampleRate: 16000,
            sendAudio: request.sendAudio,
          }),
        engines: { vad: 'energy', stt: 'simulated', llm: 'simulated', tts: 'simulated' },
        internalSampleRate: 16000,
        defaultOutputSampleRate: 16000,
        heartbeatIntervalMs: 30_000,
        heartbeatTimeoutMs: 60_000,
        wallTime: (at) => at,
      },
      'default',
    );
  });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const ws of server.clients) ws.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function started(): Promise<VoiceClient> {
  const client = await VoiceClient.connect(url);
  client.send({ type: 'start_session' });
  await client.waitFor((m) => m.type === 'session_ready');
  return client;
}

describe('/ws/voice dtmf', () => {
  it('sends each key to the session, echoes it as a dtmf message, and answers the entry as a turn', async () => {
    const client = await started();
    const from = client.received.length;
    client.send({ type: 'dtmf', digits: '12#' });
    await client.waitFor((m) => m.type === 'state_change' && m.to === 'COMMITTED', 15_000, from);
    const after = client.received.slice(from).flatMap((r) => (r.kind === 'json' ? [r.msg] : []));
    expect(after.filter((m) => m.type === 'dtmf')).toEqual([
      { type: 'dtmf', digit: '1' },
      { type: 'dtmf', digit: '2' },
      { type: 'dtmf', digit: '#' },
    ]);
    expect(after.map((m) => m.type)).toEqual(['dtmf', 'state_change', 'dtmf', 'dtmf', 'transcript_final', 'state_change']);
    expect(after.find((m) => m.type === 'transcript_final')).toEqual({ type: 'transcript_final', text: '[keypad] 12', confidence: 1 });
    expect(after.filter((m) => m.type === 'state_change').map((m) => [m.from, m.to, m.reason])).toEqual([
      ['IDLE', 'LISTENING', 'caller pressed a key'],
      ['LISTENING', 'COMMITTED', 'keypad #'],
    ]);
    client.close();
  });

  it('refuses keys that are not on a keypad, and keys before a session', async () => {
    const early = await VoiceClient.connect(url);
    early.send({ type: 'dtmf', digits: '1' });
    expect(await early.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'no_session', recoverable: true });
    early.close();

    const client = await started();
    const bad = [{ type: 'dtmf', digits: '12x' }, { type: 'dtmf', digits: '' }, { type: 'dtmf', digits: '1'.repeat(33) }, { type: 'dtmf' }, { type: 'dtmf', digits: '1', extra: true }, { type: 'dtmf', digits: 1 }];
    for (const [i, msg] of bad.entries()) {
      client.send(msg);
      const errors = () => client.messages('error');
      await client.waitFor(() => errors().length === i + 1);
      expect(errors()[i]).toMatchObject({ code: 'invalid_message', recoverable: true, message: expect.stringContaining('invalid dtmf') });
    }
    expect(client.messages('error')[0].message).toContain('digits: must be 1 to 32 keypad keys: 0-9, *, #, A-D');
    // A valid key afterwards still works: the socket and the call went on, and nothing bad got through.
    client.send({ type: 'dtmf', digits: '7' });
    await client.waitFor((m) => m.type === 'dtmf');
    expect(client.messages('dtmf')).toEqual([{ type: 'dtmf', digit: '7' }]);
    client.close();
  });
});
