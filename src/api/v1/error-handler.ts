// Every failure under /v1 leaves in the one error shape: ApiError as it is, zod errors as
// validation_failed, fastify's own errors (body too large, bad JSON, wrong media type) with their
// status and a stable code, anything else as a logged 500 that reveals nothing.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ApiError } from '../api-error.js';
import { fieldIssues, validationFailed } from './validation.js';

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  416: 'range_not_satisfiable',
  429: 'rate_limited',
};

/** The ApiError a thrown value stands for. */
export function toApiError(err: unknown): ApiError | null {
  if (err instanceof ApiError) return err;
  if (err instanceof z.ZodError) return validationFailed(fieldIssues(err));
  const fastifyError = err as Partial<FastifyError> | null;
  if (fastifyError?.validation) {
    // A route declared with a plain JSON schema (another module's) failed fastify's own validation.
    const where = fastifyError.validationContext ?? 'body';
    return validationFailed(
      fastifyError.validation.map((v) => {
        const missing = v.keyword === 'required' ? (v.params as { missingProperty?: string }).missingProperty : undefined;
        const path = [...v.instancePath.split('/').filter(Boolean), ...(missing ? [missing] : [])].join('.');
        return { field: path || where, reason: missing ? 'required' : (v.message ?? 'is not valid') };
      }),
    );
  }
  const status = fastifyError?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (fastifyError?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ApiError(413, 'payload_too_large', 'the request body is too large');
    if (fastifyError?.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new ApiError(415, 'unsupported_media_type', 'send the body as application/json');
    if (fastifyError?.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return new ApiError(400, 'invalid_json', 'the body is empty but the content type is JSON');
    if (err instanceof SyntaxError || fastifyError?.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return new ApiError(400, 'invalid_json', 'the body is not valid JSON');
    }
    return new ApiError(status, CODES_BY_STATUS[status] ?? 'bad_request', fastifyError?.message ?? 'bad request');
  }
  return null;
}

export function v1ErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const apiError = toApiError(err);
  if (apiError) return reply.status(apiError.status).type('application/json').send(apiError.toJSON());
  request.log.error({ err }, 'request failed');
  return reply.status(500).type('application/json').send(new ApiError(500, 'internal', 'internal error').toJSON());
}
