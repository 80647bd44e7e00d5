// A caller on the offline stack over the real browser protocol: Parley with its default engines
// (pocketsphinx, the receptionist flow, espeak-ng) on loopback, a microphone that streams flite
// speech in real time, and everything the server sends kept for the test to read.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { pino } from 'pino';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config.js';
import { withThrowawayStore } from '../../src/config-simulated.js';
import { createLogger } from '../../src/log.js';
import { loadFlowSync } from '../../src/flows/index.js';
import { createParley, type Parley } from '../../src/main.js';
import { LiveMic } from '../helpers/live-mic.js';
import { VoiceClient } from '../helpers/voice-client.js';

export type OfflineServer = { parley: Parley; url: string; database: string; close(): Promise<void> };

/** The configuration `npm start` runs with, on a free port and a fresh appointments book. */
export async function startOfflineParley(adjust: (config: Config) => void = () => {}): Promise<OfflineServer> {
  const dir = mkdtempSync(join(tmpdir(), 'parley-offline-'));
  const config = withThrowawayStore(loadConfig({ env: {}, file: '/dev/null' }));
  config.server = { ...config.server, port: 0 };
  config.appointments.database = join(dir, 'appointments.db');
  adjust(config);
  // PARLEY_TEST_LOG=file keeps the server's debug log of the run, for a failure to be read.
  const logFile = process.env.PARLEY_TEST_LOG;
  const log = logFile ? createLogger('debug', pino.destination({ dest: logFile, sync: true })) : createLogger('silent');
  const parley = await createParley(config, { log });
  await parley.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = parley.app.server.address() as AddressInfo;
  return {
    parley,
    url: `ws://127.0.0.1:${port}/ws/voice`,
    database: config.appointments.database,
    async close() {
      await parley.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Msg = { type: string; [k: string]: unknown };
export type TurnWire = { turn_id: string; user_text: string; agent_text: string; heard_text: string; interrupted: boolean; outcome: string };

export class OfflineCaller {
  private constructor(
    readonly client: VoiceClient,
    readonly mic: LiveMic,
  ) {}

  static async call(url: string): Promise<OfflineCaller> {
    const client = await VoiceClient.connect(url);
    client.send({ type: 'start_session', input_sample_rate: 16000, output_sample_rate: 16000 });
    await client.waitFor((m) => m.type === 'session_ready');
    const mic = new LiveMic(client.ws);
    mic.start();
    return new OfflineCaller(client, mic);
  }

  get mark(): number {
    return this.client.received.length;
  }

  /** The next message from `from` on that matches. */
  next(pred: (m: Msg) => boolean, from: number, timeoutMs = 30_000): Promise<Msg> {
    return this.client.waitFor(pred, timeoutMs, from);
  }

  /**
   * Says the clip and waits for the reply to be spoken to the end; returns what was heard of the
   * caller (every final transcript since the clip started) and the completed turn.
   */
  async turn(samples: Int16Array): Promise<{ heard: string; turn: TurnWire | null; from: number }> {
    const from = this.mark;
    await this.mic.say(samples);
    // The caller's own turn: one that heard them (not a reply of the agent's they talked over).
    const m = await this.next((x) => (x.type === 'turn_complete' && (x.turn as TurnWire).user_text !== '') || x.type === 'session_ended', from);
    const turn = m.type === 'turn_complete' ? (m.turn as TurnWire) : null;
    return { heard: this.finalsSince(from).join(' '), turn, from };
  }

  finalsSince(from: number): string[] {
    return this.client.received.slice(from).flatMap((r) => (r.kind === 'json' && r.msg.type === 'transcript_final' ? [String(r.msg.text)] : []));
  }

  messagesSince(from: number, type: string): Msg[] {
    return this.client.received.slice(from).flatMap((r) => (r.kind === 'json' && r.msg.type === type ? [r.msg] : []));
  }

  /** The agent audio received since `from`, as PCM16 at 16 kHz. */
  audioSince(from: number): Int16Array {
    const parts = this.client.received.slice(from).flatMap((r) => (r.kind === 'audio' ? [r.data] : []));
    const bytes = Buffer.concat(parts);
    return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length - (bytes.length % 2)));
  }

  get ended(): boolean {
    return this.client.messages('session_ended').length > 0 || this.client.closeCode !== null;
  }

  hangUp(): void {
    this.mic.stop();
    this.client.close();
  }
}

/**
 * Every sentence the receptionist can say (slot values left out): the domain a listener who knows
 * the agent transcribes its audio with.
 */
export function receptionistSentences(): string[] {
  const flow = loadFlowSync('flows/receptionist.yaml');
  return Object.values(flow.nodes)
    .flatMap((n) => [n.say, n.reprompt])
    .filter((t): t is string => Boolean(t))
    .flatMap((t) => t.split(/(?<=[.?!])\s+/))
    .map((t) => t.replace(/\{[^}]*\}/g, ' '));
}
