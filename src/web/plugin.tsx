import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { adminRoutes } from '../admin/routes.js';
import { AUTHORIZE_PATH } from '../oauth/authorize/paths.js';
import { authorizeRoutes } from '../oauth/authorize/routes.js';
import { portalRoutes } from '../portal/routes.js';
import { errorPage } from './error-pages.js';
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
  // A SMART app's POSTed authorization request changes nothing (it shows the consent page,
  // whose decision is CSRF-protected) and cannot carry our token.
  app.addHook('preHandler', (req, reply, done) => {
    if (req.method === 'GET' || req.method === 'HEAD') return done();
    if (req.url.split('?')[0] === AUTHORIZE_PATH) return done();
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
  await app.register(authorizeRoutes, { services, config });
  app.get('/', (_req, reply) => reply.redirect('/portal/'));
}

