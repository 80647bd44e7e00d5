// Request limits and edges: body size (413), bad JSON, the error shape of validation failures,
// per-principal rate limits on the test clock (429 with Retry-After), the login rate limit, CORS.
import { afterEach, describe, expect, it } from 'vitest';
import { agentBody } from './fixtures.js';
import { startApi, type ApiHarness, type HarnessOptions } from './harness.js';

let api: ApiHarness;
afterEach(() => api?.close());
const start = async (options: HarnessOptions = {}) => (api = await startApi(options));

describe('bodies', () => {
  it('answers 413 for a body above the limit', async () => {
    await start({ bodyLimitBytes: 2048 });
    const { key } = await api.keyFor('acme');
    const res = await api.call(key, { method: 'POST', url: '/v1/agents', payload: agentBody({ prompt: 'x'.repeat(4096) }) });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toEqual({ error: { code: 'payload_too_large', message: 'the request body is too large' } });
    expect((await api.call(key, { method: 'POST', url: '/v1/agents', payload: agentBody({ prompt: 'x'.repeat(1000) }) })).statusCode).toBe(201);
  });

  it('answers 400 invalid_json for a body that is not JSON, and 415 for another media type', async () => {
    await start();
    const { key } = await api.keyFor('acme');
    const bad = await api.call(key, { method: 'POST', url: '/v1/agents', payload: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const xml = await api.call(key, { method: 'POST', url: '/v1/agents', payload: '<agent/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.statusCode).toBe(415);
    expect(xml.json().error.code).toBe('unsupported_media_type');
  });

  it('lists every validation problem as (field, reason)', async () => {
    await start();
    const { key } = await api.keyFor('acme');
    const res = await api.call(key, {
      method: 'POST',
      url: '/v1/agents',
      payload: {
        ...agentBody(),
        name: '',
        greeting: undefined,
        providers: { stt: ['carrier-pigeon'] },
        tools: ['time', 'weather'],
        turn: { debounceMs: -1 },
        webhooks: [{ url: 'ftp://example.com/', events: ['call.exploded'], secret: 'short' }],
        extra: 1,
      },
    });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('validation_failed');
    const byField = Object.fromEntries(error.issues.map((i: { field: string; reason: string }) => [i.field, i.reason]));
    expect(Object.keys(byField).sort()).toEqual(
      ['extra', 'greeting', 'name', 'providers.stt.0', 'tools.1', 'turn.debounceMs', 'webhooks.0.events.0', 'webhooks.0.secret', 'webhooks.0.url'].sort(),
    );
    expect(byField.extra).toBe('unknown field');
    expect(byField.greeting).toBe('required');
    expect(byField['webhooks.0.url']).toBe('must be an http or https URL');
    expect(byField['webhooks.0.secret']).toBe('must be at least 16 characters');
    // No body at all: named by where it is missing (checked before any lookup, so it tells nothing about the agent).
    const none = await api.call(key, { method: 'POST', url: '/v1/agents/agt_x/rollback' });
    expect(none.statusCode).toBe(400);
    expect(none.json().error.issues).toEqual([{ field: 'body', reason: 'required' }]);
  });

  it('answers an unknown /v1 route in the error shape', async () => {
    await start();
    const { key } = await api.keyFor('acme');
    const res = await api.call(key, { method: 'GET', url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'no route GET /v1/nothing-here' } });
  });
});

describe('rate limits', () => {
  it('limits each principal separately and answers 429 with Retry-After until the window passes', async () => {
    await start({ rateLimit: { max: 3, windowMs: 10_000 } });
    const { key: a } = await api.keyFor('acme');
    const { key: b } = await api.keyFor('acme');
    for (let i = 0; i < 3; i++) expect((await api.call(a, { method: 'GET', url: '/v1/agents' })).statusCode).toBe(200);
    api.clock.advance(4000);
    const limited = await api.call(a, { method: 'GET', url: '/v1/agents' });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBe('6');
    // Another key has its own budget; a POST is limited before its body is read.
    expect((await api.call(b, { method: 'GET', url: '/v1/agents' })).statusCode).toBe(200);
    expect((await api.call(a, { method: 'POST', url: '/v1/agents', payload: agentBody() })).statusCode).toBe(429);
    api.clock.advance(6000);
    expect((await api.call(a, { method: 'GET', url: '/v1/agents' })).statusCode).toBe(200);
  });

  it('limits login attempts per client address', async () => {
    await start({ loginRateLimit: { max: 2, windowMs: 60_000 } });
    const attempt = (remoteAddress: string) =>
      api.app.inject({ method: 'POST', url: '/v1/auth/login', remoteAddress, payload: { email: 'x@example.com', password: 'whatever12' } });
    expect((await attempt('10.0.0.1')).statusCode).toBe(401);
    expect((await attempt('10.0.0.1')).statusCode).toBe(401);
    const limited = await attempt('10.0.0.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    expect((await attempt('10.0.0.2')).statusCode).toBe(401);
  });
});

describe('CORS', () => {
  it('answers allowlisted origins, preflight included, and gives others no CORS headers', async () => {
    await start({ corsOrigins: ['https://app.example.com'] });
    const { key } = await api.keyFor('acme');
    const allowed = await api.call(key, { method: 'GET', url: '/v1/agents', headers: { origin: 'https://app.example.com' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const preflight = await api.app.inject({
      method: 'OPTIONS',
      url: '/v1/agents',
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(preflight.headers['access-control-allow-headers'])).toContain('authorization');
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');

    const other = await api.call(key, { method: 'GET', url: '/v1/agents', headers: { origin: 'https://evil.example.com' } });
    expect(other.statusCode).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const otherPreflight = await api.app.inject({
      method: 'OPTIONS',
      url: '/v1/agents',
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(otherPreflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(otherPreflight.headers['access-control-allow-methods']).toBeUndefined();
  });

  it('gives no origin CORS headers when the allowlist is empty', async () => {
    await start({ corsOrigins: [] });
    const { key } = await api.keyFor('acme');
    const res = await api.call(key, { method: 'GET', url: '/v1/agents', headers: { origin: 'https://app.example.com' } });
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
