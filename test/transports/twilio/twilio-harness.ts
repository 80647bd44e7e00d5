// A Fastify server on 127.0.0.1 with the Twilio routes, a log that tests can read, and an acceptor
// that records each call (its info, leg, and what the leg reported) instead of starting an agent.
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../../src/clock.js';
import { createLogger } from '../../../src/log.js';
import type { PhoneCallAcceptor, PhoneCallInfo, PhoneLeg, PhoneLegEvents } from '../../../src/transports/phone/phone-leg.js';
import type { TwilioMediaLeg } from '../../../src/transports/twilio/twilio-media-leg.js';
import { twilioRoutes, type TwilioRoutesDeps } from '../../../src/transports/twilio/twilio-routes.js';

export type LogLine = { level: string; msg: string; reason?: string; [key: string]: unknown };

export type RecordedCall = {
  info: PhoneCallInfo;
  leg: TwilioMediaLeg;
  audio: Int16Array[];
  dtmf: string[];
  ended: string[];
};

export class RecordingAcceptor implements PhoneCallAcceptor {
  readonly calls: RecordedCall[] = [];
  /** Thrown by the next accept, when set. */
  refuseWith: Error | null = null;
  /** Resolves accept only when this promise does (an agent slow to set up). */
  gate: Promise<void> | null = null;

  async accept(info: PhoneCallInfo, leg: PhoneLeg): Promise<{ callId: string; events: PhoneLegEvents }> {
    if (this.refuseWith) throw this.refuseWith;
    const call: RecordedCall = { info, leg: leg as TwilioMediaLeg, audio: [], dtmf: [], ended: [] };
    this.calls.push(call);
    if (this.gate) await this.gate;
    return {
      callId: `call-${this.calls.length}`,
      events: {
        audio: (samples) => call.audio.push(samples.slice()),
        dtmf: (digit) => call.dtmf.push(digit),
        ended: (reason) => call.ended.push(reason),
      },
    };
  }

  audioOf(call: RecordedCall): Int16Array {
    const out = new Int16Array(call.audio.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of call.audio) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  }
}

export type TwilioTestServer = {
  app: FastifyInstance;
  port: number;
  httpUrl: string;
  wsUrl: string;
  logs: LogLine[];
  close(): Promise<void>;
};

export async function startTwilioServer(deps: Omit<TwilioRoutesDeps, 'log'> & { clock: Clock }): Promise<TwilioTestServer> {
  const logs: LogLine[] = [];
  const log = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
  const app = Fastify({ loggerInstance: createLogger('silent') as unknown as FastifyBaseLogger, forceCloseConnections: true });
  await app.register(fastifyWebsocket);
  await app.register(twilioRoutes({ ...deps, log }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return { app, port, httpUrl: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, logs, close: () => app.close() };
}

/** Waits (on real time: network delivery) until `check` holds; fails naming `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const started = performance.now();
  while (!check()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Log lines with this message. */
export function logged(logs: LogLine[], msg: string): LogLine[] {
  return logs.filter((l) => l.msg === msg);
}
