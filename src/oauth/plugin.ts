import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { subjectKind } from '../auth/subject.js';
import { findDbError } from '../db/db.js';
import type { Services } from '../services.js';
import { authenticateClient, single } from './client-auth.js';
import { openidConfiguration, smartConfiguration } from './discovery.js';
import { OAuthError } from './errors.js';
import { introspect, revoke } from './token-status.js';
import { tokenGrant, type TokenDeps } from './token.js';

/**
 * The authorization server's machine endpoints — /oauth/token, /oauth/introspect,
 * /oauth/revoke, /oauth/jwks — and the discovery documents; errors as RFC 6749 §5.2 JSON.
 * (/oauth/authorize is a page the patient sees: it lives with the portal, src/oauth/authorize/.)
 */
export const oauthPlugin: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const { config, oauth } = services;
  const discovery = JSON.stringify(smartConfiguration(config));
  const openid = JSON.stringify(openidConfiguration(config));

  const json = (reply: FastifyReply, body: string, maxAge = 3600) =>
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', `public, max-age=${maxAge}`).send(body);
  app.get('/.well-known/smart-configuration', async (_req, reply) => json(reply, discovery));
  app.get('/.well-known/openid-configuration', async (_req, reply) => json(reply, openid));
  // Short max-age: a rotated key must reach verifiers before its first id_token does.
  app.get('/oauth/jwks', async (_req, reply) => json(reply, JSON.stringify(await oauth.keys.jwks()), 300));

  await app.register(async (endpoints) => {
    endpoints.removeAllContentTypeParsers();
    endpoints.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_req, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    endpoints.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_req, _body, done) =>
      done(new OAuthError('invalid_request', 400, 'The request must be application/x-www-form-urlencoded'), undefined),
    );

    endpoints.setErrorHandler((err, request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (err instanceof OAuthError) {
        if (err.status === 401) reply.header('www-authenticate', 'Basic realm="ChartKey token endpoint", charset="UTF-8"');
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter));
        return reply.code(err.status).send({ error: err.error, error_description: err.message });
      }
      const db = findDbError(err);
      if (db?.code === 'unavailable' || db?.code === 'storage_full') {
        // RFC 6749 §4.1.2.1 names temporarily_unavailable; the token endpoint uses it too.
        request.log.warn({ path: request.url.split('?')[0], code: db.code }, 'database unavailable: token endpoint answered 503');
        return reply.code(503).header('retry-after', '5').send({ error: 'temporarily_unavailable', error_description: 'The service is temporarily unavailable; try again shortly' });
      }
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      if (status >= 400 && status < 500) return reply.code(status).send({ error: 'invalid_request', error_description: 'Malformed request' });
      request.log.error({ err, method: request.method, path: request.url.split('?')[0] }, 'OAuth endpoint failed');
      return reply.code(500).send({ error: 'server_error', error_description: 'Internal server error' });
    });

    // The token endpoint takes POST only (https://www.rfc-editor.org/rfc/rfc6749#section-3.2):
    // other methods get an RFC 6749 error too, not the framework's 404.
    endpoints.route({
      method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'],
      url: '/oauth/token',
      handler: async (_request, reply) => {
        reply.header('allow', 'POST');
        throw new OAuthError('invalid_request', 405, 'The token endpoint accepts POST only');
      },
    });

    // Unknown paths under /oauth answer in this surface's error shape too.
    endpoints.all('/oauth/*', async () => {
      throw new OAuthError('invalid_request', 404, 'Unknown OAuth endpoint');
    });

    const form = (body: unknown): URLSearchParams => {
      if (!(body instanceof URLSearchParams)) throw new OAuthError('invalid_request', 400, 'The request needs a form body');
      return body;
    };
    const noStore = (reply: FastifyReply) => reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    const clientDeps = { clients: oauth.clients, assertions: oauth.assertions, throttle: services.authThrottle, verifyCredential: services.verifyClient };
    // Built once: the same services answer every request. (Built per request, with a spread,
    // this object and every lookup in it cost more than the grant itself: token issue CPU
    // 0.13–0.15 → 0.20–0.24 ms per request in the SMART merge.)
    const tokenDeps: TokenDeps = {
      ...clientDeps,
      grants: oauth.grants,
      tokens: services.tokens,
      keys: oauth.keys,
      resourceTypes: services.registry.resourceTypes(),
      issuer: config.publicUrl,
      onIssued: (subject, patientId, ip) =>
        services.accessLog.recordApiAccess({ credentialId: subject, subjectKind: subjectKind(subject), patientId, at: services.now(), interaction: 'token', resourceType: null, count: 0, ip, status: 200 }),
    };

    endpoints.post('/oauth/token', async (request, reply) => {
      const response = await tokenGrant({ form: form(request.body), authorization: request.headers.authorization, ip: request.ip }, tokenDeps);
      return noStore(reply).send(response);
    });

    // RFC 7662 as SMART 2 profiles it: only a confidential client (or a key-signed one) may ask.
    endpoints.post('/oauth/introspect', async (request, reply) => {
      const body = form(request.body);
      const caller = await authenticateClient(body, request.headers.authorization, request.ip, clientDeps);
      if (caller.method === 'none') throw new OAuthError('invalid_client', 401, 'Introspection needs an authenticated client');
      const token = single(body, 'token');
      if (!token) throw new OAuthError('invalid_request', 400, 'token is required');
      return noStore(reply).send(await introspect(token, caller.client, services));
    });

    // RFC 7009: 200 whether or not the token was known.
    endpoints.post('/oauth/revoke', async (request, reply) => {
      const body = form(request.body);
      const caller = await authenticateClient(body, request.headers.authorization, request.ip, clientDeps);
      const token = single(body, 'token');
      if (!token) throw new OAuthError('invalid_request', 400, 'token is required');
      await revoke(token, caller.client, services);
      return noStore(reply).code(200).send();
    });
  });
};
