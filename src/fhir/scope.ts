import { asResourceId, type Dialect, type SqlValue } from '../db/db.js';
import { indexResource } from './search/indexer.js';
import { normalizeCode } from './search/normalize.js';
import { isPsychotherapyNote, isSensitive, SENSITIVITY } from './sensitivity.js';
import type { SearchRegistry } from './search/types.js';

/**
 * Whose data a request may see. This module is the only place that decides it: every
 * store and search query includes the predicate built here.
 *
 * A patient scope reaches (1) resources in that patient's compartment (the `compartment`
 * table, filled from R4 CompartmentDefinition/patient at write time, including the
 * Patient itself), (2) shared resources — of the types below — referenced by something
 * in that compartment, and (3) the Provenance of that compartment's resources
 * (provenanceOfPatient). Earlier versions of (3) stay hidden (versionInScope cannot tell).
 */
export type Scope =
  | {
      readonly kind: 'all';
      /** A practice system's `system/` scopes may name types: then only those (includes and chains too). */
      readonly types?: readonly string[];
    }
  | {
      readonly kind: 'patient';
      readonly patientId: string;
      /**
       * The resource types the credential's SMART scopes grant (absent = every type). A
       * token for `patient/Observation.rs` must not receive Patient or Condition through
       * `_include`, `_revinclude`, a chain or `$everything` either, so the types are part
       * of the scope, not a check on the searched type only.
       */
      readonly types?: readonly string[];
      /**
       * SMART v2 granular grants (`patient/Observation.rs?category=…|laboratory`): per
       * resource type, the `category` tokens (`system|code`) a resource must carry one of to
       * be visible. A type absent here is not narrowed. Enforced in scopePredicate like
       * `types`, so searches, includes, counts, reads and $everything agree.
       */
      readonly categories?: Readonly<Record<string, readonly string[]>>;
      /**
       * Leave out resources labelled sensitive in `meta.security` (Patient controls:
       * restricted/very restricted confidentiality, mental-health, substance-use, HIV, …).
       * Psychotherapy notes are never visible to a patient scope, whatever this says.
       */
      readonly excludeSensitive?: boolean;
    };

export const ALL: Scope = Object.freeze({ kind: 'all' });

/** Every patient's data, optionally only of some types (a system client's scopes). */
export function allScope(types?: Iterable<string>): Scope {
  return types === undefined ? ALL : Object.freeze({ kind: 'all', types: Object.freeze([...new Set(types)].sort()) });
}

export type PatientScope = Extract<Scope, { kind: 'patient' }>;

/** What narrows a patient scope beyond its patient: the fields of PatientScope after patientId. */
export interface ScopeNarrowing {
  types?: Iterable<string>;
  categories?: Readonly<Record<string, readonly string[]>>;
  excludeSensitive?: boolean;
}

export function patientScope(patientId: string, narrowing: Iterable<string> | ScopeNarrowing = {}): PatientScope {
  const n: ScopeNarrowing = isIterable(narrowing) ? { types: narrowing } : narrowing;
  const scope: { -readonly [K in keyof PatientScope]: PatientScope[K] } = { kind: 'patient', patientId };
  if (n.types !== undefined) scope.types = Object.freeze([...new Set(n.types)].sort());
  if (n.categories !== undefined && Object.keys(n.categories).length > 0) {
    const sorted: Record<string, readonly string[]> = {};
    for (const type of Object.keys(n.categories).sort()) sorted[type] = Object.freeze([...new Set(n.categories[type])].sort());
    scope.categories = Object.freeze(sorted);
  }
  if (n.excludeSensitive) scope.excludeSensitive = true;
  return Object.freeze(scope);
}

function isIterable(v: unknown): v is Iterable<string> {
  return typeof v === 'object' && v !== null && Symbol.iterator in v;
}

/** The same patient scope, leaving sensitive resources out (or not). */
export function withSensitivity(scope: PatientScope, excludeSensitive: boolean): PatientScope {
  const { excludeSensitive: _old, ...rest } = scope;
  return Object.freeze(excludeSensitive ? { ...rest, excludeSensitive: true } : rest);
}

/**
 * A string that identifies what a scope can see, for cache keys: equal keys ⇔ equal
 * visibility. (Ids cannot hold NUL; type lists are sorted by patientScope.)
 */
