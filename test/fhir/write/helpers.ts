import { basic, type TestApp } from '../../helpers/app.js';

export const STAFF_USER = 'frontdesk';
export const STAFF_PASSWORD = 'correct horse battery';
export const FHIR = { 'content-type': 'application/fhir+json' };

/** A staff account and an HTTP client for the app, writing as that staff member. */
export async function staffClient(t: TestApp) {
  if (!(await t.services.db.get('SELECT 1 AS x FROM staff_users WHERE username = ?', [STAFF_USER]))) await t.services.staff.create(STAFF_USER, STAFF_PASSWORD);
  const auth = basic(STAFF_USER, STAFF_PASSWORD);
  const send = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method,
      url,
      headers: { authorization: auth, ...(body === undefined ? {} : FHIR), ...headers },
      payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
  return { auth, send };
}

/** Rows per table that hold FHIR data: resources, history, index rows. */
export async function fhirCounts(t: TestApp): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['resources', 'resource_history', 'compartment', 'refs', 'idx_token', 'idx_reference', 'idx_date', 'audit_events']) {
    const row = await t.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`);
    out[table] = Number(row?.n ?? 0);
  }
  return out;
}

export const observation = (patientId: string, extra: Record<string, unknown> = {}) => ({
  resourceType: 'Observation',
  status: 'final',
  category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: `Patient/${patientId}` },
  effectiveDateTime: '2024-05-01T10:00:00Z',
  valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  ...extra,
});
