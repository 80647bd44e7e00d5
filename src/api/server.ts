// The HTTP server: the voice WebSocket, health, metrics, and the static page. Routes get their collaborators
// passed in; nothing here builds providers.
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { VoiceConnection, type VoiceConnectionDeps } from '../transports/browser-ws/voice-connection.js';

export interface ServerDeps {
  log: Logger;
  webRoot: string;
  maxFrameBytes: number;
  voice: VoiceConnectionDeps;
  health(): Record<string, unknown>;
  /** Prometheus exposition text. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Clears the process-wide measurement counters (used by benchmarks between steps). */
  resetStats(): void;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log as unknown as FastifyBaseLogger, bodyLimit: 1024 * 1024 });
  await app.register(fastifyWebsocket, { options: { maxPayload: deps.maxFrameBytes } });
  await app.register(fastifyStatic, { root: deps.webRoot, index: ['index.html'] });

  app.get('/health', async () => ({ status: 'ok', ...deps.health() }));
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await deps.metrics();
    return reply.header('content-type', contentType).send(body);
  });
  app.post('/health/reset-stats', async () => {
    deps.resetStats();
    return { status: 'ok' };
  });

  const connections = new Set<VoiceConnection>();
  app.get('/ws/voice', { websocket: true }, (socket) => {
    const connection = new VoiceConnection(socket, deps.voice);
    connections.add(connection);
    socket.on('close', () => connections.delete(connection));
  });
  app.addHook('preClose', async () => {
    for (const connection of connections) connection.shutdown();
  });

  return app;
}
