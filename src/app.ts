import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Config } from './config/config.js';
import type { Services } from './services.js';
import { fhirErrorHandler } from './fhir/http/errors.js';
import { fhirPlugin } from './fhir/http/plugin.js';
import { registerCors } from './oauth/cors.js';
import { oauthPlugin } from './oauth/plugin.js';
import { instrument } from './ops/instrument.js';
import { opsPlugin } from './ops/plugin.js';
import { webPlugin } from './web/plugin.js';

/**
 * Builds the HTTP application: one plugin per surface, each with its own error shape
 * (/fhir → OperationOutcome, /oauth → RFC 6749 JSON, /portal and /admin → HTML pages).
 * It never listens; the serve command (or a test) does.
 */
export async function buildApp(config: Config, services: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.logger as unknown as FastifyBaseLogger,
    // Per-request log lines would cost more than the requests; metrics and the access log cover them.
    logController: new LogController({ disableRequestLogging: true }),
    // A pino child per request (with its redaction setup) costs more than a FHIR read;
    // request.log is the root logger, and error logs carry the method and path themselves.
    childLoggerFactory: (logger) => logger,
    trustProxy: config.trustProxy,
    bodyLimit: 16 * 1024 * 1024,
    // Long query strings are an attack surface; FHIR searches stay far below this.
    routerOptions: { maxParamLength: 200 },
    requestIdHeader: false,
    // Errors raised before routing (a path segment over maxParamLength, a malformed
    // %-escape) get their surface's error shape too, not Fastify's JSON echoing the path.
    frameworkErrors: (err, request, reply) => frameworkError(err, request as FastifyRequest, reply as FastifyReply),
  });
  instrument(app, services.metrics);
  registerCors(app);
  await app.register(opsPlugin, { services });
  await app.register(oauthPlugin, { services });
  await app.register(fhirPlugin, { prefix: '/fhir', services, config });
  await app.register(webPlugin, { services, config });
  return app;
}

function frameworkError(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (request.url.startsWith('/fhir')) return fhirErrorHandler(err, request, reply);
  const status = err.statusCode === 414 ? 414 : 400;
  return reply.code(status).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(status === 414 ? 'URI Too Long' : 'Bad Request');
}
