import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import type { Principal } from '../../auth/principal.js';
import type { Config } from '../../config/config.js';
import type { Services } from '../../services.js';
import { permits } from '../../auth/permissions.js';
import { registerBulkRoutes } from '../../bulk/routes.js';
import { smartConfiguration } from '../../oauth/discovery.js';
import { capabilityStatement } from '../capability.js';
import { everythingBundle } from '../everything.js';
import { interactions } from '../interactions.js';
import { errors } from '../outcome.js';
import { patientScope, scopeKey } from '../scope.js';
import type { StoredResource } from '../store/types.js';
import { fhirErrorHandler } from './errors.js';
import { FHIR_JSON, assertAcceptable } from './negotiate.js';
import { registerHistoryRoutes } from './history-routes.js';
import { registerSearchRoutes } from './search-routes.js';
import { writeRoutes } from './write-routes.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** What the access log records for this call (interaction, resource type, resources returned). */
    fhirAccess?: { interaction: string; type?: string; count: number };
  }
}

/** Paths under /fhir that need no credentials (https://hl7.org/fhir/smart-app-launch/conformance.html). */
const PUBLIC = new Set(['/fhir/metadata', '/fhir/.well-known/smart-configuration']);

/**
 * The FHIR R4 surface: HTTP ↔ FHIR core. Authentication happens first, for every route
 * but the public ones; the principal's scope then travels into every store call.
 */
export const fhirPlugin: FastifyPluginAsync<{ services: Services; config: Config }> = async (app, { services, config }) => {
  const baseUrl = `${config.publicUrl}/fhir`;
  const core = interactions(services.store);
  const capability = JSON.stringify(capabilityStatement(services.registry, config));
  const discovery = JSON.stringify(smartConfiguration(config));

  app.setErrorHandler(fhirErrorHandler);
  app.setNotFoundHandler((request, reply) =>
    fhirErrorHandler(errors.notSupported(`Unknown FHIR path ${request.method} ${request.url.split('?')[0].slice(0, 100)}`), request, reply),
  );
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, new URLSearchParams(body as string));
  });

  app.addHook('onRequest', async (request) => {
    const query = request.query as Record<string, string | string[] | undefined>;
    const format = Array.isArray(query._format) ? query._format[0] : query._format;
    assertAcceptable(request.headers.accept, format, (request.routeOptions.config as { accepts?: readonly string[] } | undefined)?.accepts);
    // Public for reading only: a POST to /fhir/metadata is a (refused) write like any other, and needs credentials.
    if (PUBLIC.has(request.url.split('?')[0]) && (request.method === 'GET' || request.method === 'HEAD')) return;
    request.principal = await services.authenticate({ authorization: request.headers.authorization, ip: request.ip });
  });

  // Every call made with a patient credential is logged (batched, off the request path)
  // and moves the credential's "last used" (SPEC: credentials and access log).
  app.addHook('onResponse', async (request, reply) => {
    const p = request.principal;
    if (p?.kind !== 'patient') return;
    const a = request.fhirAccess;
    services.accessLog.recordApiAccess({
      credentialId: p.credentialId,
      subjectKind: p.subjectKind,
      patientId: p.patientId,
      at: services.now(),
      interaction: a?.interaction ?? `error-${reply.statusCode}`,
      // A refused call still names the type asked for (the patient's activity page shows it).
      resourceType: a?.type ?? (request.params as { type?: string } | undefined)?.type?.slice(0, 64) ?? null,
      count: reply.statusCode < 400 ? (a?.count ?? 0) : 0,
      ip: request.ip,
      status: reply.statusCode,
    });
  });

  app.get('/metadata', async (_request, reply) => sendJson(reply, capability));
  app.get('/.well-known/smart-configuration', async (_request, reply) =>
    reply.header('content-type', 'application/json; charset=utf-8').header('cache-control', 'public, max-age=3600').send(discovery),
  );

  app.get<{ Params: { type: string; id: string } }>('/:type/:id', async (request, reply) => {
    const { type, id } = request.params;
    const scope = scopeFor(request, type, 'read');
    const found = await services.fhirCache.through(
      scope,
      `read\0${scopeKey(scope)}\0${type}\0${id}`,
      async () => prepared(await core.read(scope, type, id)),
      (r) => r.body.length,
    );
    request.fhirAccess = { interaction: 'read', type: found.type, count: 1 };
    return sendResource(request, reply, found);
  });

  app.get<{ Params: { type: string; id: string; vid: string } }>('/:type/:id/_history/:vid', async (request, reply) => {
    const found = prepared(await core.vread(scopeFor(request, request.params.type, 'read'), request.params.type, request.params.id, request.params.vid));
    request.fhirAccess = { interaction: 'vread', type: found.type, count: 1 };
    return sendResource(request, reply, found);
  });

  app.get<{ Params: { type: string; id: string } }>('/:type/:id/_history', async (request, reply) => {
    const versions = await core.history(scopeFor(request, request.params.type, 'read'), request.params.type, request.params.id);
    request.fhirAccess = { interaction: 'history-instance', type: request.params.type, count: versions.length };
    const entries = versions.map((v) => {
      const method = v.deleted ? 'DELETE' : v.version === 1 ? 'POST' : 'PUT';
      const resource = v.deleted ? '' : `"resource":${v.json},`;
      return `{"fullUrl":${JSON.stringify(`${baseUrl}/${v.type}/${v.id}`)},${resource}"request":{"method":"${method}","url":${JSON.stringify(`${v.type}/${v.id}`)}},"response":{"status":"${v.deleted ? '204' : '200'}","etag":"W/\\"${v.version}\\"","lastModified":"${new Date(v.lastUpdated).toISOString()}"}}`;
    });
    return sendJson(reply, `{"resourceType":"Bundle","type":"history","total":${versions.length},"link":[{"relation":"self","url":${JSON.stringify(config.publicUrl + request.url)}}],"entry":[${entries.join(',')}]}`);
  });

  app.get<{ Params: { id: string } }>('/Patient/:id/$everything', async (request, reply) => {
    const scope = scopeFor(request, 'Patient', 'read');
    const { id } = request.params;
    request.fhirAccess = { interaction: 'operation:everything', type: 'Patient', count: 0 };
    // The patient must be visible to the caller; a patient credential sees only its own.
    await core.read(scope, 'Patient', id);
    if (scope.kind === 'patient' && scope.patientId !== id) throw errors.notFound('Patient', id);
    reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store');
    // A byte stream, not Readable.from's default object mode (16 pages of ~170 KB buffered
    // ahead per response): at most one page waits while the client reads.
    // Staff and practice systems read it through the patient's scope narrowed to the types
    // they were granted (all of them for staff); no sensitivity label hides anything from them.
    const within = scope.kind === 'patient' ? scope : patientScope(id, scope.types === undefined ? {} : { types: scope.types });
    const pages = everythingBundle(services.db, within, baseUrl, config.publicUrl + request.url, scope.kind !== 'patient');
    return reply.send(Readable.from(pages, { objectMode: false }));
  });

  registerSearchRoutes(app, { services, baseUrl, scopeFor });
  registerHistoryRoutes(app, { services, baseUrl, scopeFor });
  await app.register(writeRoutes, { services, baseUrl });
  registerBulkRoutes(app, { services, config });
};

