import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';

/** Liveness, readiness (database reachable) and Prometheus metrics; none needs authentication. */
export const opsPlugin: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { metrics, db } = services;
  app.get('/healthz', async (_req, reply) => reply.header('cache-control', 'no-store').send({ status: 'ok' }));

  // Readiness answers within a bound even when the database stalls (a load balancer's
  // probe has its own timeout; a hanging probe tells it nothing).
  app.get('/readyz', async (_req, reply) => {
    const ok = await withTimeout(db.ping(), READY_TIMEOUT_MS, false);
    return reply.code(ok ? 200 : 503).header('cache-control', 'no-store').send({ status: ok ? 'ready' : 'database unreachable' });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)));
  return Promise.race([promise.catch(() => fallback), timeout]).finally(() => clearTimeout(timer));
}