export function scopeKey(scope: Scope): string {
  if (scope.kind === 'all') return scope.types === undefined ? 'all' : `all\0${scope.types.join(',')}`;
  const types = scope.types === undefined ? '*' : scope.types.join(',');
  const categories = scope.categories === undefined ? '' : Object.entries(scope.categories).map(([t, c]) => `${t}=${c.join(',')}`).join(';');
  return `patient\0${scope.patientId}\0${types}\0${categories}\0${scope.excludeSensitive ? 's' : ''}`;
}

/**
 * Every current patient: the id of each Patient that is not deleted, in `seq` order (the
 * order they were first stored). What an export of all patients (`/Patient/$export`) and a
 * Group of all patients (`chartkey group add --all-patients`) are made of, fixed when made.
 */
export function everyPatient(): { sql: string; params: SqlValue[] } {
  return { sql: "SELECT r.id FROM resources r WHERE r.type = 'Patient' AND r.deleted = 0 ORDER BY r.seq", params: [] };
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
 *
 * Every alias of its own subqueries is `alias` + `_` + a suffix, so it can never shadow
 * the caller's row: with a fixed `compartment c2`, a chain's row `c2` (search compiler,
 * second hop) was hidden inside the shared-types branch — PostgreSQL refused the query
 * (42703) and SQLite resolved `c2.type` outward only because `compartment` has no `type`.
 *
 * `rowType`, when the caller's SQL already guarantees every row is of that type (a read
 * by type and id, a search of one type), leaves out the branches that cannot apply to
 * it: an Observation is visible only through the compartment, so its predicate is one
 * EXISTS, which SQLite runs as a semi-join after the cheaper filters instead of a
 * correlated OR evaluated for every candidate row.
 */
export function scopePredicate(scope: Scope, alias: string, rowType: string | undefined, dialect: Dialect): { sql: string; params: SqlValue[] } {
  if (scope.kind === 'all') {
    if (scope.types === undefined) return { sql: '1=1', params: [] };
    if (scope.types.length === 0) return { sql: '1=0', params: [] };
    return { sql: `${alias}.type IN (${scope.types.map(() => '?').join(', ')})`, params: [...scope.types] };
  }
  const types = accessRestriction(scope, alias);
  const c = `${alias}_c`;
  // EXISTS, not IN (SELECT …): a point lookup on compartment's primary key per candidate
  // row, instead of materialising the whole compartment for every query.
  const compartment = `EXISTS (SELECT 1 FROM compartment ${c} WHERE ${c}.patient = ? AND ${c}.res = ${alias}.seq)`;
  const branches: Array<{ sql: string; params: SqlValue[] }> = [{ sql: compartment, params: [scope.patientId] }];
  const sharedTypes = rowType === undefined ? SHARED_TYPES : SHARED_TYPES.filter((t) => t === rowType);
  if (sharedTypes.length > 0) branches.push(sharedReachedFrom(alias, sharedTypes, { from: '', where: (c2) => `${c2}.patient = ?`, params: [scope.patientId] }));
  if (rowType === undefined || rowType === 'Provenance') {
    const targets = provenanceTargetsShared(scope, alias, dialect);
    branches.push({ sql: `(${alias}.type = 'Provenance' AND ${provenanceOfPatient(alias, scope)}${targets.sql})`, params: [scope.patientId, scope.patientId, ...targets.params] });
  }
  const any = branches.length === 1 ? branches[0].sql : `(${branches.map((b) => b.sql).join(' OR ')})`;
  return { sql: `(${any}${types.sql})`, params: [...branches.flatMap((b) => b.params), ...types.params] };
}

/**
 * Whose compartments a shared resource is reached from: a condition on `c2.patient` (the
 * compartment row of the referencing resource), with any tables it needs joined in `from`
 * (leading ' CROSS JOIN …'). One patient: `${c2}.patient = ?`; a bulk export's members: their
 * table. `where` is given the alias of the holder's compartment row: every alias of the
 * predicate is suffixed to the row's own, so that it never hides an alias of the query it
 * joins (a chain's `c2`).
 */
export interface Holders {
  readonly from: string;
  readonly where: (compartmentAlias: string) => string;
  readonly params: readonly SqlValue[];
}

