// /v1/auth/login (public, rate limited per address), /v1/auth/logout and /v1/me. Logging in finds
// the user by e-mail across tenants; a wrong password and an unknown e-mail get the same answer
// after the same work.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { verifyAgainstDummy, verifyPassword, MAX_PASSWORD_LENGTH } from '../../auth/passwords.js';
import { effectiveScopes } from '../../auth/roles.js';
import { startUserSession } from '../../auth/user-sessions.js';
import type { UserCredentials } from '../../store/repository.js';
import { ApiError } from '../api-error.js';
import { audit } from './audit.js';
import { commonErrors, errorDoc, userDoc } from './doc-schemas.js';
import { defineRoute } from './route-spec.js';
import { userToJson } from './user-json.js';
import { DEFAULT_LOGIN_RATE_LIMIT, type V1Deps } from './v1-deps.js';

const tags = ['auth'];

export const loginBody = z.strictObject({
  email: z.string().trim().min(1).max(320),
  password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
  /** Needed when the e-mail and password match users in several tenants. */
  tenant_id: z.string().min(1).max(200).optional(),
});

const invalidLogin = () => new ApiError(401, 'invalid_credentials', 'wrong e-mail or password');

async function matchingUsers(candidates: UserCredentials[], password: string): Promise<UserCredentials[]> {
  if (candidates.length === 0) {
    await verifyAgainstDummy(password);
    return [];
  }
  const matched: UserCredentials[] = [];
  for (const user of candidates) {
    const ok = user.passwordHash ? await verifyPassword(password, user.passwordHash) : await verifyAgainstDummy(password);
    if (ok) matched.push(user);
  }
  return matched;
}

export function registerAuthRoutes(v1: FastifyInstance, deps: V1Deps): void {
  const { repository } = deps;
  const loginLimit = deps.loginRateLimit ?? DEFAULT_LOGIN_RATE_LIMIT;

  defineRoute(v1, {
    method: 'POST',
    url: '/auth/login',
    summary: 'Log in with e-mail and password; answers a bearer session token',
    description:
      '409 ambiguous_tenant when the e-mail and password match users of several tenants: send tenant_id. Rate limited per client address.',
    tags,
    access: 'public',
    body: loginBody,
    config: { rateLimit: { max: loginLimit.max, timeWindow: loginLimit.windowMs, keyGenerator: (request: { ip: string }) => `login:${request.ip}` } },
    responses: {
      200: {
        description: 'the session token (send as Authorization: Bearer)',
        schema: z.object({ token: z.string(), token_type: z.literal('Bearer'), expires_at: z.string(), tenant_id: z.string(), user: userDoc }),
      },
      401: { description: 'wrong e-mail or password', schema: errorDoc },
      409: { description: 'ambiguous_tenant', schema: errorDoc },
      429: commonErrors[429],
    },
    async handler({ request, body }) {
      const candidates = (await repository.findUsersByEmail(body.email)).filter((u) => body.tenant_id === undefined || u.tenantId === body.tenant_id);
      const matched = await matchingUsers(candidates, body.password);
      if (matched.length === 0) throw invalidLogin();
      if (matched.length > 1) throw new ApiError(409, 'ambiguous_tenant', 'this e-mail belongs to several tenants: send tenant_id');
      const user = matched[0];
      const session = await startUserSession(repository, { tenantId: user.tenantId, userId: user.id, now: deps.now(), ttlMs: deps.sessionTtlMs });
      await audit(request, 'auth.login', 'user', user.id, { session_id: session.sessionId }, { tenantId: user.tenantId, actor: `user:${user.id}` });
      return { token: session.token, token_type: 'Bearer', expires_at: session.expiresAt, tenant_id: user.tenantId, user: userToJson(user) };
    },
  });

  defineRoute(v1, {
    method: 'POST',
    url: '/auth/logout',
    summary: 'End the web-app session of the bearer token',
    tags,
    access: 'authenticated',
    responses: { 204: { description: 'logged out' }, 400: { description: 'not_a_session: the credentials are not a session token', schema: errorDoc }, ...commonErrors },
    async handler({ request, reply, principal }) {
      if (!principal.sessionId) throw new ApiError(400, 'not_a_session', 'only a session token logs out (API keys are revoked with DELETE /v1/api-keys/:id)');
      if (await repository.revokeUserSession(principal.tenantId, principal.sessionId)) {
        await audit(request, 'auth.logout', 'user', principal.userId ?? null, { session_id: principal.sessionId });
      }
      reply.status(204);
    },
  });

  defineRoute(v1, {
    method: 'GET',
    url: '/me',
    summary: 'Who the credentials are: tenant, role, scopes, and the user or key',
    tags,
    access: 'authenticated',
    responses: {
      200: {
        description: 'the principal',
        schema: z.object({
          tenant: z.object({ id: z.string(), name: z.string().nullable() }),
          kind: z.enum(['api_key', 'user', 'local']),
          role: z.string(),
          actor: z.string(),
          scopes: z.array(z.string()),
          user: userDoc.nullable(),
          key_id: z.string().nullable(),
        }),
      },
      ...commonErrors,
    },
    async handler({ principal }) {
      const tenant = await repository.getTenant(principal.tenantId);
      const user = principal.userId ? await repository.getUser(principal.tenantId, principal.userId) : undefined;
      return {
        tenant: { id: principal.tenantId, name: tenant?.name ?? null },
        kind: principal.kind,
        role: principal.role,
        actor: principal.actor,
        scopes: effectiveScopes(principal),
        user: user ? userToJson(user) : null,
        key_id: principal.keyId ?? null,
      };
    },
  });
}
