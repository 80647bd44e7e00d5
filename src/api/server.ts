// The HTTP server: the voice WebSocket, health, metrics, and the static page. Routes get their collaborators
// passed in; nothing here builds providers.
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ApiError, unauthorized } from './api-error.js';
import { VoiceConnection, type VoiceConnectionDeps } from '../transports/browser-ws/voice-connection.js';

export interface ServerDeps {
  log: Logger;
  webRoot: string;
  maxFrameBytes: number;
  bodyLimitBytes?: number;
  voice: VoiceConnectionDeps;
  /**
   * The tenant a voice socket acts for, from its credentials (`?api_key=`, `?token=` or an
   * Authorization header). Throwing refuses the upgrade with the error's status (401, 403).
   */
  voiceTenant(request: FastifyRequest): Promise<string>;
  /** Registered before any route (the OpenAPI generator must see every route). */
  beforeRoutes?(app: FastifyInstance): Promise<void>;
  /** The rest of the HTTP surface: /ready, /v1. */
  routes?(app: FastifyInstance): Promise<void>;
  health(): Record<string, unknown>;
  /** Prometheus exposition text. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Clears the process-wide measurement counters (used by benchmarks between steps). */
  resetStats(): void;
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  // On close, connections still open (keep-alive sockets, streams) are cut: calls were drained before.
  const app = Fastify({ loggerInstance: deps.log as unknown as FastifyBaseLogger, bodyLimit: deps.bodyLimitBytes ?? 1024 * 1024, forceCloseConnections: true });
  await deps.beforeRoutes?.(app);
  const connections = new Set<VoiceConnection>();
  await app.register(fastifyWebsocket, {
    options: { maxPayload: deps.maxFrameBytes },
    // On close, voice clients hear why (1001 "server shutting down") instead of a bare close.
    preClose(done) {
      for (const connection of connections) connection.shutdown();
      for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down');
      done();
    },
  });
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

  const tenants = new WeakMap<FastifyRequest, string>();
  app.get(
    '/ws/voice',
    {
      websocket: true,
      // Before the upgrade: a refused socket gets a plain HTTP error, never a session.
      preValidation: async (request, reply) => {
        try {
          tenants.set(request, await deps.voiceTenant(request));
        } catch (err) {
          const refusal = err instanceof ApiError ? err : unauthorized(err instanceof Error ? err.message : String(err));
          return reply.code(refusal.status).send(refusal.toJSON());
        }
      },
    },
    (socket, request) => {
      const tenantId = tenants.get(request);
      if (tenantId === undefined) {
        socket.close(1008, 'unauthorized');
        return;
      }
      const connection = new VoiceConnection(socket, deps.voice, tenantId);
      connections.add(connection);
      socket.on('close', () => connections.delete(connection));
    },
  );
  await deps.routes?.(app);

  return app;
}
