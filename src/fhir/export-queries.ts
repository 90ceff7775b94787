import type { Dialect, SqlValue } from '../db/db.js';
import { everythingQueries, patientScope, SHARED_TYPES, sharedReachedFrom } from './scope.js';

/**
 * The statements of a Bulk Data export (src/bulk/export-source.ts pages through them), kept
 * beside the patient scope they apply so that what an export may read is decided here, with
 * the FHIR tables, and not by the bulk module. Each takes the last `seq` read and ends with
 * a `LIMIT ?` the caller binds (all but the Provenance). A job's members are the
 * `bulk_job_patients` rows of its id.
 */
export interface ExportFilter {
  /** `_type`: only these resource types. */
  types?: readonly string[];
  /** `_since`: only resources whose lastUpdated is after it (epoch ms). */
  since?: number;
}

export interface Statement {
  sql: string;
  params: SqlValue[];
}

/** The content column as bytes on SQLite (no UTF-8 → UTF-16 → UTF-8 round trip through JS strings). */
const content = (dialect: Dialect, alias: string) => (dialect === 'sqlite' ? `CAST(${alias}.content AS BLOB) AS content` : `${alias}.content`);

function filters(filter: ExportFilter, alias: string, types?: readonly string[]): Statement {
  let sql = '';
  const params: SqlValue[] = [];
  if (types) {
    sql += ` AND ${alias}.type IN (${types.map(() => '?').join(', ')})`;
    params.push(...types);
  }
  if (filter.since !== undefined) {
    sql += ` AND ${alias}.last_updated > ?`;
    params.push(filter.since);
  }
  return { sql, params };
}

/** System level: every current resource, in `seq` order. */
export function systemExport(dialect: Dialect, filter: ExportFilter, after: number): Statement {
  const f = filters(filter, 'r', filter.types);
  return {
    sql: `SELECT r.seq, r.type, ${content(dialect, 'r')} FROM resources r WHERE r.seq > ? AND r.deleted = 0${f.sql} ORDER BY r.seq LIMIT ?`,
    params: [after, ...f.params],
  };
}

/** A member's compartment, each resource written once: by the first member (in id order) whose compartment holds it. */
export function compartmentExport(dialect: Dialect, filter: ExportFilter, job: string, patient: string, after: number): Statement {
  const f = filters(filter, 'r', filter.types);
  return {
    sql:
      `SELECT r.seq, r.type, ${content(dialect, 'r')} FROM compartment c JOIN resources r ON r.seq = c.res` +
      ` WHERE c.patient = ? AND c.res > ? AND r.deleted = 0${f.sql}` +
      // CROSS JOIN fixes the join order on SQLite (no statistics): from this resource's few
      // compartment rows to the member table, never from every member to the compartment.
      ' AND NOT EXISTS (SELECT 1 FROM compartment c2 CROSS JOIN bulk_job_patients m WHERE c2.res = c.res AND c2.patient < ? AND m.job = ? AND m.patient = c2.patient)' +
      ' ORDER BY c.res LIMIT ?',
    params: [patient, after, ...f.params, patient, job],
  };
}

/**
 * The Provenance of a member's resources, as the patient scope defines it (one statement, no
 * paging) but read as a practice system: no sensitivity label hides one, as none hides the
 * member's resources it names (compartmentExport).
 */
export function provenanceExport(dialect: Dialect, filter: ExportFilter, patient: string): Statement {
  const q = everythingQueries(filter.types ? patientScope(patient, filter.types) : patientScope(patient), 0, 0, dialect, true).provenance;
  const since = filter.since === undefined ? '' : ' WHERE p.seq IN (SELECT s.seq FROM resources s WHERE s.seq = p.seq AND s.last_updated > ?)';
  return { sql: `SELECT p.seq, p.type, p.content FROM (${q.sql}) p${since}`, params: [...q.params, ...(filter.since === undefined ? [] : [filter.since])] };
}

/** The shared resources (Practitioner, Organization, …) reached from any member's compartment, by the patient scope's rule; undefined when `_type` excludes them all. */
export function sharedExport(dialect: Dialect, filter: ExportFilter, job: string): ((after: number) => Statement) | undefined {
  const types = filter.types ? SHARED_TYPES.filter((t) => filter.types!.includes(t)) : SHARED_TYPES;
  if (types.length === 0) return undefined;
  const f = filters(filter, 'r');
  const shared = sharedReachedFrom('r', types, { from: ' CROSS JOIN bulk_job_patients m', where: (c2) => `m.job = ? AND m.patient = ${c2}.patient`, params: [job] });
  return (after) => ({
    sql: `SELECT r.seq, r.type, ${content(dialect, 'r')} FROM resources r WHERE r.seq > ? AND r.deleted = 0${f.sql} AND ${shared.sql} ORDER BY r.seq LIMIT ?`,
    params: [after, ...f.params, ...shared.params],
  });
}
