// Who is making a request, once authenticated: the tenant every query is scoped to, the role, and
// (for API keys) the scopes the key was limited to. Routes ask `can(principal, scope)`.

export const ROLES = ['admin', 'member', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = [
  'agents:read',
  'agents:write',
  'calls:read',
  'calls:write',
  /** Start calls on the voice WebSocket. */
  'voice',
  'webhooks:read',
  'webhooks:write',
  'keys:admin',
  'users:admin',
  'audit:read',
] as const;
export type Scope = (typeof SCOPES)[number];

const READ: readonly Scope[] = ['agents:read', 'calls:read', 'webhooks:read'];
const WRITE: readonly Scope[] = [...READ, 'agents:write', 'calls:write', 'voice', 'webhooks:write'];

/** What each role may do at most; an API key may be narrowed further by its scopes. */
export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  viewer: READ,
  member: WRITE,
  admin: SCOPES,
};

export type Principal = {
  tenantId: string;
  role: Role;
  /** For the audit log: `user:<id>`, `key:<id>` or `local`. */
  actor: string;
  kind: 'api_key' | 'user' | 'local';
  /** Set for API keys: the scopes the key was created with (within its role's). */
  scopes: readonly Scope[] | null;
  keyId?: string;
  userId?: string;
  /** Set for web-app logins: the session the bearer token belongs to (logout revokes it). */
  sessionId?: string;
};

export function can(principal: Principal, scope: Scope): boolean {
  if (!ROLE_SCOPES[principal.role].includes(scope)) return false;
  return principal.scopes === null || principal.scopes.includes(scope);
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on every /v1 request that got past it. */
    principal?: Principal;
  }
}
