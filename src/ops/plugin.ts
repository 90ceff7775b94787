import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Liveness, readiness (database reachable) and Prometheus metrics; none needs authentication. */
export const opsPlugin: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { metrics, db } = services;
  app.get('/healthz', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const ok = await db.ping();
    return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send({ status: ok ? 'ready' : 'database unreachable' });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};
