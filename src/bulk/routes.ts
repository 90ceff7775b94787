import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { permits } from '../auth/permissions.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config/config.js';
import { errors, FhirError, outcome } from '../fhir/outcome.js';
import { ALL } from '../fhir/scope.js';
import type { Resource } from '../fhir/store/types.js';
import type { Services } from '../services.js';
import { groupPatientIds } from './groups.js';
import type { JobMembers } from './jobs.js';
import { parseKickoff } from './kickoff.js';
import type { ExportJob, ExportLevel } from './types.js';

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const NDJSON = 'application/fhir+ndjson';
/** Seconds a client should wait between status requests while a job runs. */
const RETRY_AFTER = '2';
const JOB_ID = /^[0-9a-f]{32}$/;
const FILE_NAME = /^(error-)?[A-Z][A-Za-z]{1,63}\.ndjson$/;

/**
 * Bulk Data Access 2.0 export (https://hl7.org/fhir/uv/bulkdata/export.html), on the FHIR
 * surface (authentication already done; errors are OperationOutcomes):
 *
 *   GET  /$export, /Patient/$export, /Group/{id}/$export   kick-off → 202 + Content-Location
 *   GET  /bulk-status/{job}      202 + X-Progress + Retry-After, then 200 + manifest
 *   DELETE /bulk-status/{job}    cancel (or clean up) → 202; then 404
 *   GET  /bulk-files/{job}/{file}   NDJSON (application/fhir+ndjson)
 *
 * Only staff and system clients export; a patient gets 403 on every one of these. A job
 * belongs to the principal that kicked it off: its status and files are 404 for anyone else.
 * The worker runs while the app is up (onReady → onClose).
 */
