// Zod validation in the API's terms: a failed parse becomes 400 `validation_failed` with one
// (field, reason) per problem, the field a dotted path into the input ("webhooks.0.url").
import type { z } from 'zod';
import { ApiError, type FieldIssue } from '../api-error.js';

export function fieldOf(path: readonly PropertyKey[]): string {
  return path.map((p) => String(p)).join('.');
}

export function fieldIssues(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) issues.push({ field: fieldOf([...issue.path, key]), reason: 'unknown field' });
    } else if (issue.code === 'invalid_type' && issue.input === undefined) {
      issues.push({ field: fieldOf(issue.path), reason: 'required' });
    } else {
      issues.push({ field: fieldOf(issue.path), reason: issue.message });
    }
  }
  return issues;
}

export function validationFailed(issues: FieldIssue[], message = 'the request is not valid'): ApiError {
  return new ApiError(400, 'validation_failed', message, issues);
}

/** Parses `input` with `schema`, throwing validation_failed with the field of every problem. */
export async function parseInput<T extends z.ZodType>(schema: T, input: unknown, where: string): Promise<z.output<T>> {
  const result = await schema.safeParseAsync(input);
  if (!result.success) {
    // A problem with the input as a whole (e.g. no body at all) is named by where it is.
    const issues = fieldIssues(result.error).map((i) => (i.field === '' ? { ...i, field: where } : i));
    throw validationFailed(issues, `the ${where} is not valid`);
  }
  return result.data;
}
