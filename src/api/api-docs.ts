// The OpenAPI document of the REST API (GET /openapi.json) and Swagger UI (/docs), both served
// from the installed packages, offline. Register before any route: @fastify/swagger learns routes
// as they are added. Routes appear when they carry `schema.tags` (every /v1 route does).
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

export type ApiDocsOptions = { version?: string; serverUrl?: string };

export const API_TAGS = [
  { name: 'auth', description: 'Logging in and out, and who the credentials are' },
  { name: 'agents', description: 'Agents and their versions' },
  { name: 'calls', description: 'Calls, their records, transcripts and recordings' },
  { name: 'metrics', description: 'Summaries of calls' },
  { name: 'users', description: 'Users of the tenant (users:admin)' },
  { name: 'api-keys', description: 'API keys of the tenant (keys:admin)' },
  { name: 'audit', description: 'The audit log (audit:read)' },
  { name: 'webhooks', description: 'Webhook deliveries: the delivery log, dead letters and replays' },
];

export async function registerApiDocs(app: FastifyInstance, options: ApiDocsOptions = {}): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Parley',
        description: 'The REST API of Parley, a self-hostable real-time voice AI agent platform. Errors: {"error": {"code", "message", "issues"?}}.',
        version: options.version ?? '0.1.0',
      },
      ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
      tags: API_TAGS,
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', description: 'An API key (pk_…) or a session token from POST /v1/auth/login' },
          apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'An API key (pk_…)' },
        },
      },
      security: [{ bearer: [] }, { apiKey: [] }],
    },
    hideUntagged: true,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null, deepLinking: true } });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
