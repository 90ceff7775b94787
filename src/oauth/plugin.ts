import type { FastifyPluginAsync } from 'fastify';
import type { Services } from '../services.js';
import { smartConfiguration } from './discovery.js';
import { OAuthError, clientCredentialsGrant } from './token.js';

/** /oauth/token and the root SMART discovery document; errors as RFC 6749 §5.2 JSON. */
export const oauthPlugin: FastifyPluginAsync<{ services: Services }> = async (app, { services }) => {
  const discovery = JSON.stringify(smartConfiguration(services.config));

  app.get('/.well-known/smart-configuration', async (_req, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=3600').send(discovery),
  );

  await app.register(async (oauth) => {
    oauth.removeAllContentTypeParsers();
    oauth.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_req, body, done) =>
      done(null, new URLSearchParams(body as string)),
    );
    oauth.addContentTypeParser('*', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_req, _body, done) =>
      done(new OAuthError('invalid_request', 400, 'The token request must be application/x-www-form-urlencoded'), undefined),
    );

    oauth.setErrorHandler((err, request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      if (err instanceof OAuthError) {
        if (err.status === 401) reply.header('www-authenticate', 'Basic realm="ChartKey token endpoint", charset="UTF-8"');
        if (err.retryAfter) reply.header('retry-after', String(err.retryAfter));
        return reply.code(err.status).send({ error: err.error, error_description: err.message });
      }
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      if (status >= 400 && status < 500) return reply.code(status).send({ error: 'invalid_request', error_description: 'Malformed token request' });
      request.log.error({ err, method: request.method, path: request.url.split('?')[0] }, 'token endpoint failed');
      return reply.code(500).send({ error: 'server_error', error_description: 'Internal server error' });
    });

    oauth.post('/oauth/token', async (request, reply) => {
      if (!(request.body instanceof URLSearchParams)) throw new OAuthError('invalid_request', 400, 'The token request needs a form body');
      const response = await clientCredentialsGrant(
        { form: request.body, authorization: request.headers.authorization, ip: request.ip },
        {
          verifyClient: services.verifyClient,
          tokens: services.tokens,
          throttle: services.authThrottle,
          resourceTypes: services.registry.resourceTypes(),
          onIssued: (credentialId, patientId, ip) =>
            services.accessLog.recordApiAccess({ credentialId, patientId, at: Date.now(), interaction: 'token', resourceType: null, count: 0, ip, status: 200 }),
        },
      );
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(response);
    });
  });
};
