// A real /v1 API on a real store for tests: fastify with the docs and the v1 plugin, a clock the
// test moves, every route collected with an onRoute hook, and helpers to call it with a key.
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { issueApiKey } from '../../../src/auth/api-keys.js';
import { Authenticator } from '../../../src/auth/authenticator.js';
import type { Role, Scope } from '../../../src/auth/principal.js';
import { registerApiDocs } from '../../../src/api/api-docs.js';
import { registerV1 } from '../../../src/api/v1/register-v1.js';
import type { V1Deps } from '../../../src/api/v1/v1-deps.js';
import { openMigratedStore, type Store } from '../../../src/store/open-store.js';
import type { Repository } from '../../../src/store/repository.js';

export type CollectedRoute = { method: string; url: string; hidden: boolean };

export type TestClock = { now(): Date; advance(ms: number): void; set(iso: string): void };

export function testClock(startIso = '2026-03-01T12:00:00.000Z'): TestClock {
  let ms = Date.parse(startIso);
  return { now: () => new Date(ms), advance: (d) => void (ms += d), set: (iso) => void (ms = Date.parse(iso)) };
}

export type LogLine = { level: string; obj: object; msg?: string };

export type ApiHarness = {
  app: FastifyInstance;
  store: Store;
  repository: Repository;
  clock: TestClock;
  logs: LogLine[];
  /** Every route registered, HEAD routes left out. */
  routes: CollectedRoute[];
  /** A tenant (created if missing) and a key of the role (and scopes) for it. */
  keyFor(tenantId: string, role?: Role, scopes?: Scope[]): Promise<{ key: string; keyId: string }>;
  /** app.inject with `Authorization: Bearer <token>` when a token is given. */
  call(token: string | null, options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
};

export type HarnessOptions = Partial<Omit<V1Deps, 'repository' | 'authenticator' | 'now' | 'log'>> & {
  store?: Store;
  anonymousLoopback?: boolean;
  defaultTenantId?: string;
};

export async function startApi(options: HarnessOptions = {}): Promise<ApiHarness> {
  const store = options.store ?? (await openMigratedStore({ sqlitePath: ':memory:' }));
  const repository = store.repository;
  const clock = testClock();
  const logs: LogLine[] = [];
  const log = Object.fromEntries(
    (['error', 'warn', 'info'] as const).map((level) => [level, (obj: object, msg?: string) => void logs.push({ level, obj, msg })]),
  ) as unknown as V1Deps['log'];
  const authenticator = new Authenticator({
    repository,
    now: clock.now,
    anonymousLoopback: options.anonymousLoopback ?? false,
    defaultTenantId: options.defaultTenantId ?? 'default',
  });
  const app = Fastify({ logger: false });
  const routes: CollectedRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, hidden });
  });
  await registerApiDocs(app);
  // As the server does: WebSocket routes inside /v1 (live follow) need the plugin in place.
  await app.register(fastifyWebsocket);
  await registerV1(app, {
    repository,
    authenticator,
    now: clock.now,
    log,
    rateLimit: options.rateLimit ?? { max: 10_000, windowMs: 60_000 },
    loginRateLimit: options.loginRateLimit,
    corsOrigins: options.corsOrigins ?? [],
    bodyLimitBytes: options.bodyLimitBytes ?? 256 * 1024,
    sessionTtlMs: options.sessionTtlMs,
    extraRoutes: options.extraRoutes,
    onAgentChanged: options.onAgentChanged,
  });
  await app.ready();

  return {
    app,
    store,
    repository,
    clock,
    logs,
    routes,
    async keyFor(tenantId, role = 'admin', scopes) {
      if (!(await repository.getTenant(tenantId))) await repository.createTenant({ id: tenantId, name: `Tenant ${tenantId}` });
      const { apiKey, key } = await issueApiKey(repository, tenantId, { name: `${role} key`, role, scopes });
      return { key, keyId: apiKey.id };
    },
    call(token, request) {
      const headers = { ...(request.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) };
      return app.inject({ ...request, headers });
    },
    async close() {
      await app.close();
      if (!options.store) await store.close();
    },
  };
}

/** The /v1 routes a test must account for: documented ones (not CORS preflight or HEAD). */
export function v1Routes(routes: CollectedRoute[]): CollectedRoute[] {
  return routes.filter((r) => r.url.startsWith('/v1/') && !r.hidden);
}
