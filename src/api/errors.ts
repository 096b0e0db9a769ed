import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode } from '../errors/catalog.ts';
import { toWharfError } from '../errors/render.ts';
import { WharfError } from '../errors/wharf-error.ts';

/** The ARM error body every /api failure carries (api-contract: `{"error":{"code","message"}}`). */
export interface ArmErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Catalog code → ARM code; anything not listed is an internal error with a generic message. */
const ARM_CODES: Partial<Record<ErrorCode, string>> = {
  INVALID_REQUEST: 'InvalidRequest',
  UNAUTHORIZED: 'Unauthorized',
  DENIED: 'AuthorizationFailed',
  NOT_FOUND_RESOURCE: 'NotFound',
  NOT_FOUND: 'NotFound',
  CONFLICT: 'Conflict',
  CONTENT_TRUST_DISABLE_NOT_CONFIRMED: 'ContentTrustDisableNotConfirmed',
  UNAVAILABLE: 'ServiceUnavailable',
};

export function armError(code: ErrorCode, message: string): WharfError {
  return new WharfError(code, message);
}

/** The request failed Fastify's own checks: schema validation, JSON parsing, media type. */
function clientError(err: FastifyError): { status: number; body: ArmErrorBody } | undefined {
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    const problems = err.validation.map((v) => `${where}${v.instancePath || ''}: ${v.message ?? 'is invalid'}`);
    return { status: 400, body: { error: { code: 'InvalidRequest', message: problems.join('; ') } } };
  }
  const status = err.statusCode;
  if (status === undefined || status < 400 || status >= 500) return undefined;
  const code = status === 415 ? 'UnsupportedMediaType' : status === 413 ? 'RequestEntityTooLarge' : 'InvalidRequest';
  return { status, body: { error: { code, message: err.message } } };
}

/** The /api error handler: ARM body, the catalog status, `WWW-Authenticate: Basic` on 401s. */
export function sendArmError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const fromFastify = err instanceof WharfError ? undefined : clientError(err);
  if (fromFastify) return reply.code(fromFastify.status).type('application/json').send(fromFastify.body);
  const error = toWharfError(err);
  const code = ARM_CODES[error.code];
  if (code === undefined || error.status >= 500) req.log.error({ err }, 'management request failed');
  const body: ArmErrorBody = code === undefined
    ? { error: { code: 'InternalServerError', message: 'the server failed to handle the request; see its log for the request id' } }
    : { error: { code, message: error.message, ...(error.detail === undefined ? {} : { details: error.detail }) } };
  if (error.challenge !== undefined) reply.header('www-authenticate', error.challenge);
  return reply.code(code === undefined ? 500 : error.status).type('application/json').send(body);
}
