// One way to declare a /v1 route: who may call it (a scope, any authenticated principal, or the
// public), zod schemas for params, query and body (validated here with (field, reason) errors, and
// turned into JSON Schema for the OpenAPI document only), and a typed handler.
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import type { Principal, Scope } from '../../auth/principal.js';
import { unauthorized } from '../api-error.js';
import { parseInput } from './validation.js';

/** A scope the principal must hold, `authenticated` for any principal, `public` for no credentials. */
export type RouteAccess = Scope | 'authenticated' | 'public';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call a /v1 route; routes without it need an authenticated principal. */
    access?: RouteAccess;
  }
}

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

export type RouteContext<P, Q, B> = {
  request: FastifyRequest;
  reply: FastifyReply;
  params: P;
  query: Q;
  body: B;
  /** The authenticated principal (throws 401 on a public route called without one). */
  principal: Principal;
};

export type ResponseDoc = { description: string; schema?: z.ZodType; contentType?: string };

export type RouteSpec<P extends z.ZodType | undefined, Q extends z.ZodType | undefined, B extends z.ZodType | undefined> = {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the prefix of the instance it is added to (`/agents/:id` under /v1). */
  url: string;
  summary: string;
  description?: string;
  tags: string[];
  access: RouteAccess;
  params?: P;
  query?: Q;
  body?: B;
  /** A body documented but handed to the handler unparsed (`request.body`), for handlers that prepare it first. */
  docBody?: z.ZodType;
  responses: Record<number, ResponseDoc>;
  /** Extra route config (e.g. a route's own `rateLimit`). */
  config?: Record<string, unknown>;
  handler(ctx: RouteContext<Parsed<P>, Parsed<Q>, Parsed<B>>): Promise<unknown>;
};

/** JSON Schema for documentation: what a client sends (input side), with anything zod cannot express left open. */
export function docSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'any',
    // zod spells ISO formats out as long regular expressions too; the format says it for readers.
    override: ({ jsonSchema }) => {
      if (typeof jsonSchema.format === 'string' && jsonSchema.pattern !== undefined) delete jsonSchema.pattern;
    },
  }) as Record<string, unknown>;
}

function responseDocs(responses: Record<number, ResponseDoc>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [status, doc] of Object.entries(responses)) {
    if (!doc.schema) {
      out[status] = { description: doc.description, ...(doc.contentType ? { content: { [doc.contentType]: { schema: {} } } } : {}) };
    } else if (doc.contentType) {
      out[status] = { description: doc.description, content: { [doc.contentType]: { schema: docSchema(doc.schema) } } };
    } else {
      out[status] = { description: doc.description, ...docSchema(doc.schema) };
    }
  }
  return out;
}

export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(app: FastifyInstance, spec: RouteSpec<P, Q, B>): void {
  const schema: Record<string, unknown> = {
    summary: spec.summary,
    tags: spec.tags,
    ...(spec.description ? { description: spec.description } : {}),
    ...(spec.params ? { params: docSchema(spec.params) } : {}),
    ...(spec.query ? { querystring: docSchema(spec.query) } : {}),
    ...(spec.body || spec.docBody ? { body: docSchema((spec.body ?? spec.docBody) as z.ZodType) } : {}),
    response: responseDocs(spec.responses),
    ...(spec.access === 'public' ? { security: [] } : {}),
  };
  const route: RouteOptions = {
    method: spec.method,
    url: spec.url,
    schema,
    // The schema documents; zod validates (below) and answers go out as built. Set per route, so
    // other modules' routes under /v1 keep fastify's own validation and serialization.
    validatorCompiler: () => (data) => ({ value: data }),
    serializerCompiler: () => (data) => JSON.stringify(data),
    config: { ...spec.config, access: spec.access },
    async handler(request, reply) {
      const params = spec.params ? await parseInput(spec.params, request.params, 'path') : undefined;
      const query = spec.query ? await parseInput(spec.query, request.query ?? {}, 'query') : undefined;
      const body = spec.body ? await parseInput(spec.body, request.body, 'body') : undefined;
      const ctx = { request, reply, params, query, body } as RouteContext<Parsed<P>, Parsed<Q>, Parsed<B>>;
      Object.defineProperty(ctx, 'principal', {
        get() {
          if (!request.principal) throw unauthorized();
          return request.principal;
        },
      });
      const result = await spec.handler(ctx);
      if (reply.sent) return reply;
      return result === undefined ? reply.send() : reply.send(result);
    },
  };
  app.route(route);
}
