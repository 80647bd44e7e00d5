// /v1/api-keys (keys:admin): list, create (the plaintext key is in the answer once) and revoke.
// Nobody hands out more than they hold: a key's role is at most the creator's, and what it may do
// is within what the creator may do.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { issueApiKey } from '../../auth/api-keys.js';
import { ROLE_SCOPES, ROLES, SCOPES, type Principal, type Role, type Scope } from '../../auth/principal.js';
import { effectiveScopes, roleRank } from '../../auth/roles.js';
import { forbidden, notFound } from '../api-error.js';
import { audit } from './audit.js';
import { apiKeyDoc, commonErrors, errorDoc, listOf } from './doc-schemas.js';
import { defineRoute } from './route-spec.js';
import { apiKeyToJson } from './user-json.js';
import type { V1Deps } from './v1-deps.js';
import { validationFailed } from './validation.js';

const tags = ['api-keys'];

export const newApiKeyBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Default: the creator's role. */
  role: z.enum(ROLES).optional(),
  /** Narrow the key to some of its role's scopes; absent or empty means all of them. */
  scopes: z
    .array(z.enum(SCOPES))
    .max(SCOPES.length)
    .refine((s) => new Set(s).size === s.length, 'lists a scope twice')
    .optional(),
});

/** Throws unless `creator` may hand out a key with this role and these scopes. */
function checkGrant(creator: Principal, role: Role, scopes: Scope[]): void {
  const outside = scopes.map((s, i) => ({ s, i })).filter(({ s }) => !ROLE_SCOPES[role].includes(s));
  if (outside.length > 0) throw validationFailed(outside.map(({ s, i }) => ({ field: `scopes.${i}`, reason: `${s} is not a scope of role ${role}` })));
  if (roleRank(role) > roleRank(creator.role)) throw forbidden(`cannot create a key with role ${role}, above your role ${creator.role}`);
  const held = effectiveScopes(creator);
  const granted = scopes.length > 0 ? scopes : ROLE_SCOPES[role];
  const extra = granted.filter((s) => !held.includes(s));
  if (extra.length > 0) throw forbidden(`cannot grant scopes you do not hold: ${extra.join(', ')}`);
}

export function registerKeyRoutes(v1: FastifyInstance, deps: V1Deps): void {
  const { repository } = deps;

  defineRoute(v1, {
    method: 'GET',
    url: '/api-keys',
    summary: "List the tenant's API keys (never the keys themselves)",
    tags,
    access: 'keys:admin',
    responses: { 200: { description: 'the keys, revoked ones included', schema: listOf(apiKeyDoc) }, ...commonErrors },
    async handler({ principal }) {
      return { items: (await repository.listApiKeys(principal.tenantId)).map(apiKeyToJson) };
    },
  });

  defineRoute(v1, {
    method: 'POST',
    url: '/api-keys',
    summary: 'Create an API key; the answer holds the key, shown this once',
    tags,
    access: 'keys:admin',
    body: newApiKeyBody,
    responses: {
      201: { description: 'the key, with `key` in plaintext', schema: apiKeyDoc.extend({ key: z.string() }) },
      400: { description: 'validation_failed', schema: errorDoc },
      ...commonErrors,
    },
    async handler({ request, reply, body, principal }) {
      const role = body.role ?? principal.role;
      const scopes = body.scopes ?? [];
      checkGrant(principal, role, scopes);
      const { apiKey, key } = await issueApiKey(repository, principal.tenantId, { name: body.name, role, scopes });
      await audit(request, 'key.create', 'api_key', apiKey.id, { name: apiKey.name, role, scopes, prefix: apiKey.prefix });
      reply.status(201);
      return { ...apiKeyToJson(apiKey), key };
    },
  });

  defineRoute(v1, {
    method: 'DELETE',
    url: '/api-keys/:id',
    summary: 'Revoke an API key',
    tags,
    access: 'keys:admin',
    params: z.object({ id: z.string().min(1).max(200) }),
    responses: { 204: { description: 'revoked' }, 404: { description: 'no such live key', schema: errorDoc }, ...commonErrors },
    async handler({ request, reply, params, principal }) {
      const key = (await repository.listApiKeys(principal.tenantId)).find((k) => k.id === params.id && k.revokedAt === null);
      if (!key || !(await repository.revokeApiKey(principal.tenantId, key.id))) throw notFound('API key');
      await audit(request, 'key.revoke', 'api_key', key.id, { name: key.name, prefix: key.prefix });
      reply.status(204);
    },
  });
}
