import type { SqlValue } from '../db/db.js';

/**
 * Whose data a request may see. This module is the only place that decides it: every
 * store and search query includes the predicate built here.
 *
 * A patient scope reaches (1) resources in that patient's compartment (the `compartment`
 * table, filled from R4 CompartmentDefinition/patient at write time, including the
 * Patient itself) and (2) shared resources — of the types below — referenced by something
 * in that compartment.
 */
export type Scope = { readonly kind: 'all' } | { readonly kind: 'patient'; readonly patientId: string };

export const ALL: Scope = Object.freeze({ kind: 'all' });

export function patientScope(patientId: string): Scope {
  return Object.freeze({ kind: 'patient', patientId });
}

/** Resource types a patient may see when (and only when) their own records reference them. */
export const SHARED_TYPES: readonly string[] = [
  'Practitioner',
  'PractitionerRole',
  'Organization',
  'Location',
  'Medication',
  'Substance',
  'Device',
  'HealthcareService',
  'Endpoint',
];

/**
 * The SQL predicate restricting rows of `resources` (under alias `alias`) to the scope.
 * `TRUE`-like for staff. Parameters are positional `?` in the order returned.
 */
export function scopePredicate(scope: Scope, alias = 'r'): { sql: string; params: SqlValue[] } {
  if (scope.kind === 'all') return { sql: '1=1', params: [] };
  const shared = SHARED_TYPES.map(() => '?').join(', ');
  return {
    sql:
      `(${alias}.seq IN (SELECT c.res FROM compartment c WHERE c.patient = ?)` +
      ` OR (${alias}.type IN (${shared}) AND EXISTS (` +
      `SELECT 1 FROM refs f JOIN compartment c2 ON c2.res = f.res` +
      ` WHERE f.target_type = ${alias}.type AND f.target_id = ${alias}.id AND c2.patient = ?)))`,
    params: [scope.patientId, ...SHARED_TYPES, scope.patientId],
  };
}

/**
 * The two queries that enumerate everything in a patient's scope, in `seq` order, for
 * Patient/$everything (https://hl7.org/fhir/R4/patient-operation-everything.html): the
 * compartment itself (keyset-paged on seq) and the shared resources it references. They
 * select exactly what scopePredicate(patientScope(id)) admits.
 */
export function everythingQueries(patientId: string, afterSeq: number, limit: number) {
  const shared = SHARED_TYPES.map(() => '?').join(', ');
  return {
    compartment: {
      sql:
        'SELECT r.seq, r.type, r.id, r.content FROM compartment c JOIN resources r ON r.seq = c.res' +
        ' WHERE c.patient = ? AND c.res > ? AND r.deleted = 0 ORDER BY c.res LIMIT ?',
      params: [patientId, afterSeq, limit] as SqlValue[],
    },
    shared: {
      sql:
        'SELECT r.seq, r.type, r.id, r.content FROM resources r WHERE r.deleted = 0 AND r.seq IN (' +
        'SELECT r2.seq FROM compartment c JOIN refs f ON f.res = c.res' +
        ` JOIN resources r2 ON r2.type = f.target_type AND r2.id = f.target_id WHERE c.patient = ? AND r2.type IN (${shared}))` +
        ' ORDER BY r.seq',
      params: [patientId, ...SHARED_TYPES] as SqlValue[],
    },
  };
}
