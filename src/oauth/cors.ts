import type { FastifyInstance } from 'fastify';

/**
 * CORS for browser apps (SMART App Launch 2.2: apps running in a browser call the token
 * endpoint, the FHIR API, `metadata` and the discovery documents). The requesting origin
 * is echoed (any origin may call: access needs a token, never a cookie, so no
 * Access-Control-Allow-Credentials). Pages (/portal, /admin, /oauth/authorize) get none:
 * they are for the patient's own browser tab only.
 */
const CORS_PATHS = [/^\/fhir(\/|\?|$)/, /^\/oauth\/(token|revoke|introspect|jwks)(\?|$)/, /^\/\.well-known\//];
const ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Prefer, If-None-Match, If-Match, If-None-Exist, If-Modified-Since, X-Requested-With';
const EXPOSE_HEADERS = 'Location, Content-Location, ETag, Last-Modified, X-Progress, Retry-After, WWW-Authenticate';

export function registerCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    if (!origin || !CORS_PATHS.some((p) => p.test(request.url))) return;
    reply.header('access-control-allow-origin', origin).header('vary', 'Origin').header('access-control-expose-headers', EXPOSE_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      return reply
        .code(204)
        .header('access-control-allow-methods', 'GET, POST, PUT, DELETE, OPTIONS')
        .header('access-control-allow-headers', ALLOW_HEADERS)
        .header('access-control-max-age', '600')
        .send();
    }
  });
}
