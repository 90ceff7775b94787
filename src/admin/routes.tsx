import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config.js';
import type { Services } from '../services.js';
import { notFoundPage } from '../web/error-pages.js';
import { sendPage } from '../web/render.js';
import { ADMIN_COOKIE, field, query, sessionId, setSessionCookie } from '../web/session.js';
import { attemptSignIn, signOut } from '../web/sign-in.js';
import { appRoutes } from './app-routes.js';
import { requireStaff } from './current.js';
import { groupRoutes } from './group-routes.js';
import { patientRoutes } from './patient-routes.js';
import { sensitiveRoutes } from './sensitive-routes.js';
import { AdminLoginPage, AuditPage, SettingsPage } from './views/misc-pages.js';
import { EDITIONS, type PortalEdition } from '../accounts/settings.js';
import { limitsForm, parseLimits, readLimitsForm } from './credential-limits.js';
import type { AuditEvent } from '../audit/audit-log.js';

/** The practice staff UI (/admin): sign-in, patients, settings, audit trail. */
export async function adminRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services, config } = opts;
  const { sessions, settings } = services.portal;
  app.setNotFoundHandler(notFoundPage('admin'));

  app.get('/', async (req, reply) => {
    const session = await sessions.get('staff', sessionId(req, ADMIN_COOKIE));
    return reply.redirect(session ? '/admin/patients' : '/admin/login', 303);
  });

  app.get('/login', async (req, reply) =>
    sendPage(reply, <AdminLoginPage csrf={reply.generateCsrf()} notice={query(req, 'signedout') ? 'You have signed out.' : undefined} />),
  );

  app.post('/login', async (req: FastifyRequest, reply: FastifyReply) => {
    const username = field(req.body, 'username');
    const result = await attemptSignIn(services, { surface: 'admin', username, password: field(req.body, 'password'), ip: req.ip }, (u, p) => services.staff.verify(u, p));
    if (!result.ok) {
      if (result.retryAfter) reply.header('Retry-After', String(result.retryAfter));
      return sendPage(reply, <AdminLoginPage csrf={reply.generateCsrf()} error={result.message} username={username.slice(0, 200)} />, result.status);
    }
    await sessions.destroy(sessionId(req, ADMIN_COOKIE));
    setSessionCookie(reply, ADMIN_COOKIE, await sessions.create('staff', result.subject.id), config);
    return reply.redirect('/admin/patients', 303);
  });

  app.post('/logout', (req, reply) => signOut(services, req, reply, { kind: 'staff', cookie: ADMIN_COOKIE, loginPath: '/admin/login' }, config));

  app.get('/settings', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const s = await settings.get();
    return sendPage(
      reply,
      <SettingsPage csrf={reply.generateCsrf()} who={staff.username} edition={s.edition} practiceName={s.practiceName} saved={Boolean(query(req, 'saved'))} limits={limitsForm(s)} />,
    );
  });

  // Limits on patients' API credentials: validated as a whole (every error at once, nothing
  // saved unless all are valid), audited with the values before and after.
  app.post('/settings/credentials', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const form = readLimitsForm(req.body);
    const parsed = parseLimits(form);
    const before = await settings.get();
    if (!parsed.ok) {
      return sendPage(
        reply,
        <SettingsPage csrf={reply.generateCsrf()} who={staff.username} edition={before.edition} practiceName={before.practiceName} limits={form} limitErrors={parsed.errors} />,
        400,
      );
    }
    const { maxDays, idleDays, retentionDays } = parsed.limits;
    await settings.setCredentialLimits({ maxDays, idleDays, retentionDays }, staff.id);
    await services.audit.record({
      actorKind: 'staff', actorId: staff.id, action: 'settings.change', ip: req.ip,
      detail: {
        credentialMaxDaysBefore: before.credentialMaxDays, credentialMaxDays: maxDays,
        credentialIdleDaysBefore: before.credentialIdleDays, credentialIdleDays: idleDays,
        accessLogRetentionDaysBefore: before.accessLogRetentionDays, accessLogRetentionDays: retentionDays,
      },
    });
    return reply.redirect('/admin/settings?saved=1', 303);
  });

  app.post('/settings', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const edition = field(req.body, 'edition') as PortalEdition;
    const before = await settings.get();
    if (EDITIONS.includes(edition)) await settings.setEdition(edition, staff.id);
    await settings.setPracticeName(field(req.body, 'practiceName'), staff.id);
    await services.audit.record({ actorKind: 'staff', actorId: staff.id, action: 'settings.change', ip: req.ip, detail: { editionBefore: before.edition, edition: (await settings.get()).edition } });
    return reply.redirect('/admin/settings?saved=1', 303);
  });

  app.get('/audit', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const filter = { patient: query(req, 'patient').slice(0, 64), action: query(req, 'action').slice(0, 64) };
    const before = Number(query(req, 'before')) || undefined;
    // API calls made with patient credentials live in the access log (high volume, batched
    // writes); the audit trail shows them under the action api.access.
    const page =
      filter.action === 'api.access'
        ? apiAccessAsEvents(await services.accessLog.list({ patientId: filter.patient || undefined, before, limit: 50 }))
        : await services.audit.list({ patientId: filter.patient || undefined, action: filter.action || undefined, before, limit: 50 });
    const last = page.events[page.events.length - 1];
    const nextHref = last && `/admin/audit?patient=${encodeURIComponent(filter.patient)}&action=${encodeURIComponent(filter.action)}&before=${last.seq}`;
    return sendPage(reply, <AuditPage csrf={reply.generateCsrf()} who={staff.username} events={page.events} more={page.more} filter={filter} nextHref={nextHref} />);
  });

  await app.register(patientRoutes, { prefix: '/patients', services, config });
  await app.register(appRoutes, { prefix: '/apps', services, config });
  await app.register(groupRoutes, { prefix: '/groups', services, config });
  await app.register(sensitiveRoutes, { prefix: '/patients', services, config });
}

function apiAccessAsEvents(page: Awaited<ReturnType<Services['accessLog']['list']>>): { events: AuditEvent[]; more: boolean } {
  return {
    more: page.more,
    events: page.entries.map((a) => ({
      seq: a.seq,
      at: a.at,
      actorKind: 'credential',
      actorId: a.credentialId,
      action: 'api.access',
      patientId: a.patientId,
      credentialId: a.credentialId,
      ip: a.ip ?? null,
      detail: { interaction: a.interaction, type: a.resourceType ?? '', resources: a.count },
    })),
  };
}
