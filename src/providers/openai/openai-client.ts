// Builds the official SDK client the way every Parley adapter needs it: credentials and endpoint
// only from our options (never the OPENAI_* environment), no SDK retries (retry and backoff live in
// src/resilience, which must see every failure), and no SDK logging (it would print response
// bodies; failures reach the caller as ProviderError instead).
import OpenAI from 'openai';

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export type OpenAiClientOptions = { apiKey: string; baseUrl?: string; timeoutMs?: number };

export function createOpenAiClient(provider: string, options: OpenAiClientOptions): OpenAI {
  if (typeof options.apiKey !== 'string' || options.apiKey === '') {
    // Ollama ignores the key, but the SDK insists on one: any non-empty value works there.
    throw new RangeError(`${provider}: apiKey must be a non-empty string`);
  }
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) {
    throw new RangeError(`${provider}: timeoutMs must be > 0, got ${options.timeoutMs}`);
  }
  return new OpenAI({
    apiKey: options.apiKey,
    baseURL: options.baseUrl ?? OPENAI_BASE_URL,
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    maxRetries: 0,
    logLevel: 'off',
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
  });
}

/** True for api.openai.com itself (some request fields differ from what compatible servers accept). */
export function isOfficialEndpoint(baseUrl: string | undefined): boolean {
  if (baseUrl === undefined) return true;
  try {
    return new URL(baseUrl).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}
