// Users and API keys as the API answers them: never a password hash or a key hash.
import type { ApiKey, User } from '../../store/repository.js';

export function userToJson(user: User): Record<string, unknown> {
  return { id: user.id, email: user.email, name: user.name, role: user.role, created_at: user.createdAt };
}

export function apiKeyToJson(key: ApiKey): Record<string, unknown> {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    role: key.role,
    scopes: key.scopes,
    created_at: key.createdAt,
    revoked_at: key.revokedAt,
    last_used_at: key.lastUsedAt,
  };
}
