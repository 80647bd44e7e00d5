// API keys: `pk_` and 32 random bytes, shown to their creator once. The store keeps the SHA-256
// and a short prefix for recognising the key in lists; a key has a role and may be narrowed to
// some of the role's scopes.
import type { ApiKey, Repository } from '../store/repository.js';
import { newId } from './ids.js';
import { ROLE_SCOPES, type Role, type Scope } from './principal.js';
import { hashToken, randomToken } from './token-hash.js';

export const API_KEY_PREFIX = 'pk_';
/** How much of the key lists show: `pk_` and 8 characters. */
const DISPLAY_LENGTH = API_KEY_PREFIX.length + 8;

export type GeneratedApiKey = { key: string; keyHash: string; prefix: string };

export function generateApiKey(): GeneratedApiKey {
  const key = randomToken(API_KEY_PREFIX);
  return { key, keyHash: hashToken(key), prefix: key.slice(0, DISPLAY_LENGTH) };
}

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export type IssueApiKeyInput = { name: string; role: Role; scopes?: readonly Scope[] };

/** Creates a key for the tenant; the plaintext `key` is returned here and never again. */
export async function issueApiKey(repository: Repository, tenantId: string, input: IssueApiKeyInput): Promise<{ apiKey: ApiKey; key: string }> {
  const outside = (input.scopes ?? []).filter((s) => !ROLE_SCOPES[input.role].includes(s));
  if (outside.length > 0) throw new Error(`scopes outside role ${input.role}: ${outside.join(', ')}`);
  const generated = generateApiKey();
  const apiKey = await repository.createApiKey(tenantId, {
    id: newId('key'),
    name: input.name,
    keyHash: generated.keyHash,
    prefix: generated.prefix,
    role: input.role,
    scopes: [...new Set(input.scopes ?? [])],
  });
  return { apiKey, key: generated.key };
}
