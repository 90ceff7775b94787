import type { Migration } from './types.js';

/**
 * Sensitivity decided when a resource is written, not on every read.
 *
 * Every patient-scope query used to probe each candidate row's index rows twice — its
 * `_security` labels and, for a DocumentReference, its `type` — to leave out
 * psychotherapy notes and, for a scope that asks, sensitive records: two index probes
 * per row of every search, include, count and `$everything` page. The writer now stores
 * the outcome on the row (`resources.sensitivity`: 0 none, 1 sensitive, 2 psychotherapy
 * note; src/fhir/sensitivity.ts `sensitivityOf`) and the scope predicate reads one column.
 *
 * Existing rows are backfilled from the same index rows the predicate read, with the
 * label and type codes as they stand at this migration (RULES below, lower-cased as the
 * token index stores them). A later change to the rules in src/fhir/sensitivity.ts needs
 * a migration that recomputes the column (test/db/sensitivity-rules.test.ts fails until
 * the rules there and the newest recomputation agree).
 */
export const RULES = Object.freeze({
  labels: Object.freeze({
    'http://terminology.hl7.org/CodeSystem/v3-Confidentiality': Object.freeze(['R', 'V']),
    'http://terminology.hl7.org/CodeSystem/v3-ActCode': Object.freeze(['PSY', 'PSYTHPN', 'ETH', 'SUD', 'HIV', 'SDV', 'STD', 'BH']),
  }),
  psychotherapyNoteLabel: Object.freeze({ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSYTHPN' }),
  psychotherapyNoteTypes: Object.freeze({ system: 'http://loinc.org', codes: Object.freeze(['34864-9', '34865-6', '34866-4', '34787-2', '34790-6', '34793-0']) }),
});

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
const codes = (list: readonly string[]) => list.map((c) => quote(c.toLowerCase())).join(', ');

/** The recomputation of every live row's level from its index rows, for RULES. */
export function recomputeSensitivity(): string {
  const label = (system: string, list: readonly string[]) => `(z.system = ${quote(system)} AND z.code IN (${codes(list)}))`;
  const anyLabel = Object.entries(RULES.labels).map(([system, list]) => label(system, list)).join(' OR ');
  const note = RULES.psychotherapyNoteLabel;
  const types = RULES.psychotherapyNoteTypes;
  return `
UPDATE resources SET sensitivity = CASE
  WHEN EXISTS (SELECT 1 FROM idx_token z WHERE z.res = resources.seq AND z.param = '_security' AND ${label(note.system, [note.code])}) THEN 2
  WHEN resources.type = 'DocumentReference' AND EXISTS (SELECT 1 FROM idx_token z WHERE z.res = resources.seq AND z.param = 'type' AND ${label(types.system, types.codes)}) THEN 2
  WHEN EXISTS (SELECT 1 FROM idx_token z WHERE z.res = resources.seq AND z.param = '_security' AND (${anyLabel})) THEN 1
  ELSE 0 END
WHERE resources.seq IN (SELECT z.res FROM idx_token z WHERE z.param = '_security')
   OR (resources.type = 'DocumentReference' AND resources.seq IN (SELECT z.res FROM idx_token z WHERE z.param = 'type'));`;
}

export const resourceSensitivity: Migration = {
  id: '015-resource-sensitivity',
  sql: () => `
ALTER TABLE resources ADD COLUMN sensitivity SMALLINT NOT NULL DEFAULT 0;
${recomputeSensitivity()}
`,
};
