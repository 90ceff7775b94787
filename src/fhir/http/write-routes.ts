import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { outcome } from '../outcome.js';
import type { StoredResource } from '../store/types.js';
import type { BundleResult } from '../write/bundle-service.js';
import { FHIR_JSON } from './negotiate.js';

/** Largest write body (a resource, or a transaction/batch Bundle); larger is a 413. */
export const WRITE_BODY_LIMIT = 16 * 1024 * 1024;

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir'];

type Prefer = 'minimal' | 'representation' | 'OperationOutcome';

/**
 * FHIR writes over HTTP (https://hl7.org/fhir/R4/http.html): create, update, conditional
 * update, delete and transaction/batch Bundles. Thin: parse headers, call the write
 * service, render. Registered inside the /fhir plugin, so authentication and the
 * OperationOutcome error handler apply; the JSON body parser exists only here (search
 * keeps its form bodies, everything else is a 415).
 */
export const writeRoutes: FastifyPluginAsync<{ services: Services; baseUrl: string }> = async (app, { services, baseUrl }) => {
  const { writes, metrics } = services;
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string', bodyLimit: WRITE_BODY_LIMIT }, (request, body, done) => {
    if (request.method === 'DELETE' && body === '') return done(null, undefined);
    return parseJson(request, body as string, done);
  });

  const ctx = (request: FastifyRequest) => ({ principal: request.principal!, ip: request.ip });
  const counted = (request: FastifyRequest, interaction: string, type: string) => {
    const known = services.registry.isResourceType(type) ? type : 'unknown';
    metrics.fhirInteractions.inc({ interaction, type: known, principal: request.principal?.kind ?? 'none' });
    request.fhirAccess = { interaction, type: known, count: 0 };
  };

  app.post<{ Params: { type: string } }>('/:type', async (request, reply) => {
    const { type } = request.params;
    const ifNoneExist = header(request, 'if-none-exist');
    const result = await writes.create(ctx(request), type, request.body, { ifNoneExist });
    counted(request, ifNoneExist === undefined ? 'create' : 'conditional-create', type);
    return sendWritten(request, reply, result.status, result.stored, baseUrl);
  });

  app.put<{ Params: { type: string; id: string } }>('/:type/:id', async (request, reply) => {
    const { type, id } = request.params;
    const result = await writes.update(ctx(request), type, id, request.body, { ifMatch: header(request, 'if-match') });
    counted(request, 'update', type);
    return sendWritten(request, reply, result.status, result.stored, baseUrl);
  });

  app.put<{ Params: { type: string } }>('/:type', async (request, reply) => {
    const { type } = request.params;
    const q = request.url.indexOf('?');
    const result = await writes.conditionalUpdate(ctx(request), type, q < 0 ? '' : request.url.slice(q + 1), request.body, { ifMatch: header(request, 'if-match') });
    counted(request, 'conditional-update', type);
    return sendWritten(request, reply, result.status, result.stored, baseUrl);
  });

  app.delete<{ Params: { type: string; id: string } }>('/:type/:id', async (request, reply) => {
    const { type, id } = request.params;
    const result = await writes.delete(ctx(request), type, id);
    counted(request, 'delete', type);
    if (result.version !== undefined) reply.header('etag', `W/"${result.version}"`);
    if (prefer(request) === 'OperationOutcome') {
      return sendJson(reply.code(200), JSON.stringify(outcome([{ severity: 'information', code: 'informational', diagnostics: `Deleted ${type}/${id}` }])));
    }
    return reply.code(204).header('cache-control', 'no-store').send();
  });

  app.post('/', async (request, reply) => {
    const result = await writes.bundle(ctx(request), request.body);
    counted(request, result.type === 'transaction-response' ? 'transaction' : 'batch', 'Bundle');
    return sendJson(reply.code(200), bundleJson(result, prefer(request) ?? 'minimal'));
  });
};

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** https://hl7.org/fhir/R4/http.html#ops: Prefer: return=minimal | representation | OperationOutcome. */
function prefer(request: FastifyRequest): Prefer | undefined {
  const m = /(?:^|[;,\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?/i.exec(header(request, 'prefer') ?? '');
  if (!m) return undefined;
  const v = m[1].toLowerCase();
  return v === 'minimal' ? 'minimal' : v === 'representation' ? 'representation' : 'OperationOutcome';
}

function sendJson(reply: FastifyReply, json: string) {
  return reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(json);
}

/** 201/200 with Location, ETag and Last-Modified, and the body the client preferred (default: the resource). */
function sendWritten(request: FastifyRequest, reply: FastifyReply, status: number, stored: StoredResource, baseUrl: string) {
  const location = `${baseUrl}/${stored.type}/${stored.id}/_history/${stored.version}`;
  reply
    .code(status)
    .header(status === 201 ? 'location' : 'content-location', location)
    .header('etag', `W/"${stored.version}"`)
    .header('last-modified', new Date(stored.lastUpdated).toUTCString());
  const p = prefer(request) ?? 'representation';
  if (p === 'minimal') return reply.header('cache-control', 'no-store').send();
  if (p === 'OperationOutcome') {
    const what = status === 201 ? 'Created' : 'Stored';
    return sendJson(reply, JSON.stringify(outcome([{ severity: 'information', code: 'informational', diagnostics: `${what} ${stored.type}/${stored.id} version ${stored.version}` }])));
  }
  return sendJson(reply, stored.json);
}

/** A transaction-response or batch-response Bundle (https://hl7.org/fhir/R4/bundle.html), entries in request order. */
function bundleJson(result: BundleResult, p: Prefer): string {
  const entries = result.entries.map((e) => {
    const response: Record<string, unknown> = { status: e.status };
    if (e.location) response.location = e.location;
    if (e.etag) response.etag = e.etag;
    if (e.lastModified) response.lastModified = e.lastModified;
    if (e.outcome) response.outcome = e.outcome;
    else if (p === 'OperationOutcome') response.outcome = outcome([{ severity: 'information', code: 'informational', diagnostics: e.status }]);
    const resource = p === 'representation' && e.resourceJson ? `"resource":${e.resourceJson},` : '';
    return `{${resource}"response":${JSON.stringify(response)}}`;
  });
  return `{"resourceType":"Bundle","type":"${result.type}","entry":[${entries.join(',')}]}`;
}
