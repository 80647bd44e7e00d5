// Secrets Parley hands out (API keys, session tokens) are random strings stored only as their
// SHA-256: a stolen database holds nothing that authenticates. Plain SHA-256 suffices here because
// the tokens carry 256 random bits; passwords, which do not, use scrypt (passwords.ts).
import { createHash, randomBytes } from 'node:crypto';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** `prefix` followed by 32 random bytes in base64url (43 characters). */
export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}
