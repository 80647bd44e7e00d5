// The /v1 REST API as one encapsulated plugin: CORS for the allowlisted origins, authentication
// and the per-route scope check, per-principal rate limits, the body size limit, the error shape,
// and every route (this module's and the other modules' `extraRoutes`).
import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { can } from '../../auth/principal.js';
import { ApiError, forbidden, unauthorized } from '../api-error.js';
import { registerAgentRoutes } from './agents-routes.js';
import { installAuditWriter } from './audit.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerAuthRoutes } from './auth-routes.js';
import { registerCallRoutes } from './calls-routes.js';
import { v1ErrorHandler } from './error-handler.js';
import { registerKeyRoutes } from './keys-routes.js';
import { clockedRateLimitStore } from './rate-limit-store.js';
import { registerRecordingRoute } from './recording-route.js';
import { registerSummaryRoutes } from './summary-routes.js';
import { registerUserRoutes } from './users-routes.js';
import type { V1Deps } from './v1-deps.js';

export const V1_PREFIX = '/v1';

const firstHeader = (value: string | string[] | undefined): string | undefined => (Array.isArray(value) ? value[0] : value);

/** Whose requests count together for the rate limit. */
export function rateLimitKey(request: FastifyRequest): string {
  const principal = request.principal;
  if (!principal) return `ip:${request.ip}`;
  if (principal.kind === 'api_key') return `key:${principal.keyId}`;
  if (principal.kind === 'user') return `user:${principal.userId}`;
  return `local:${request.ip}`;
}

async function v1Plugin(v1: FastifyInstance, deps: V1Deps): Promise<void> {
  v1.setErrorHandler(v1ErrorHandler);
  v1.setNotFoundHandler((request, reply) => {
    const error = new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`);
    return reply.status(404).send(error.toJSON());
  });
  v1.addHook('onRoute', (route) => {
    route.bodyLimit ??= deps.bodyLimitBytes;
  });

  const origins = new Set(deps.corsOrigins);
  await v1.register(fastifyCors, {
    origin: (origin, callback) => callback(null, origin !== undefined && origins.has(origin) ? origin : false),
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key', 'range'],
    exposedHeaders: ['retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'content-range', 'content-length'],
    maxAge: 600,
  });

  installAuditWriter(v1, { repository: deps.repository, now: deps.now, log: deps.log });

  v1.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access ?? 'authenticated';
    if (access === 'public') return;
    const principal = await deps.authenticator.authenticate({
      authorization: request.headers.authorization,
      apiKey: firstHeader(request.headers['x-api-key']),
      // The socket's address, never a forwarded header: anonymous access must not be spoofable.
      remoteAddress: request.socket.remoteAddress,
    });
    if (!principal) throw unauthorized('send an API key or session token: Authorization: Bearer <token>');
    request.principal = principal;
    if (access !== 'authenticated' && !can(principal, access)) throw forbidden(`this needs the ${access} scope`);
  });

  // After authentication (onRequest), before the body is read.
  await v1.register(fastifyRateLimit, {
    global: true,
    hook: 'preParsing',
    max: deps.rateLimit.max,
    timeWindow: deps.rateLimit.windowMs,
    keyGenerator: rateLimitKey,
    store: clockedRateLimitStore(deps.now),
    errorResponseBuilder: (_request, context) => new ApiError(context.statusCode, 'rate_limited', `too many requests: retry in ${context.after}`),
  });

  registerAuthRoutes(v1, deps);
  registerAgentRoutes(v1, deps);
  registerCallRoutes(v1, deps);
  registerRecordingRoute(v1, deps);
  registerSummaryRoutes(v1, deps);
  registerUserRoutes(v1, deps);
  registerKeyRoutes(v1, deps);
  registerAuditRoutes(v1, deps);
  for (const addRoutes of deps.extraRoutes ?? []) await addRoutes(v1);
}

/** Registers the whole /v1 API. Call registerApiDocs(app) before it to have its routes documented. */
export async function registerV1(app: FastifyInstance, deps: V1Deps): Promise<void> {
  await app.register(async (v1) => v1Plugin(v1, deps), { prefix: V1_PREFIX });
}
