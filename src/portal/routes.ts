import type { FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { notFoundPage } from '../web/error-pages.js';
import { portalAuthRoutes } from './auth-routes.js';
import { portalHistoryRoutes } from './history-routes.js';

/** The patient portal (/portal): sign-in, passwords, activation, My History and FHIR API Access. */
export async function portalRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  app.setNotFoundHandler(notFoundPage('portal'));
  const deps = { services: opts.services, config: opts.config };
  await app.register(portalAuthRoutes, deps);
  await app.register(portalHistoryRoutes, deps);
}