/**
 * Rule (2) above, for one patient or a set of them: a resource of one of `types` that is
 * referenced by something in a holder's compartment and sits in nobody's compartment (a
 * shared-type resource in some patient's compartment, a Device with `patient`, is that
 * patient's, not shared: another patient's reference to it opens nothing). CROSS JOIN fixes
 * the join order on SQLite (no statistics): from the few references to this resource to
 * their compartment rows, never from a whole compartment to the references.
 */
export function sharedReachedFrom(alias: string, types: readonly string[], holders: Holders): { sql: string; params: SqlValue[] } {
  const [f, c2, c3] = ['f', 'c2', 'c3'].map((n) => `${alias}_${n}`);
  return {
    sql:
      `(${alias}.type IN (${types.map(() => '?').join(', ')}) AND EXISTS (` +
      `SELECT 1 FROM refs ${f} CROSS JOIN compartment ${c2}${holders.from}` +
      ` WHERE ${f}.target_type = ${alias}.type AND ${f}.target_id = ${alias}.id AND ${c2}.res = ${f}.res AND ${holders.where(c2)})` +
      ` AND NOT EXISTS (SELECT 1 FROM compartment ${c3} WHERE ${c3}.res = ${alias}.seq))`,
    params: [...types, ...holders.params],
  };
}

/**
 * The patient in whose compartment every row of `rowType` that the scope admits lies, if
 * there is one: a patient scope admits a resource of a type that is neither shared nor
 * Provenance only through that patient's compartment (scopePredicate). The search
 * compiler then drives from the patient-first indexes (migration 013); the scope
 * predicate is still ANDed as always.
 */
export function compartmentOfScope(scope: Scope, rowType: string): string | undefined {
  if (scope.kind !== 'patient' || rowType === 'Provenance' || SHARED_TYPES.includes(rowType)) return undefined;
  return scope.patientId;
}

/**
 * A Provenance is about its targets (https://hl7.org/fhir/R4/provenance.html), but R4's
 * patient compartment holds one only when a target is the Patient itself. Inferno reads a
 * patient's Provenance through `_revinclude=Provenance:target` on every US Core search
 * (conformance/inferno-checklist.md §0), so one that targets a resource of this patient's
 * compartment is theirs too — unless any of its references reaches another patient's
 * compartment (it would name that patient's record). Decided when read, so the order in
 * which a Provenance and its targets were written does not matter. Two parameters: the
 * patient id, twice.
 *
 * With `visibleTo` (a patient scope; staff pass none) the same pass over its references
 * also hides it when any resource it names — target, entity or agent — is one the scope
 * may not see for its sensitivity (a psychotherapy note; a sensitive record when sensitive
 * information is left out): naming it would reveal that it exists. One walk over the
 * references, not a second one over the targets (provenanceTargetsShared checks the rest
 * of a narrowing: granted types and categories).
 */
function provenanceOfPatient(alias: string, visibleTo?: PatientScope): string {
  const [f4, t4, c4] = [`${alias}_f4`, `${alias}_t4`, `${alias}_c4`];
  const [f5, t5, c5] = [`${alias}_f5`, `${alias}_t5`, `${alias}_c5`];
  const reaches =
    `EXISTS (SELECT 1 FROM refs ${f4} JOIN resources ${t4} ON ${t4}.type = ${f4}.target_type AND ${t4}.id = ${f4}.target_id` +
    ` JOIN compartment ${c4} ON ${c4}.res = ${t4}.seq WHERE ${f4}.res = ${alias}.seq AND ${c4}.patient = ?)`;
  const hidden = visibleTo === undefined ? '' : `${t5}.sensitivity >= ${sensitivityLimit(visibleTo)} OR `;
  const another =
    `NOT EXISTS (SELECT 1 FROM refs ${f5} JOIN resources ${t5} ON ${t5}.type = ${f5}.target_type AND ${t5}.id = ${f5}.target_id` +
    ` WHERE ${f5}.res = ${alias}.seq AND (${hidden}EXISTS (SELECT 1 FROM compartment ${c5} WHERE ${c5}.res = ${t5}.seq AND ${c5}.patient <> ?)))`;
  return `${reaches} AND ${another}`;
}