export function registerBulkRoutes(app: FastifyInstance, { services, config }: { services: Services; config: Config }): void {
  const baseUrl = `${config.publicUrl}/fhir`;
  const { jobs } = services.bulk;
  let worker: ReturnType<typeof services.bulk.startWorker> | undefined;
  app.addHook('onReady', async () => {
    worker = services.bulk.startWorker();
  });
  app.addHook('onClose', async () => {
    await worker?.stop();
  });

  const kickoff = async (request: FastifyRequest, reply: FastifyReply, level: ExportLevel, groupId?: string) => {
    const owner = ownerOf(request.principal);
    request.fhirAccess = { interaction: 'operation:export', type: level === 'group' ? 'Group' : level === 'patient' ? 'Patient' : undefined, count: 0 };
    const req = parseKickoff({
      level,
      groupId,
      requestUrl: `${config.publicUrl}${request.url}`,
      query: queryPairs(request.url),
      prefer: [request.headers.prefer ?? ''].flat().join(','),
      isResourceType: (t) => services.registry.isResourceType(t),
    });
    const principal = request.principal!;
    // Types the caller may export: every requested one must be allowed; without _type, the allowed ones.
    if (req.types) {
      const refused = req.types.find((t) => !permits(principal, t, 'export'));
      if (refused) throw errors.forbidden(`The granted scopes do not allow export of ${refused}`);
    } else {
      const all = services.registry.resourceTypes();
      const allowed = all.filter((t) => permits(principal, t, 'export'));
      if (allowed.length === 0) throw errors.forbidden('The granted scopes do not allow export of any resource type');
      if (allowed.length < all.length) req.types = allowed;
    }
    let members: JobMembers | undefined;
    if (level === 'patient') members = { kind: 'all-patients' };
    if (level === 'group') {
      if (!permits(principal, 'Group', 'read')) throw errors.forbidden('The granted scopes do not allow reading Group');
      const stored = await services.store.read(ALL, 'Group', groupId!);
      if (!stored || stored.deleted) throw errors.notFound('Group', groupId!.slice(0, 64));
      members = { kind: 'list', patientIds: groupPatientIds(JSON.parse(stored.json) as Resource) };
    }
    const job = await jobs.create(owner, req, members);
    worker?.wake();
    const status = `${baseUrl}/bulk-status/${job.id}`;
    return reply
      .code(202)
      .header('content-location', status)
      .header('content-type', FHIR_JSON)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(outcome([{ severity: 'information', code: 'informational', diagnostics: `Export started; poll ${status} for its status` }])));
  };

  app.get('/$export', (request, reply) => kickoff(request, reply, 'system'));
  app.get('/Patient/$export', (request, reply) => kickoff(request, reply, 'patient'));
  app.get<{ Params: { id: string } }>('/Group/:id/$export', (request, reply) => kickoff(request, reply, 'group', request.params.id));

  /** The caller's job, or 404 (also for a job someone else started: the same answer on purpose). */
  const ownJob = async (request: FastifyRequest, id: string): Promise<ExportJob> => {
    const owner = ownerOf(request.principal);
    const job = JOB_ID.test(id) ? await jobs.get(id) : undefined;
    if (!job || job.owner !== owner) throw new FhirError('not_found', 404, 'No such export job: it was never started by you, was cancelled, or has expired', 'not-found');
    return job;
  };

  app.get<{ Params: { job: string } }>('/bulk-status/:job', async (request, reply) => {
    const job = await ownJob(request, request.params.job);
    request.fhirAccess = { interaction: 'operation:export-status', count: 0 };
    reply.header('cache-control', 'no-store');
    if (job.status === 'queued' || job.status === 'running') {
      const progress = job.status === 'queued' ? 'queued' : `${job.progress.toLocaleString('en-US')} resources exported`;
      return reply.code(202).header('x-progress', progress).header('retry-after', RETRY_AFTER).send();
    }
    if (job.status === 'failed') throw new FhirError('export_failed', 500, job.error ?? 'The export failed', 'exception');
    const files = await jobs.files(job.id);
    const entry = (f: (typeof files)[number]) => ({ type: f.type, url: `${baseUrl}/bulk-files/${job.id}/${f.name}`, count: f.count });
    const manifest = {
      transactionTime: new Date(job.transactionTime).toISOString(),
      request: job.requestUrl,
      requiresAccessToken: true,
      output: files.filter((f) => f.kind === 'output').map(entry),
      error: files.filter((f) => f.kind === 'error').map(entry),
    };
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .header('expires', new Date(job.expiresAt).toUTCString())
      .send(JSON.stringify(manifest));
  });

  app.delete<{ Params: { job: string } }>('/bulk-status/:job', async (request, reply) => {
    const job = await ownJob(request, request.params.job);
    request.fhirAccess = { interaction: 'operation:export-cancel', count: 0 };
    await jobs.remove(job.id);
    return reply
      .code(202)
      .header('content-type', FHIR_JSON)
      .header('cache-control', 'no-store')
      .send(JSON.stringify(outcome([{ severity: 'information', code: 'informational', diagnostics: 'The export was cancelled and its files deleted' }])));
  });

  app.get<{ Params: { job: string; file: string } }>(
    '/bulk-files/:job/:file',
    // A bulk client asks for NDJSON (https://hl7.org/fhir/uv/bulkdata/export.html#file-request).
    { config: { accepts: [NDJSON, 'application/ndjson', 'application/x-ndjson'] } },
    async (request, reply) => {
      const job = await ownJob(request, request.params.job);
      const name = request.params.file;
      const file = job.status === 'done' && FILE_NAME.test(name) ? await jobs.file(job.id, name) : undefined;
      if (!file) throw new FhirError('not_found', 404, 'No such file in this export', 'not-found');
      request.fhirAccess = { interaction: 'operation:export-file', type: file.type, count: file.count };
      async function* chunks() {
        for (let n = 0; n < file!.chunks; n++) {
          const data = await jobs.chunk(job.id, file!.name, n);
          // The job was deleted while we were sending: end the response short rather than lie.
          if (data === undefined) throw new Error('export file deleted during download');
          yield data;
        }
      }
      return reply
        .header('content-type', NDJSON)
        .header('cache-control', 'no-store')
        .send(Readable.from(chunks(), { objectMode: false }));
    },
  );
}

/** Who owns a job: the staff account or the system client. Patients never reach bulk export. */
export function ownerOf(principal: Principal | undefined): string {
  if (!principal) throw new Error('unauthenticated request reached a bulk route');
  switch (principal.kind) {
    case 'staff':
      return `staff:${principal.staffId}`;
    case 'system':
      return `system:${principal.clientId}`;
    case 'patient':
      throw errors.forbidden('Bulk Data export is for practice systems; patient credentials cannot use it');
  }
}

function queryPairs(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(url.slice(q + 1)).entries()];
}
