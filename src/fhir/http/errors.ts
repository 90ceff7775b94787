import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError } from '../../auth/principal.js';
import { findDbError } from '../../db/db.js';
import { errors, FhirError, outcome } from '../outcome.js';
import { FHIR_JSON } from './negotiate.js';

/** The challenge sent with every 401 (RFC 6750 §3 for Bearer, RFC 7617 for Basic). */
export function wwwAuthenticate(err: AuthError): string {
  const error = err.code === 'missing' ? '' : `, error="invalid_token", error_description="${err.message.replace(/"/g, "'")}"`;
  return `Bearer realm="ChartKey FHIR API"${error}, Basic realm="ChartKey FHIR API", charset="UTF-8"`;
}

/**
 * The /fhir error handler: every error becomes an OperationOutcome with the right status.
 * Bad input never yields a 5xx; a 5xx hides its cause from the caller and logs it.
 */
export function fhirErrorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply) {
  if (err instanceof AuthError) {
    const status = err.retryAfterSeconds ? 429 : 401;
    if (err.retryAfterSeconds) reply.header('retry-after', String(err.retryAfterSeconds));
    else reply.header('www-authenticate', wwwAuthenticate(err));
    const code = status === 429 ? 'throttled' : 'login';
    return send(reply, status, outcome([{ severity: 'error', code, diagnostics: err.message }]));
  }
  const unavailable = err instanceof FhirError && err.status < 500 ? undefined : fromDbError(err, request);
  if (unavailable) err = unavailable;
  if (err instanceof FhirError) {
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return send(reply, err.status, err.toOutcome());
  }
  const fe = err as FastifyError;
  const status = fe.statusCode ?? 500;
  if (status === 429) return send(reply, 429, outcome([{ severity: 'error', code: 'throttled', diagnostics: 'Too many requests' }]));
  if (status >= 400 && status < 500) {
    const message =
      fe.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'Request body too large'
      : fe.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'Unsupported Content-Type'
      : fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'The body is not valid JSON'
      : status === 414 ? 'URL too long'
      : 'Bad request';
    return send(reply, status, outcome([{ severity: 'error', code: status === 413 ? 'too-long' : 'invalid', diagnostics: message }]));
  }
  request.log.error({ err, method: request.method, path: request.url.split('?')[0] }, 'FHIR request failed');
  return send(reply, 500, outcome([{ severity: 'error', code: 'exception', diagnostics: 'Internal server error' }]));
}

/**
 * A database outage or a full disk is the operator's problem, not a bug: the caller gets
 * 503 (with Retry-After) or 507 and an OperationOutcome, the log one line without a stack.
 */
function fromDbError(err: unknown, request: FastifyRequest): FhirError | undefined {
  const db = findDbError(err);
  if (db?.code === 'unavailable') {
    request.log.warn({ reason: String((db.cause as Error | undefined)?.message ?? db.message), method: request.method, path: request.url.split('?')[0] }, 'database unavailable: answered 503');
    return errors.unavailable();
  }
  if (db?.code === 'storage_full') {
    request.log.error({ method: request.method, path: request.url.split('?')[0] }, 'database storage full: write refused with 507');
    return errors.storageFull();
  }
  return undefined;
}

function send(reply: FastifyReply, status: number, body: unknown) {
  return reply.code(status).header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(JSON.stringify(body));
}
