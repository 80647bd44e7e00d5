// The HTTP server: the voice WebSocket, health, and the static page. Routes get their collaborators
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
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.log as unknown as FastifyBaseLogger, disableRequestLogging: true, bodyLimit: 1024 * 1024 });
  await app.register(fastifyWebsocket, { options: { maxPayload: deps.maxFrameBytes } });
  await app.register(fastifyStatic, { root: deps.webRoot, index: ['index.html'] });

  app.get('/health', async () => ({ status: 'ok', ...deps.health() }));

  app.get('/ws/voice', { websocket: true }, (socket) => {
    new VoiceConnection(socket, deps.voice);
  });

  return app;
}
