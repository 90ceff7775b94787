import type { AuditLog } from '../audit/audit-log.js';
import type { CredentialService } from '../auth/credentials.js';
import { ALL } from '../fhir/scope.js';
import type { FhirStoreReader } from '../fhir/store/types.js';
import type { PortalAccount } from './portal-accounts.js';
import type { PortalServices } from './portal-services.js';

/**
 * Enabling and disabling a patient's portal access (SPEC "Portal editions"). These verbs
 * tie the account change to its side effects — audit, invitation mail, credentials
 * suspended or resumed, sessions ended — so the admin UI, the CLI and the demo seeding
 * all behave the same.
 */
export interface EnablementDeps {
  portal: PortalServices;
  credentials: CredentialService;
  audit: AuditLog;
  store: FhirStoreReader;
  config: { publicUrl: string };
}

export interface Actor {
  kind: 'staff' | 'system';
  id: string;
  ip?: string;
}

export class EnablementError extends Error {
  constructor(readonly code: 'patient_not_found', message: string) {
    super(message);
    this.name = 'EnablementError';
  }
}

async function assertPatient(deps: EnablementDeps, patientId: string): Promise<void> {
  if (!(await deps.store.read(ALL, 'Patient', patientId))) throw new EnablementError('patient_not_found', `No Patient with id "${patientId}".`);
}

/** Basic: a username and a temporary password (given or generated) that must be changed at first sign-in. */
export async function enablePortal(
  deps: EnablementDeps,
  input: { patientId: string; username: string; password?: string; by: Actor },
): Promise<{ account: PortalAccount; temporaryPassword: string }> {
  await assertPatient(deps, input.patientId);
  const result = await deps.portal.accounts.enableBasic(input.patientId, input.username, input.by.id, input.password);
  await deps.portal.sessions.destroyAll('patient', result.account.id);
  await deps.credentials.resumeAllForPatient(input.patientId);
  await deps.audit.record({
    actorKind: input.by.kind, actorId: input.by.id, action: 'portal.enable', patientId: input.patientId, ip: input.by.ip,
    detail: { edition: 'basic', username: result.account.username },
  });
  return result;
}

/** Premium: an e-mail invitation with a one-time activation link valid 72 hours. */
export async function invitePortal(
  deps: EnablementDeps,
  input: { patientId: string; email: string; by: Actor },
): Promise<{ account: PortalAccount; link: string; expiresAt: number }> {
  await assertPatient(deps, input.patientId);
  const { account, token, expiresAt } = await deps.portal.accounts.invitePremium(input.patientId, input.email, input.by.id);
  await deps.portal.sessions.destroyAll('patient', account.id);
  const link = `${deps.config.publicUrl}/portal/activate?token=${encodeURIComponent(token)}`;
  const practice = (await deps.portal.settings.get()).practiceName;
  await deps.portal.mailer.send({
    to: account.email!,
    subject: `Your ${practice} patient portal invitation`,
    link,
    text:
      `Hello,\n\n${practice} has invited you to its patient portal, where you can see your health record ` +
      `and connect health apps to it.\n\nTo activate your account and choose a password, open this link ` +
      `within 72 hours (it works once):\n\n${link}\n\nYour username is this e-mail address.\n\n` +
      `If you did not expect this message, you can ignore it.\n`,
  });
  await deps.audit.record({
    actorKind: input.by.kind, actorId: input.by.id, action: 'portal.invite', patientId: input.patientId, ip: input.by.ip,
    detail: { edition: 'premium', email: account.email },
  });
  return { account, link, expiresAt };
}

/** Disables portal access: sign-in refused, sessions ended, and every API credential suspended at once. */
export async function disablePortal(deps: EnablementDeps, input: { patientId: string; by: Actor }): Promise<PortalAccount | undefined> {
  const account = await deps.portal.accounts.disable(input.patientId, input.by.id);
  const suspended = await deps.credentials.suspendAllForPatient(input.patientId);
  if (account) await deps.portal.sessions.destroyAll('patient', account.id);
  await deps.audit.record({
    actorKind: input.by.kind, actorId: input.by.id, action: 'portal.disable', patientId: input.patientId, ip: input.by.ip,
    detail: { credentialsSuspended: suspended },
  });
  return account;
}

/** Called when a Premium account is activated: its (previously suspended) credentials work again. */
export async function resumeAfterActivation(deps: EnablementDeps, account: PortalAccount, ip?: string): Promise<void> {
  await deps.credentials.resumeAllForPatient(account.patientId);
  await deps.audit.record({ actorKind: 'patient', actorId: account.id, action: 'portal.activate', patientId: account.patientId, ip });
}
