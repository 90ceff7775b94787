import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError } from '../accounts/portal-accounts.js';
import { disablePortal, enablePortal, invitePortal } from '../accounts/enablement.js';
import { findPatientIds } from '../accounts/patient-lookup.js';
import type { StaffUser } from '../accounts/staff.js';
import type { Config } from '../config/config.js';
import { ALL } from '../fhir/scope.js';
import type { Resource } from '../fhir/store/types.js';
import type { Services } from '../services.js';
import { noStore, sendPage } from '../web/render.js';
import { field, query } from '../web/session.js';
import { revokeGrant } from '../oauth/app-admin.js';
import { requireStaff } from './current.js';
import { summarizePatient } from './patient-view.js';
import { ConfirmPage, PatientPage, TemporaryPasswordPage } from './views/patient-page.js';
import { PatientsPage } from './views/patients-page.js';

type Req = FastifyRequest<{ Params: { id: string; cid?: string } }>;

/** Patients: search, patient page, enable (Basic/Premium), disable, revoke credentials. */
export async function patientRoutes(app: FastifyInstance, opts: { services: Services; config: Config }): Promise<void> {
  const { services } = opts;
  const { accounts } = services.portal;

  const loadPatient = async (id: string) => {
    const stored = await services.store.read(ALL, 'Patient', id);
    return stored && !stored.deleted ? summarizePatient(JSON.parse(stored.json) as Resource) : undefined;
  };

  const showPatient = async (req: Req, reply: FastifyReply, staff: StaffUser, extra: { error?: string; notice?: string; status?: number } = {}) => {
    const patient = await loadPatient(req.params.id);
    if (!patient) return reply.callNotFound();
    const [account, credentials, access, settings, apps] = await Promise.all([
      accounts.getByPatient(patient.id),
      services.credentials.list(patient.id),
      services.accessLog.recentForPatient(patient.id, 20),
      services.portal.settings.get(),
      services.oauth.grants.listForPatient(patient.id),
    ]);
    const toast = query(req, 'done') || undefined;
    return sendPage(
      reply,
      <PatientPage csrf={reply.generateCsrf()} who={staff.username} patient={patient} account={account} edition={settings.edition} credentials={credentials} access={access} apps={apps} toast={toast && TOASTS[toast]} {...extra} />,
      extra.status ?? 200,
    );
  };

  app.get('/', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const q = { name: query(req, 'name').slice(0, 100), birthDate: query(req, 'birthdate').slice(0, 10), identifier: query(req, 'identifier').slice(0, 200) };
    const searched = Boolean(q.name || q.birthDate || q.identifier);
    const ids = await findPatientIds(services.store, searched ? q : {}, 50);
    const results = await Promise.all(
      ids.map(async (id) => {
        const account = await accounts.getByPatient(id);
        return { patient: (await loadPatient(id))!, portal: account?.status };
      }),
    );
    return sendPage(reply, <PatientsPage csrf={reply.generateCsrf()} who={staff.username} q={q} results={results.filter((r) => r.patient)} />);
  });

  app.get('/:id', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    return staff ? showPatient(req, reply, staff) : reply;
  });

  app.post('/:id/enable', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const patient = await loadPatient(req.params.id);
    if (!patient) return reply.callNotFound();
    const by = { kind: 'staff' as const, id: staff.id, ip: req.ip };
    try {
      if ((await services.portal.settings.get()).edition === 'premium') {
        const { account } = await invitePortal(services, { patientId: patient.id, email: field(req.body, 'email'), by });
        return reply.redirect(`/admin/patients/${encodeURIComponent(patient.id)}?done=invited&to=${encodeURIComponent(account.email ?? '')}`, 303);
      }
      const { account, temporaryPassword } = await enablePortal(services, { patientId: patient.id, username: field(req.body, 'username'), by });
      noStore(reply);
      return sendPage(reply, <TemporaryPasswordPage csrf={reply.generateCsrf()} who={staff.username} patient={patient} username={account.username!} password={temporaryPassword} />);
    } catch (err) {
      if (err instanceof AccountError) return showPatient(req, reply, staff, { error: err.message, status: 400 });
      throw err;
    }
  });

  app.get('/:id/disable', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const base = `/admin/patients/${encodeURIComponent(req.params.id)}`;
    const message = 'The patient can no longer sign in, and all of their API credentials stop working at once.';
    return sendPage(reply, <ConfirmPage csrf={reply.generateCsrf()} who={staff.username} title="Disable portal access?" message={message} action={`${base}/disable`} label="Disable" back={base} />);
  });

  app.post('/:id/disable', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    await disablePortal(services, { patientId: req.params.id, by: { kind: 'staff', id: staff.id, ip: req.ip } });
    return reply.redirect(`/admin/patients/${encodeURIComponent(req.params.id)}?done=disabled`, 303);
  });

  app.get('/:id/credentials/:cid/revoke', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const base = `/admin/patients/${encodeURIComponent(req.params.id)}`;
    const credential = await services.credentials.get(req.params.cid ?? '');
    if (!credential || credential.patientId !== req.params.id) return reply.redirect(base, 303);
    const message = `Revoke the credentials “${credential.name}”? Apps using them lose access immediately.`;
    return sendPage(
      reply,
      <ConfirmPage csrf={reply.generateCsrf()} who={staff.username} title="Revoke credentials?" message={message} action={`${base}/credentials/${encodeURIComponent(credential.id)}/revoke`} label="Revoke" back={base} />,
    );
  });

  app.post('/:id/credentials/:cid/revoke', async (req: Req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const revoked = await services.credentials.revoke(req.params.cid ?? '', `staff:${staff.id}`, req.params.id);
    if (revoked) {
      await services.audit.record({
        actorKind: 'staff', actorId: staff.id, action: 'credential.delete', patientId: revoked.patientId, credentialId: revoked.id, ip: req.ip, detail: { name: revoked.name },
      });
    }
    return reply.redirect(`/admin/patients/${encodeURIComponent(req.params.id)}?done=revoked`, 303);
  });

  // Connected apps (SMART grants): the confirmation page without JavaScript, then the revoke itself.
  app.get<{ Params: { id: string; gid: string } }>('/:id/apps/:gid/revoke', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const base = `/admin/patients/${encodeURIComponent(req.params.id)}`;
    const grant = (await services.oauth.grants.listForPatient(req.params.id)).find((g) => g.id === req.params.gid);
    if (!grant) return reply.redirect(base, 303);
    const message = `Revoke the access of “${grant.clientName}” to this patient's record? The app loses access immediately.`;
    return sendPage(
      reply,
      <ConfirmPage csrf={reply.generateCsrf()} who={staff.username} title="Revoke app access?" message={message} action={`${base}/apps/${encodeURIComponent(grant.id)}/revoke`} label="Revoke" back={base} />,
    );
  });

  app.post<{ Params: { id: string; gid: string } }>('/:id/apps/:gid/revoke', async (req, reply) => {
    const staff = await requireStaff(services, req, reply);
    if (!staff) return reply;
    const revoked = await revokeGrant(services, { grantId: req.params.gid, patientId: req.params.id }, { kind: 'staff', id: staff.id, ip: req.ip });
    return reply.redirect(`/admin/patients/${encodeURIComponent(req.params.id)}${revoked ? '?done=app-revoked' : ''}`, 303);
  });
}

const TOASTS: Record<string, string> = {
  'app-revoked': 'The app no longer has access to this patient\'s record.',
  invited: 'Invitation sent.',
  disabled: 'Portal access disabled; API credentials suspended.',
  revoked: 'The credentials were revoked.',
};
