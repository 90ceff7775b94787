import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { decodePosition, encodePosition, historyPage } from '../history/history-query.js';
import { errors } from '../outcome.js';
import type { Scope } from '../scope.js';
import { FHIR_JSON } from './negotiate.js';

interface Deps {
  services: Services;
  baseUrl: string;
  scopeFor(request: FastifyRequest, type: string, action: 'read' | 'search'): Scope;
}

const DEFAULT_COUNT = 100;
const MAX_COUNT = 1000;

/**
 * History at type and system level (https://hl7.org/fhir/R4/http.html#history) with
 * `_since` and `_count`, paged by `next` links, so a client can keep a copy in sync.
 * Everyone sees exactly what their scope allows (src/fhir/history/history-query.ts);
 * a patient token's SMART scopes limit the types as for reads.
 */
export function registerHistoryRoutes(app: FastifyInstance, { services, baseUrl, scopeFor }: Deps): void {
  const run = async (request: FastifyRequest, type: string | undefined) => {
    if (type !== undefined && !services.registry.isResourceType(type)) throw errors.unknownType(type.slice(0, 64));
    const scope = type === undefined ? request.principal!.scope : scopeFor(request, type, 'read');
    const params = new URLSearchParams(request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '');
    const since = params.has('_since') ? parseInstant(params.get('_since')!) : undefined;
    const count = params.has('_count') ? parseCount(params.get('_count')!) : DEFAULT_COUNT;
    const after = params.has('_page') ? decodePosition(params.get('_page')!) : undefined;
    const page = await historyPage(services.db, services.registry, scope, { type, since, count, after });
    request.fhirAccess = { interaction: type ? 'history-type' : 'history-system', type, count: page.versions.length };

    const path = `${baseUrl}${type ? `/${type}` : ''}/_history`;
    const link = (p?: string) => {
      const q = new URLSearchParams();
      if (params.has('_since')) q.set('_since', params.get('_since')!);
      q.set('_count', String(count));
      if (p) q.set('_page', p);
      return `${path}?${q}`;
    };
    const links = [{ relation: 'self', url: link(params.get('_page') ?? undefined) }];
    if (page.next) links.push({ relation: 'next', url: link(encodePosition(page.next)) });
    const entries = page.versions.map((v) => {
      const method = v.deleted ? 'DELETE' : v.version === 1 ? 'POST' : 'PUT';
      const resource = v.deleted ? '' : `"resource":${v.json},`;
      const url = method === 'POST' ? v.type : `${v.type}/${v.id}`;
      return `{"fullUrl":${JSON.stringify(`${baseUrl}/${v.type}/${v.id}`)},${resource}"request":{"method":"${method}","url":${JSON.stringify(url)}},"response":{"status":"${v.deleted ? '204' : v.version === 1 ? '201' : '200'}","etag":"W/\\"${v.version}\\"","lastModified":"${new Date(v.lastUpdated).toISOString()}"}}`;
    });
    return `{"resourceType":"Bundle","type":"history","link":${JSON.stringify(links)},"entry":[${entries.join(',')}]}`;
  };

  app.get('/_history', async (request, reply) => reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(await run(request, undefined)));
  app.get<{ Params: { type: string } }>('/:type/_history', async (request, reply) =>
    reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(await run(request, request.params.type)),
  );
}

/** `_since` is an instant (https://hl7.org/fhir/R4/http.html#history); a date or dateTime with a time zone is accepted. */
export function parseInstant(value: string): number {
  const ok = /^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?)?)?$/.test(value);
  const ms = ok ? Date.parse(value.length === 4 ? `${value}-01-01` : value.length === 7 ? `${value}-01` : value) : NaN;
  if (Number.isNaN(ms)) throw errors.badParameter(`Invalid _since "${value.slice(0, 40)}": expected an instant such as 2024-01-31T12:00:00Z`);
  return ms;
}

function parseCount(value: string): number {
  if (!/^\d{1,6}$/.test(value) || Number(value) < 1) throw errors.badParameter(`Invalid _count "${value.slice(0, 20)}": expected a positive integer`);
  return Math.min(Number(value), MAX_COUNT);
}
