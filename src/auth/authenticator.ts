// Turns the credentials of a request (or a WebSocket upgrade) into a Principal: an API key, a
// web-app session token, or, when allowed, nothing at all from this machine. Credentials that were
// given but do not check out are an error (401), never a fallback to anonymous.
import { ApiError, unauthorized } from '../api/api-error.js';
import type { Repository } from '../store/repository.js';
import { looksLikeApiKey } from './api-keys.js';
import { isLoopbackAddress } from './loopback.js';
import type { Principal } from './principal.js';
import { isRole, keyScopes } from './roles.js';
import { hashToken } from './token-hash.js';

export type AuthenticatorOptions = {
  repository: Repository;
  now: () => Date;
  /** Requests without credentials from a loopback address act as the admin of `defaultTenantId`. */
  anonymousLoopback: boolean;
  defaultTenantId: string;
  /** How often a key's `lastUsedAt` is written at most. Default one minute. */
  touchIntervalMs?: number;
  /** Told when recording a key's use fails (it never fails the request). */
  onTouchError?: (err: unknown) => void;
};

export type Credentials = {
  /** The Authorization header: `Bearer <api key or session token>`. */
  authorization?: string;
  /** An API key given directly (the `x-api-key` header, or the voice WebSocket's query parameter). */
  apiKey?: string;
  /** A session token given directly. */
  sessionToken?: string;
  /** The socket's remote address (not a forwarded header), for anonymous loopback. */
  remoteAddress?: string;
};

const present = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

export class Authenticator {
  private readonly lastTouch = new Map<string, number>();

  constructor(private readonly options: AuthenticatorOptions) {}

  /** The principal, or null when no credentials were given and anonymous access does not apply. */
  async authenticate(input: Credentials): Promise<Principal | null> {
    if (present(input.authorization)) return this.bearer(input.authorization);
    if (present(input.apiKey)) {
      if (!looksLikeApiKey(input.apiKey.trim())) throw unauthorized('invalid API key');
      return this.apiKey(input.apiKey.trim());
    }
    if (present(input.sessionToken)) return this.session(input.sessionToken.trim());
    if (this.options.anonymousLoopback && isLoopbackAddress(input.remoteAddress)) {
      return { tenantId: this.options.defaultTenantId, role: 'admin', actor: 'local', kind: 'local', scopes: null };
    }
    return null;
  }

  private bearer(header: string): Promise<Principal> {
    const match = /^Bearer[ \t]+(\S+)\s*$/i.exec(header.trim());
    if (!match) throw unauthorized('the Authorization header must be "Bearer <API key or session token>"');
    const token = match[1];
    return looksLikeApiKey(token) ? this.apiKey(token) : this.session(token);
  }

  private async apiKey(token: string): Promise<Principal> {
    const key = await this.options.repository.findApiKeyByHash(hashToken(token));
    if (!key) throw unauthorized('invalid or revoked API key');
    if (!isRole(key.role)) throw unauthorized('this API key has an unknown role');
    this.touch(key.tenantId, key.id);
    return { tenantId: key.tenantId, role: key.role, actor: `key:${key.id}`, kind: 'api_key', scopes: keyScopes(key.role, key.scopes), keyId: key.id };
  }

  private async session(token: string): Promise<Principal> {
    const { repository, now } = this.options;
    const session = await repository.findUserSessionByHash(hashToken(token), now().toISOString());
    if (!session) throw unauthorized('invalid or expired session');
    const user = await repository.getUser(session.tenantId, session.userId);
    if (!user) throw unauthorized('invalid or expired session');
    if (!isRole(user.role)) throw new ApiError(401, 'unauthorized', 'this user has an unknown role');
    return {
      tenantId: session.tenantId,
      role: user.role,
      actor: `user:${user.id}`,
      kind: 'user',
      scopes: null,
      userId: user.id,
      sessionId: session.id,
    };
  }

  /** Records the key's use without making the request wait, at most once per interval. */
  private touch(tenantId: string, keyId: string): void {
    const at = this.options.now();
    const last = this.lastTouch.get(keyId);
    if (last !== undefined && at.getTime() - last < (this.options.touchIntervalMs ?? 60_000)) return;
    this.lastTouch.set(keyId, at.getTime());
    if (this.lastTouch.size > 10_000) this.lastTouch.delete(this.lastTouch.keys().next().value as string);
    this.options.repository.touchApiKey(tenantId, keyId, at.toISOString()).catch((err: unknown) => this.options.onTouchError?.(err));
  }
}