/**
 * A Provenance names its targets: under a narrowed scope (granted types or categories) it
 * is visible only while every target it names is (a narrowed scope must not learn the id
 * of a resource it does not share). Sensitivity is checked by provenanceOfPatient.
 * Leading ' AND ', or empty for a scope that narrows nothing but sensitivity.
 * Target ids are compared in resources.id's collation (asResourceId): otherwise PostgreSQL
 * cannot use the (type, id) key and scans every resource of the target's type per target.
 */
function provenanceTargetsShared(scope: PatientScope, alias: string, dialect: Dialect, labels = true): { sql: string; params: SqlValue[] } {
  if (scope.types === undefined && scope.categories === undefined) return { sql: '', params: [] };
  const [x, t] = [`${alias}_x6`, `${alias}_t6`];
  const inner = accessRestriction(scope, t, labels);
  const id = asResourceId(`${x}.target_id`, dialect);
  return {
    sql:
      ` AND NOT EXISTS (SELECT 1 FROM idx_reference ${x} JOIN resources ${t} ON ${t}.type = ${x}.target_type AND ${t}.id = ${id}` +
      ` WHERE ${x}.res = ${alias}.seq AND ${x}.param = 'target' AND NOT (1=1${inner.sql}))`,
    params: inner.params,
  };
}

/**
 * The narrowing of a patient scope as SQL ANDed to the visibility predicate (leading
 * ' AND ', or empty): granted types, then per-type granular categories — a resource of
 * a narrowed type must carry one of the granted `category` tokens (index rows, whose
 * codes are stored lower-cased: normalizeCode) — and the scope's sensitivity unless
 * `labels` is false (staff and practice systems: no label hides anything from them).
 */
function accessRestriction(scope: Scope, alias: string, labels = true): { sql: string; params: SqlValue[] } {
  if (scope.kind !== 'patient') return { sql: '', params: [] };
  let sql = '';
  const params: SqlValue[] = [];
  if (scope.types !== undefined) {
    if (scope.types.length === 0) return { sql: ' AND 1=0', params: [] };
    sql += ` AND ${alias}.type IN (${scope.types.map(() => '?').join(', ')})`;
    params.push(...scope.types);
  }
  for (const [type, tokens] of Object.entries(scope.categories ?? {})) {
    params.push(type);
    const match = tokens.map((token) => {
      const bar = token.indexOf('|');
      if (bar < 0) {
        params.push(normalizeCode(token));
        return `${alias}_ct.code = ?`;
      }
      params.push(normalizeCode(token.slice(bar + 1)), token.slice(0, bar));
      return `(${alias}_ct.code = ? AND ${alias}_ct.system = ?)`;
    });
    sql +=
      ` AND (${alias}.type <> ? OR EXISTS (SELECT 1 FROM idx_token ${alias}_ct WHERE ${alias}_ct.res = ${alias}.seq AND ${alias}_ct.param = 'category'` +
      ` AND (${match.length > 0 ? match.join(' OR ') : '1=0'})))`;
  }
  if (!labels) return { sql, params };
  const restriction = labelRestriction(scope);
  return { sql: sql + restriction.sql.replace(/\$ALIAS/g, alias), params: [...params, ...restriction.params] };
}

/**
 * Sensitivity (src/fhir/sensitivity.ts), decided when the resource was written and kept
 * on its row (`resources.sensitivity`, migration 015): a psychotherapy note (labelled, or
 * a DocumentReference typed as one) is never in a patient scope; with `excludeSensitive`,
 * no sensitive resource is. One column of the row itself, no index probe.
 */
function labelRestriction(scope: PatientScope): { sql: string; params: SqlValue[] } {
  return { sql: ` AND $ALIAS.sensitivity < ${sensitivityLimit(scope)}`, params: [] };
}

/** The lowest `resources.sensitivity` a patient scope may not see. */
function sensitivityLimit(scope: PatientScope): number {
  return scope.excludeSensitive ? SENSITIVITY.SENSITIVE : SENSITIVITY.PSYCHOTHERAPY_NOTE;
}

