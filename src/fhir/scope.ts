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
