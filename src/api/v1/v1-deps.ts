// What the /v1 API is built from: the store, the authenticator, the clock, the limits, and the
// routes other modules add inside the authenticated scope.
import type { FastifyInstance } from 'fastify';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Repository } from '../../store/repository.js';

export type RateLimitSettings = { max: number; windowMs: number };

/** The few log methods the API uses (a pino Logger fits). */
export type V1Log = {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
};

export type V1Deps = {
  repository: Repository;
  authenticator: Authenticator;
  now(): Date;
  /** Requests per principal (API key, user, or local address) per window. */
  rateLimit: RateLimitSettings;
  /** Login attempts per client address per window. Default 10 per minute. */
  loginRateLimit?: RateLimitSettings;
  /** Browser origins allowed to call the API (exact, e.g. `https://app.example.com`); others get no CORS headers. */
  corsOrigins: string[];
  /** Largest request body accepted (413 above). */
  bodyLimitBytes: number;
  /** How long a web-app login lasts. Default 7 days. */
  sessionTtlMs?: number;
  /** Routes of other modules, registered inside the authenticated /v1 scope, paths relative to /v1. */
  extraRoutes?: ((v1: FastifyInstance) => void | Promise<void>)[];
  /** Told after an agent was created, changed, rolled back or deleted. */
  onAgentChanged?(tenantId: string, agentId: string): void;
  log: V1Log;
};

export const DEFAULT_LOGIN_RATE_LIMIT: RateLimitSettings = { max: 10, windowMs: 60_000 };
