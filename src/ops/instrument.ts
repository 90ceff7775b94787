import type { FastifyInstance } from 'fastify';
import type { Metrics } from './metrics.js';

const surfaceOf = (url: string) =>
  url.startsWith('/fhir') ? 'fhir' : url.startsWith('/oauth') ? 'oauth' : url.startsWith('/portal') ? 'portal' : url.startsWith('/admin') ? 'admin' : 'other';

/** Counts and times every request of the root instance (hooks added here reach every plugin). */
export function instrument(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    const surface = surfaceOf(request.url);
    metrics.httpRequests.inc({ surface, method: request.method, status: `${Math.floor(reply.statusCode / 100)}xx` });
    metrics.httpDuration.observe({ surface }, reply.elapsedTime / 1000);
  });
}
