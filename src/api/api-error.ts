// The one error shape of the REST API: `{ "error": { "code", "message", "issues"? } }` with the
// HTTP status. Validation failures list each problem as (field, reason).

export type FieldIssue = { field: string; reason: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toJSON(): { error: { code: string; message: string; issues?: FieldIssue[] } } {
    return { error: { code: this.code, message: this.message, ...(this.issues ? { issues: this.issues } : {}) } };
  }
}

export const notFound = (what: string): ApiError => new ApiError(404, 'not_found', `${what} not found`);
export const forbidden = (message = 'not allowed'): ApiError => new ApiError(403, 'forbidden', message);
export const unauthorized = (message = 'authentication required'): ApiError => new ApiError(401, 'unauthorized', message);
