// Web-app logins: a random bearer token (`ps_` and 32 random bytes) whose SHA-256 is stored with an
// expiry; logging out revokes it. The plaintext token exists only in the login answer.
import type { Repository } from '../store/repository.js';
import { newId } from './ids.js';
import { hashToken, randomToken } from './token-hash.js';

export const SESSION_TOKEN_PREFIX = 'ps_';
export const DEFAULT_SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type StartedSession = { token: string; sessionId: string; expiresAt: string };

export async function startUserSession(
  repository: Repository,
  input: { tenantId: string; userId: string; now: Date; ttlMs?: number },
): Promise<StartedSession> {
  const token = randomToken(SESSION_TOKEN_PREFIX);
  const sessionId = newId('ses');
  const expiresAt = new Date(input.now.getTime() + (input.ttlMs ?? DEFAULT_SESSION_TTL_MS)).toISOString();
  await repository.createUserSession(input.tenantId, { id: sessionId, userId: input.userId, tokenHash: hashToken(token), expiresAt });
  return { token, sessionId, expiresAt };
}
