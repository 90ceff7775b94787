import { enablePortal } from '../accounts/enablement.js';
import { randomAlphanumeric } from '../auth/random-string.js';
import { generatePatients, generateProviders } from '../generate/index.js';
import { importBundle } from '../importer/index.js';
import type { Services } from '../services.js';

/**
 * How big the demo practice is: enough to click through, small enough to seed in a second.
 * The seed is one whose patients include an unlabelled counseling note (a psychotherapy
 * note by its type, hidden from the patient's apps) for a portal user, so every patient
 * control can be tried on the demo (test/generate/counseling-notes.test.ts).
 */
export const DEMO_SEED = 2038;
export const DEMO_PATIENTS = 5;
export const DEMO_PORTAL_USERS = 3;

/**
 * Seeds a demo practice on an empty database (no staff account yet): generated patients,
 * a staff login and portal logins for the first patients, all with random passwords that
 * are returned once for printing and never stored in the clear. Portal passwords are
 * temporary: the patient sets a new one at first sign-in (Basic edition).
 * Returns the text to print, or undefined when the database was not empty.
 */
export async function seedDemo(services: Services): Promise<string | undefined> {
  if ((await services.staff.count()) > 0) return undefined;
  const { store } = services;
  await importBundle(store, generateProviders(DEMO_SEED), { source: 'demo providers' });
  const patients: Array<{ id: string; name: string }> = [];
  for (const bundle of generatePatients({ count: DEMO_PATIENTS, seed: DEMO_SEED })) {
    await importBundle(store, bundle, { source: 'demo patient' });
    const patient = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.resource as {
      id: string;
      name?: Array<{ given?: string[]; family?: string }>;
    };
    patients.push({ id: patient.id, name: `${patient.name?.[0]?.given?.[0] ?? ''} ${patient.name?.[0]?.family ?? ''}`.trim() });
  }

  const staffPassword = randomAlphanumeric(16);
  await services.staff.create('admin', staffPassword);
  const by = { kind: 'system' as const, id: 'demo-seed' };
  const lines = [
    '',
    'Demo practice seeded (these passwords are shown once and never stored in the clear):',
    `  Staff (admin):  username admin   password ${staffPassword}   → ${services.config.publicUrl}/admin/login`,
    `  Patients (portal, temporary passwords — a new one is set at first sign-in) → ${services.config.publicUrl}/portal/login:`,
  ];
  for (const [i, p] of patients.slice(0, DEMO_PORTAL_USERS).entries()) {
    const username = `patient${i + 1}`;
    const { temporaryPassword } = await enablePortal(services, { patientId: p.id, username, by });
    lines.push(`    ${p.name.padEnd(28)} username ${username}   password ${temporaryPassword}`);
  }
  lines.push(`  ${DEMO_PATIENTS - DEMO_PORTAL_USERS} more demo patients can be enabled by staff in the admin.`, '');
  return lines.join('\n') + '\n';
}
