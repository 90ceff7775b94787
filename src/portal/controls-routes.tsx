import type { FastifyInstance } from 'fastify';
import type { ActivitySubject } from './views/controls-pages.js';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { noStore, sendPage } from '../web/render.js';
import { field, query } from '../web/session.js';
import { displayName, requirePatient } from './current.js';
import { csvLine } from './csv.js';
import { ActivityPage, ReplaceSecretPage } from './views/controls-pages.js';
import { RevealPage } from './views/credential-pages.js';

const PAGE = 50;

/**
 * Patient controls in the portal: each credential's activity (page and CSV), replacing a
 * secret, dismissing notices. Routes only validate, call a service and render.
 */
export async function portalControlsRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  const { credentials } = services;

  // One activity page and CSV per subject — a generated credential or a connected app (a
  // SMART grant, whose calls the access log records under the grant's id) — from one
  // implementation: only how the subject is found differs.
  activityRoutes(app, services, '/credentials', async (id, patientId) => {
    const c = await credentials.getForPatient(id, patientId);
    return c && { kind: 'credential', id: c.id, name: c.name, endedAt: c.revokedAt, fileStem: c.key.slice(0, 6) };
  });
  activityRoutes(app, services, '/apps', async (id, patientId) => {
    const g = await services.oauth.grants.getForPatient(id, patientId);
    return g && { kind: 'app', id: g.id, name: g.clientName, endedAt: g.revokedAt, fileStem: g.id.slice(2, 8) };
  });

  app.get<{ Params: { id: string } }>('/credentials/:id/replace-secret', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const credential = await credentials.get(req.params.id);
    if (!credential || credential.patientId !== account.patientId || credential.expired) return reply.redirect('/portal/history#fhir-api-access', 303);
    return sendPage(reply, <ReplaceSecretPage csrf={reply.generateCsrf()} who={displayName(account)} credential={credential} />);
  });

  app.post<{ Params: { id: string } }>('/credentials/:id/replace-secret', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const keepOld = field(req.body, 'old') !== 'cut';
    const replaced = await credentials.replaceSecret(req.params.id, account.patientId, keepOld);
    if (!replaced) return reply.redirect('/portal/history#fhir-api-access', 303);
    await services.audit.record({
      actorKind: 'patient', actorId: account.id, action: 'credential.replace-secret', patientId: account.patientId, credentialId: replaced.credential.id, ip: req.ip,
      detail: { name: replaced.credential.name, oldSecret: keepOld ? 'kept 24 hours' : 'cut at once' },
    });
    noStore(reply);
    return sendPage(
      reply,
      <RevealPage csrf={reply.generateCsrf()} who={displayName(account)} name={replaced.credential.name} keyValue={replaced.credential.key} secret={replaced.secret} publicUrl={config.publicUrl} replaced />,
    );
  });

  app.post<{ Params: { id: string } }>('/notices/:id/dismiss', async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    await services.notices.dismiss(req.params.id, account.patientId);
    return reply.redirect('/portal/history', 303);
  });
}

/**
 * GET {prefix}/:id/activity (newest first, paged by `before`) and {prefix}/:id/activity.csv
 * for one kind of subject; `find` returns the signed-in patient's subject, or undefined
 * (another patient's, or unknown: back to the list, or 404 for the CSV).
 */
function activityRoutes(
  app: FastifyInstance,
  services: Services,
  prefix: string,
  find: (id: string, patientId: string) => Promise<ActivitySubject | undefined>,
): void {
  const base = (s: ActivitySubject) => `/portal${prefix}/${encodeURIComponent(s.id)}/activity`;

  app.get<{ Params: { id: string } }>(`${prefix}/:id/activity`, async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const subject = await find(req.params.id, account.patientId);
    if (!subject) return reply.redirect('/portal/history#fhir-api-access', 303);
    const before = Number(query(req, 'before')) || undefined;
    const { entries, more } = await services.accessLog.forCredential(subject.id, { before, limit: PAGE });
    const olderHref = more ? `${base(subject)}?before=${entries[entries.length - 1].seq}` : undefined;
    noStore(reply);
    return sendPage(reply, <ActivityPage csrf={reply.generateCsrf()} who={displayName(account)} subject={subject} href={base(subject)} entries={entries} olderHref={olderHref} />);
  });

  app.get<{ Params: { id: string } }>(`${prefix}/:id/activity.csv`, async (req, reply) => {
    const account = await requirePatient(services, req, reply);
    if (!account) return reply;
    const subject = await find(req.params.id, account.patientId);
    if (!subject) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    const { entries } = await services.accessLog.forCredential(subject.id, { limit: 100_000 });
    let body = csvLine(['time (UTC)', 'address', 'interaction', 'resource type', 'resources returned', 'status']);
    for (const a of entries) body += csvLine([new Date(a.at).toISOString(), a.ip, a.interaction, a.resourceType, a.count, a.status]);
    const filename = `activity-${subject.kind}-${subject.fileStem.replace(/[^A-Za-z0-9-]/g, '')}.csv`;
    noStore(reply);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}"`).send(body);
  });
}