/**
 * The caller's data scope for an action on a resource type. A token whose SMART scopes do
 * not cover the type gets 403 (SPEC: 403 out of scope); `permits` decides for every kind
 * of caller (src/auth/permissions.ts).
 */
export function scopeFor(request: FastifyRequest, type: string, action: 'read' | 'search') {
  const p = request.principal;
  if (!p) throw new Error('unauthenticated request reached a FHIR route');
  if (!permits(p, type, action)) throw errors.forbidden(`The granted scopes do not allow ${action} of ${type.slice(0, 64)}`);
  return p.scope;
}

function sendJson(reply: FastifyReply, json: string) {
  return reply.header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(json);
}

/** A resource ready to send: its bytes and version headers, computed once (and cached with it). */
interface PreparedResource {
  type: string;
  version: number;
  body: Buffer;
  etag: string;
  lastModified: string;
}

function prepared(found: StoredResource): PreparedResource {
  return {
    type: found.type,
    version: found.version,
    body: Buffer.from(found.json),
    etag: `W/"${found.version}"`,
    lastModified: new Date(found.lastUpdated).toUTCString(),
  };
}

/** A single resource with its version headers; If-None-Match answers 304 (https://hl7.org/fhir/R4/http.html#cread). */
function sendResource(request: FastifyRequest, reply: FastifyReply, found: PreparedResource) {
  reply
    .header('etag', found.etag)
    .header('last-modified', found.lastModified)
    .header('cache-control', 'private, no-cache')
    .header('vary', 'Authorization');
  const inm = request.headers['if-none-match'];
  if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === `"${found.version}"`)) {
    return reply.code(304).send();
  }
  return reply.header('content-type', FHIR_JSON).send(found.body);
}
