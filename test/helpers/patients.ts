import { enablePortal } from '../../src/accounts/enablement.js';
import type { Services } from '../../src/services.js';

/** Enables a patient for the portal (Basic) and generates one API credential, as the portal would. */
export async function credentialFor(services: Services, patientId: string, name = 'Health App') {
  let account = await services.portal.accounts.getByPatient(patientId);
  if (!account || account.status !== 'active') {
    account = (
      await enablePortal(services, { patientId, username: `user-${patientId}`.toLowerCase().slice(0, 60), by: { kind: 'system', id: 'test' } })
    ).account;
  }
  const { credential, key, secret } = await services.credentials.create(patientId, account.id, name);
  return { credential, key, secret, accountId: account.id };
}
