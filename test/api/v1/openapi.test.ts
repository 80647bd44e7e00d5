// The OpenAPI document lists every /v1 route (as collected by an onRoute hook) with a summary,
// tags, its parameters and body, and the bearer scheme; Swagger UI is served from the package.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, v1Routes, type ApiHarness } from './harness.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

type Operation = { summary?: string; tags?: string[]; parameters?: { in: string; name: string }[]; requestBody?: unknown; security?: unknown[]; responses?: Record<string, unknown> };
const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

describe('OpenAPI', () => {
  it('documents every /v1 route and nothing else under /v1', async () => {
    const res = await api.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Parley');
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });

    const routes = v1Routes(api.routes);
    expect(routes.length).toBeGreaterThanOrEqual(24);
    const documented = Object.entries(doc.paths as Record<string, Record<string, Operation>>)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(routes.map((r) => `${r.method} ${openApiPath(r.url)}`).sort());

    for (const route of routes) {
      const op = doc.paths[openApiPath(route.url)][route.method.toLowerCase()] as Operation;
      const name = `${route.method} ${route.url}`;
      expect(op.summary, name).toBeTruthy();
      expect(op.tags?.length, name).toBeGreaterThan(0);
      expect(Object.keys(op.responses ?? {}).length, name).toBeGreaterThan(0);
      for (const param of route.url.match(/:([A-Za-z_]+)/g) ?? []) {
        expect(op.parameters?.some((p) => p.in === 'path' && p.name === param.slice(1)), `${name} ${param}`).toBe(true);
      }
      if (['POST', 'PUT', 'PATCH'].includes(route.method) && route.url !== '/v1/auth/logout') expect(op.requestBody, name).toBeDefined();
    }
    const login = doc.paths['/v1/auth/login'].post as Operation;
    expect(login.security).toEqual([]);
    const listCalls = doc.paths['/v1/calls'].get as Operation;
    expect(listCalls.parameters?.map((p) => p.name).sort()).toEqual(['agent_id', 'cursor', 'from', 'limit', 'q', 'status', 'to']);
  });

  it('serves Swagger UI and its assets from the package', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    const bundle = await api.app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.body.length).toBeGreaterThan(100_000);
    expect(page.body).not.toMatch(/https?:\/\/(unpkg|cdn)/);
  });
});
