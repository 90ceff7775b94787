import type { Db } from '../db/db.js';
import { everythingQueries, patientScope } from '../fhir/scope.js';
import type { Resource } from '../fhir/store/types.js';
import { summarizeRecord, type HistoryRecord } from './history-summary.js';

/** Resource types My History shows. */
export const HISTORY_TYPES = [
  'Patient', 'AllergyIntolerance', 'Condition', 'MedicationRequest', 'MedicationStatement', 'Immunization',
  'Observation', 'Encounter', 'DocumentReference', 'DiagnosticReport', 'Medication',
] as const;

const PAGE = 1000;
// A generous cap: a patient with more results than this sees the first ones stored.
const MAX_RESOURCES = 20_000;

/**
 * Reads the patient's own record for My History through the scope module — the one place
 * that decides visibility (docs/architecture.md) — with the patient's own scope: every
 * record of theirs, sensitive ones included (the page tags them), and the Medications they
 * reference; never a psychotherapy note (no patient scope holds one).
 */
export async function readHistory(db: Db, patientId: string): Promise<HistoryRecord> {
  const scope = patientScope(patientId, { types: HISTORY_TYPES });
  const resources: Resource[] = [];
  const medications: Resource[] = [];
  let after = 0;
  for (;;) {
    const q = everythingQueries(scope, after, PAGE, db.dialect).compartment;
    const rows = await db.all<{ seq: number; content: string }>(q.sql, q.params);
    for (const r of rows) resources.push(JSON.parse(r.content) as Resource);
    if (rows.length < PAGE || resources.length >= MAX_RESOURCES) break;
    after = Number(rows[rows.length - 1].seq);
  }
  const shared = everythingQueries(scope, 0, 0, db.dialect).shared;
  for (const r of await db.all<{ type: string; content: string }>(shared.sql, shared.params)) {
    if (r.type === 'Medication') medications.push(JSON.parse(r.content) as Resource);
  }
  // Newest first, as before: summaries keep the first-seen Patient and sort rows by date.
  resources.reverse();
  return summarizeRecord(patientId, resources, medications);
}
