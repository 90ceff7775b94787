import type { Db, SqlValue } from '../db/db.js';
import { everythingQueries, patientScope, SHARED_TYPES, sharedReachedFrom } from '../fhir/scope.js';
import type { ExportJob } from './types.js';

export interface ExportRow {
  seq: number;
  type: string;
  /** The resource JSON: UTF-8 bytes where the database hands them over as such (SQLite), else text. */
  content: string | Buffer;
}

/** The content column as bytes on SQLite (no UTF-8 → UTF-16 → UTF-8 round trip through JS strings). */
const content = (db: Db, alias: string) => (db.dialect === 'sqlite' ? `CAST(${alias}.content AS BLOB) AS content` : `${alias}.content`);

const PAGE = 1000;
const MEMBERS_PER_BATCH = 200;

/**
 * What a job exports, as pages of current (not deleted) resources, read with keyset paging
 * so memory stays flat however large the database is.
 *
 * - System level: every resource, in `seq` order.
 * - Patient and Group level: for each member (bulk_job_patients, fixed at kick-off), the
 *   resources of its compartment (a resource in several members' compartments is written
 *   once, by the first member), then the Provenance of those resources as the patient scope
 *   defines it (src/fhir/scope.ts), and finally the shared resources (Practitioner,
 *   Organization, Location, Medication, …) referenced from the members' compartments. The
 *   same rules as a patient's own scope: nothing that is only another patient's.
 *
 * `_type` narrows every query; `_since` keeps resources whose lastUpdated is after it.
 */
export async function* exportPages(db: Db, job: ExportJob): AsyncGenerator<ExportRow[]> {
  if (job.level === 'system') {
    yield* systemPages(db, job);
    return;
  }
  let afterMember = '';
  for (;;) {
    const members = await db.all<{ patient: string }>('SELECT patient FROM bulk_job_patients WHERE job = ? AND patient > ? ORDER BY patient LIMIT ?', [
      job.id,
      afterMember,
      MEMBERS_PER_BATCH,
    ]);
    for (const { patient } of members) {
      yield* compartmentPages(db, job, patient);
      if (!job.types || job.types.includes('Provenance')) yield* provenancePages(db, job, patient);
    }
    if (members.length < MEMBERS_PER_BATCH) break;
    afterMember = members[members.length - 1].patient;
  }
  yield* sharedPages(db, job);
}

function filters(job: ExportJob, alias: string, types?: readonly string[]): { sql: string; params: SqlValue[] } {
  let sql = '';
  const params: SqlValue[] = [];
  if (types) {
    sql += ` AND ${alias}.type IN (${types.map(() => '?').join(', ')})`;
    params.push(...types);
  }
  if (job.since !== undefined) {
    sql += ` AND ${alias}.last_updated > ?`;
    params.push(job.since);
  }
  return { sql, params };
}

async function* keyset(db: Db, sql: (after: number) => { sql: string; params: SqlValue[] }): AsyncGenerator<ExportRow[]> {
  let after = 0;
  for (;;) {
    const q = sql(after);
    const rows = await db.all<ExportRow>(q.sql, [...q.params, PAGE]);
    if (rows.length > 0) yield rows;
    if (rows.length < PAGE) return;
    after = Number(rows[rows.length - 1].seq);
  }
}

function systemPages(db: Db, job: ExportJob) {
  const f = filters(job, 'r', job.types);
  return keyset(db, (after) => ({
    sql: `SELECT r.seq, r.type, ${content(db, 'r')} FROM resources r WHERE r.seq > ? AND r.deleted = 0${f.sql} ORDER BY r.seq LIMIT ?`,
    params: [after, ...f.params],
  }));
}

function compartmentPages(db: Db, job: ExportJob, patient: string) {
  const f = filters(job, 'r', job.types);
  return keyset(db, (after) => ({
    sql:
      `SELECT r.seq, r.type, ${content(db, 'r')} FROM compartment c JOIN resources r ON r.seq = c.res` +
      ` WHERE c.patient = ? AND c.res > ? AND r.deleted = 0${f.sql}` +
      // Written once: by the first member (in id order) whose compartment holds it. CROSS JOIN
      // fixes the join order on SQLite (no statistics): from this resource's few compartment
      // rows to the member table, never from every member to the compartment.
      ' AND NOT EXISTS (SELECT 1 FROM compartment c2 CROSS JOIN bulk_job_patients m WHERE c2.res = c.res AND c2.patient < ? AND m.job = ? AND m.patient = c2.patient)' +
      ' ORDER BY c.res LIMIT ?',
    params: [patient, after, ...f.params, patient, job.id],
  }));
}

async function* provenancePages(db: Db, job: ExportJob, patient: string): AsyncGenerator<ExportRow[]> {
  const q = everythingQueries(job.types ? patientScope(patient, job.types) : patientScope(patient), 0, 0, db.dialect).provenance;
  const since = job.since === undefined ? '' : ' WHERE p.seq IN (SELECT s.seq FROM resources s WHERE s.seq = p.seq AND s.last_updated > ?)';
  const rows = await db.all<ExportRow>(`SELECT p.seq, p.type, p.content FROM (${q.sql}) p${since}`, [...q.params, ...(job.since === undefined ? [] : [job.since])]);
  for (let i = 0; i < rows.length; i += PAGE) yield rows.slice(i, i + PAGE);
}

async function* sharedPages(db: Db, job: ExportJob): AsyncGenerator<ExportRow[]> {
  const types = job.types ? SHARED_TYPES.filter((t) => job.types!.includes(t)) : SHARED_TYPES;
  if (types.length === 0) return;
  const f = filters(job, 'r');
  // The patient scope's rule for shared resources (src/fhir/scope.ts), reached from any member.
  const shared = sharedReachedFrom('r', types, { from: ' CROSS JOIN bulk_job_patients m', where: (c2) => `m.job = ? AND m.patient = ${c2}.patient`, params: [job.id] });
  yield* keyset(db, (after) => ({
    sql: `SELECT r.seq, r.type, ${content(db, 'r')} FROM resources r WHERE r.seq > ? AND r.deleted = 0${f.sql} AND ${shared.sql} ORDER BY r.seq LIMIT ?`,
    params: [after, ...f.params, ...shared.params],
  }));
}
