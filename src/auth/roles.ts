// Questions about roles and scopes beyond `can()`: parsing stored values, ranking roles, and what a
// principal may do in all (which bounds what it may hand out, e.g. when creating an API key).
import { ROLES, ROLE_SCOPES, SCOPES, type Principal, type Role, type Scope } from './principal.js';

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** admin 3, member 2, viewer 1. */
export function roleRank(role: Role): number {
  return ROLES.length - ROLES.indexOf(role);
}

/** Everything the principal may do: its role's scopes, narrowed by a key's scopes. */
export function effectiveScopes(principal: Pick<Principal, 'role' | 'scopes'>): Scope[] {
  return ROLE_SCOPES[principal.role].filter((s) => principal.scopes === null || principal.scopes.includes(s));
}

/**
 * A stored key's scopes as a principal's: only known scopes within the role; an empty list means
 * the role's scopes (null).
 */
export function keyScopes(role: Role, stored: readonly string[]): Scope[] | null {
  if (stored.length === 0) return null;
  return stored.filter((s): s is Scope => isScope(s) && ROLE_SCOPES[role].includes(s));
}
