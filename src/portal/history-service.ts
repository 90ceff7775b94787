import type { Db } from '../db/db.js';
import type { Resource } from '../fhir/store/types.js';
import { summarizeRecord, type HistoryRecord } from './history-summary.js';

/** Resource types My History shows. */
export const HISTORY_TYPES = [
  'Patient', 'AllergyIntolerance', 'Condition', 'MedicationRequest', 'MedicationStatement', 'Immunization',
  'Observation', 'Encounter', 'DocumentReference', 'DiagnosticReport', 'Medication',
] as const;

// A generous cap: a patient with more results than this sees the most recent ones.
const MAX_RESOURCES = 5000;

/**
 * Reads the patient's own record for My History: the resources in their compartment
 * (filled by the store on every write, R4 CompartmentDefinition/patient) plus the
 * Medications those reference. Only this patient's rows can match — the compartment row
 * is the patient's id — so this is the same boundary as the FHIR API's patient scope.
 */
export async function readHistory(db: Db, patientId: string): Promise<HistoryRecord> {
  const types = HISTORY_TYPES.filter((t) => t !== 'Medication');
  const rows = await db.all<{ type: string; content: string }>(
    `SELECT r.type, r.content FROM compartment c JOIN resources r ON r.seq = c.res
     WHERE c.patient = ? AND r.deleted = 0 AND r.type IN (${types.map(() => '?').join(', ')})
     ORDER BY r.seq DESC LIMIT ?`,
    [patientId, ...types, MAX_RESOURCES],
  );
  const medications = await db.all<{ content: string }>(
    `SELECT m.content FROM resources m WHERE m.type = 'Medication' AND m.deleted = 0 AND EXISTS (
       SELECT 1 FROM refs f JOIN compartment c ON c.res = f.res
       WHERE f.target_type = 'Medication' AND f.target_id = m.id AND c.patient = ?)`,
    [patientId],
  );
  const resources = rows.map((r) => JSON.parse(r.content) as Resource);
  return summarizeRecord(patientId, resources, medications.map((m) => JSON.parse(m.content) as Resource));
}
