import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import { type DbError, findDbError } from '../db/db.js';
import type { Services } from '../services.js';
import { adminRoutes } from '../admin/routes.js';
import { portalRoutes } from '../portal/routes.js';
import { Layout } from './layout.js';
import { sendPage } from './render.js';
import { isSecure } from './session.js';

const ASSETS = fileURLToPath(new URL('./assets/', import.meta.url));

/**
 * The HTML surfaces (/portal, /admin) and their assets (/assets). Cookies, form bodies,
 * CSRF and security headers are registered inside this encapsulated scope only, so the
 * FHIR and OAuth surfaces are untouched. Every POST must carry the CSRF token of a form
 * this server rendered.
 */
export async function webPlugin(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  await app.register(fastifyCookie, { secret: services.portal.keys.cookie.toString('base64') });
  // Pages post HTML forms only: no JSON or text parsing (up to the app-wide 16 MB) before the CSRF check.
  app.removeAllContentTypeParsers();
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await app.register(fastifyHelmet, {
    // A strict policy: only this server's own scripts, styles and images; no inline script.
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(isSecure(config) ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    hsts: isSecure(config) ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: 'ck_csrf',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(config), signed: true },
  });
  // Every state-changing request needs a valid token (checked once the form body is parsed).
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD') return done();
    app.csrfProtection(req, reply, done);
  });
  app.setErrorHandler((err: FastifyError, req, reply) => errorPage(services, err, req, reply));
  // Every page may show patient data or a form token: never stored by a browser or a proxy,
  // so the Back button on a shared computer after sign-out shows nothing (assets excepted).
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/assets/')) reply.header('cache-control', 'no-store');
  });

  await app.register(fastifyStatic, { root: ASSETS, prefix: '/assets/', decorateReply: false, maxAge: 3_600_000, index: false });
  await app.register(portalRoutes, { prefix: '/portal', services, config });
  await app.register(adminRoutes, { prefix: '/admin', services, config });
  app.get('/', (_req, reply) => reply.redirect('/portal/'));
}

function errorPage(services: Services, err: FastifyError, req: FastifyRequest, reply: FastifyReply) {
  const db = findDbError(err);
  if (db?.code === 'unavailable' || db?.code === 'storage_full') return unavailablePage(services, db, req, reply);
  const csrf = err.code === 'FST_CSRF_INVALID_TOKEN' || err.code === 'FST_CSRF_MISSING_SECRET';
  const status = csrf ? 403 : err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  if (status >= 500) services.logger.error({ err, url: req.url.split('?')[0] }, 'page failed');
  const message = csrf
    ? 'This form has expired or did not come from this site. Go back, reload the page and try again.'
    : status === 404
      ? 'This page does not exist.'
      : status < 500
        ? 'The request could not be processed.'
        : 'Something went wrong on our side. Please try again.';
  const area = req.url.startsWith('/admin') ? 'admin' : 'portal';
  return sendPage(
    reply,
    <Layout title={csrf ? 'Form expired' : 'Error'} area={area}>
      <div class="card narrow">
        <h1>{csrf ? 'Form expired' : status === 404 ? 'Not found' : 'Sorry'}</h1>
        <p>{message}</p>
        <p>
          <a href={`/${area}/`}>Go to the start page</a>
        </p>
      </div>
    </Layout>,
    status,
  );
}

/**
 * A database outage (or a full disk) is temporary: a friendly 503 page with Retry-After,
 * one log line without a stack (SPEC Operations).
 */
function unavailablePage(services: Services, db: DbError, req: FastifyRequest, reply: FastifyReply) {
  const path = req.url.split('?')[0];
  if (db.code === 'storage_full') services.logger.error({ path }, 'database storage full: page answered 503');
  else services.logger.warn({ path, reason: String((db.cause as Error | undefined)?.message ?? db.message) }, 'database unavailable: page answered 503');
  const area = req.url.startsWith('/admin') ? 'admin' : 'portal';
  reply.header('retry-after', '30');
  return sendPage(
    reply,
    <Layout title="Temporarily unavailable" area={area}>
      <div class="card narrow">
        <h1>Temporarily unavailable</h1>
        <p>ChartKey cannot reach its records right now. Nothing you entered before this page was lost.</p>
        <p>Please try again in a minute.</p>
      </div>
    </Layout>,
    503,
  );
}

/** 404 page for unknown paths under a surface's prefix. */
export function notFoundPage(area: string) {
  return (_req: FastifyRequest, reply: FastifyReply) =>
    sendPage(
      reply,
      <Layout title="Not found" area={area}>
        <div class="card narrow">
          <h1>Not found</h1>
          <p>This page does not exist.</p>
          <p>
            <a href={`/${area}/`}>Go to the start page</a>
          </p>
        </div>
      </Layout>,
      404,
    );
}
