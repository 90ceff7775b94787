import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { type Scope, scopeKey } from '../scope.js';
import { bundleJson } from '../search/bundle.js';
import { executeSearch } from '../search/execute.js';
import { parseSearch } from '../search/parse.js';
import { FHIR_JSON } from './negotiate.js';

interface Deps {
  services: Services;
  baseUrl: string;
  scopeFor(request: FastifyRequest, type: string, action: 'read' | 'search'): Scope;
}

/**
 * Search (https://hl7.org/fhir/R4/http.html#search): GET [type]?params and
 * POST [type]/_search with a form body; both go through the same parser and executor.
 * `Prefer: handling=strict` turns unknown parameters into a 400.
 */
export function registerSearchRoutes(app: FastifyInstance, { services, baseUrl, scopeFor }: Deps): void {
  const run = async (request: FastifyRequest, type: string, params: Array<[string, string]>) => {
    const scope = scopeFor(request, type, 'search');
    const strict = /handling\s*=\s*strict/i.test(String(request.headers.prefer ?? ''));
    // The page depends on the scope, the type, the parameters and strictness only.
    const key = `search\0${scopeKey(scope)}\0${type}\0${strict ? 1 : 0}\0${JSON.stringify(params)}`;
    const page = await services.fhirCache.through(
      scope,
      key,
      async () => {
        const query = parseSearch(type, params, services.registry, { strict, baseUrl });
        const result = await executeSearch(services.db, services.registry, query, scope, { baseUrl });
        // The Bundle's id and meta.lastUpdated are those of the page's assembly: a repeated
        // search over unchanged data is the same Bundle, sent as the same bytes (no copy).
        return { body: Buffer.from(bundleJson(result)), matches: result.entries.filter((e) => e.mode === 'match').length };
      },
      (p) => p.body.length,
    );
    request.fhirAccess = { interaction: 'search-type', type, count: page.matches };
    return page.body;
  };

  app.get<{ Params: { type: string } }>('/:type', async (request, reply) => {
    const body = await run(request, request.params.type, queryPairs(request.url));
    return reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(body);
  });

  app.post<{ Params: { type: string } }>('/:type/_search', async (request, reply) => {
    const form = request.body instanceof URLSearchParams ? [...request.body.entries()] : [];
    // Parameters may come in the URL and the body together (https://hl7.org/fhir/R4/search.html#search).
    const body = await run(request, request.params.type, [...queryPairs(request.url), ...form]);
    return reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(body);
  });
}

/** The decoded query parameters in order, repeats kept (AND semantics need them). */
function queryPairs(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1)).entries()];
}
