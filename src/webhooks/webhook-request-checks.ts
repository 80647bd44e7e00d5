// What every webhook route checks first: who asks and whether they may (401/403), and that the
// query or path parameters parse (400 validation_failed with one issue per field).
import type { FastifyRequest, FastifySchemaCompiler } from 'fastify';
import type { z } from 'zod';
import { ApiError, forbidden, unauthorized, type FieldIssue } from '../api/api-error.js';
import { can, type Principal, type Scope } from '../auth/principal.js';

export function requireScope(request: FastifyRequest, scope: Scope): Principal {
  const principal = request.principal;
  if (!principal) throw unauthorized();
  if (!can(principal, scope)) throw forbidden(`this needs the ${scope} scope`);
  return principal;
}

export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues: FieldIssue[] = parsed.error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: key, reason: 'is not a known parameter' }))
      : [{ field: issue.path.map(String).join('.') || '(request)', reason: issue.message }],
  );
  throw new ApiError(400, 'validation_failed', 'the request is not valid', issues);
}

/**
 * The JSON schemas on these routes document them (OpenAPI); zod validates. This compiler lets
 * every request through untouched so the two never disagree.
 */
export const documentationOnly: FastifySchemaCompiler<unknown> = () => (data: unknown) => ({ value: data });