/**
 * Whether one stored version of an in-scope resource may be shown (vread, `_history`).
 * The scope predicate looks at the current version only; an earlier version written while
 * the resource was in another patient's compartment (a misfiled result moved to the right
 * patient) holds that patient's data, so each earlier version is checked on its own
 * content: it must be in this patient's compartment, or be a shared resource in nobody's.
 * Deletion markers carry no content and stay visible.
 */
export function versionInScope(scope: Scope, type: string, json: string, deleted: boolean, registry: SearchRegistry): boolean {
  if (scope.kind === 'all' || deleted) return true;
  const resource = JSON.parse(json) as Record<string, unknown>;
  // An earlier version labelled sensitive (or a psychotherapy note) stays hidden as the current one would.
  if (isPsychotherapyNote(resource) || (scope.excludeSensitive && isSensitive(resource))) return false;
  const compartments = indexResource(resource, registry).compartments;
  if (compartments.includes(scope.patientId)) return true;
  return compartments.length === 0 && SHARED_TYPES.includes(type);
}

/**
 * The two queries that enumerate everything in a patient's scope, in `seq` order, for
 * Patient/$everything (https://hl7.org/fhir/R4/patient-operation-everything.html): the
 * compartment itself (keyset-paged on seq) and the shared resources it references, with the
 * Provenance of its resources. They select exactly what scopePredicate(patientScope(id)) admits.
 * `staff`: the same narrowing (granted types, categories), but no sensitivity label hides
 * anything — staff's own pages, and practice systems through a patient's scope.
 */
export function everythingQueries(scope: PatientScope, afterSeq: number, limit: number, dialect: Dialect, staff = false) {
  const { patientId } = scope;
  const shared = SHARED_TYPES.map(() => '?').join(', ');
  // Staff and practice systems ask through the patient's scope too, narrowed to the types
  // they were granted, but no label hides anything from them.
  const only = accessRestriction(scope, 'r', !staff);
  const targets = provenanceTargetsShared(scope, 'r', dialect, !staff);
  return {
    compartment: {
      sql:
        'SELECT r.seq, r.type, r.id, r.content FROM compartment c JOIN resources r ON r.seq = c.res' +
        ` WHERE c.patient = ? AND c.res > ? AND r.deleted = 0${only.sql} ORDER BY c.res LIMIT ?`,
      params: [patientId, afterSeq, ...only.params, limit] as SqlValue[],
    },
    // Two simple statements rather than one UNION: each is driven from the patient's
    // compartment, which PostgreSQL plans well even before ANALYZE.
    shared: {
      sql:
        'SELECT r.seq, r.type, r.id, r.content FROM resources r WHERE r.seq IN (' +
        'SELECT r2.seq FROM compartment c JOIN refs f ON f.res = c.res' +
        ` JOIN resources r2 ON r2.type = f.target_type AND r2.id = f.target_id WHERE c.patient = ? AND f.target_type IN (${shared}))` +
        ` AND r.deleted = 0 AND NOT EXISTS (SELECT 1 FROM compartment c3 WHERE c3.res = r.seq)${only.sql} ORDER BY r.seq`,
      params: [patientId, ...SHARED_TYPES, ...only.params] as SqlValue[],
    },
    // …and the Provenance of the compartment's resources (see provenanceOfPatient).
    provenance: {
      sql:
        // Driven from the candidates (CROSS JOIN fixes the order on SQLite, which has no
        // statistics): with `r.seq IN (…)` it chose the type index and read every Provenance
        // of every patient, testing each against the list.
        'SELECT r.seq, r.type, r.id, r.content FROM (SELECT DISTINCT f.res AS seq FROM compartment c JOIN resources t ON t.seq = c.res' +
        // refs.source_type (migration 013): one index probe per resource, no referring row fetched.
        " JOIN refs f ON f.target_type = t.type AND f.target_id = t.id AND f.source_type = 'Provenance' WHERE c.patient = ?) p" +
        " CROSS JOIN resources r WHERE r.seq = p.seq AND r.type = 'Provenance' AND r.deleted = 0 AND NOT EXISTS (SELECT 1 FROM compartment c3 WHERE c3.res = r.seq)" +
        ` AND ${provenanceOfPatient('r', staff ? undefined : scope)}${only.sql}${targets.sql} ORDER BY r.seq`,
      params: [patientId, patientId, patientId, ...only.params, ...targets.params] as SqlValue[],
    },
  };
}
