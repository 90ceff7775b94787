import { type Migration, types } from './types.js';

/**
 * Patient-first search indexes.
 *
 * A patient's search (`Observation?patient=X&code=C`, or any search with a patient's
 * token) used to drive from every resource of the type in the patient's compartment and
 * probe each one's index rows: 747 probes for 65 matches in our largest record. Token and
 * date rows now carry the compartment they belong to (`patient`: the patient id; '' for a
 * resource in no patient compartment; a resource in several compartments has one copy of
 * each row per compartment), and `(patient, type, param, code|lo, …, res)` indexes let the
 * database seek straight to the matches. The search compiler uses them when every row the
 * search may return is in one patient's compartment (src/fhir/search/compile/select.ts).
 *
 * `refs.source_type` (the type of the referring resource) lets `$everything` find the
 * Provenance naming the patient's resources with one index probe per resource, instead of
 * fetching every referring row to test its type.
 *
 * Existing databases are backfilled here: the first compartment of each resource is
 * written into its rows, then copies are added for its other compartments.
 */
export const patientFirstIndex: Migration = {
  id: '013-patient-first-index',
  sql(dialect) {
    const t = types(dialect);
    const backfill = (table: string, columns: string) => `
UPDATE ${table} SET patient = (SELECT MIN(c.patient) FROM compartment c WHERE c.res = ${table}.res)
  WHERE EXISTS (SELECT 1 FROM compartment c WHERE c.res = ${table}.res);
INSERT INTO ${table} (${columns}, patient)
  SELECT ${columns.split(', ').map((c) => `x.${c}`).join(', ')}, c.patient FROM ${table} x JOIN compartment c ON c.res = x.res AND c.patient > x.patient
  WHERE x.patient <> '';`;
    return `
ALTER TABLE idx_token ADD COLUMN patient ${t.ctext} NOT NULL DEFAULT '';
ALTER TABLE idx_date ADD COLUMN patient ${t.ctext} NOT NULL DEFAULT '';
${backfill('idx_token', 'res, type, param, system, code, text')}
${backfill('idx_date', 'res, type, param, lo, hi')}
CREATE INDEX idx_token_patient ON idx_token (patient, type, param, code, system, res);
CREATE INDEX idx_date_patient ON idx_date (patient, type, param, lo, hi, res);
ALTER TABLE refs ADD COLUMN source_type TEXT NOT NULL DEFAULT '';
UPDATE refs SET source_type = COALESCE((SELECT r.type FROM resources r WHERE r.seq = refs.res), '');
DROP INDEX refs_target;
CREATE INDEX refs_target ON refs (target_type, target_id, source_type, res);
`;
  },
};
