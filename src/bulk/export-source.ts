import type { Db, SqlValue } from '../db/db.js';
import { compartmentExport, provenanceExport, sharedExport, systemExport } from '../fhir/export-queries.js';
import type { ExportJob } from './types.js';

export interface ExportRow {
  seq: number;
  type: string;
  /** The resource JSON: UTF-8 bytes where the database hands them over as such (SQLite), else text. */
  content: string | Buffer;
}

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
  return keyset(db, (after) => systemExport(db.dialect, job, after));
}

function compartmentPages(db: Db, job: ExportJob, patient: string) {
  return keyset(db, (after) => compartmentExport(db.dialect, job, job.id, patient, after));
}

async function* provenancePages(db: Db, job: ExportJob, patient: string): AsyncGenerator<ExportRow[]> {
  const q = provenanceExport(db.dialect, job, patient);
  const rows = await db.all<ExportRow>(q.sql, q.params);
  for (let i = 0; i < rows.length; i += PAGE) yield rows.slice(i, i + PAGE);
}

async function* sharedPages(db: Db, job: ExportJob): AsyncGenerator<ExportRow[]> {
  const shared = sharedExport(db.dialect, job, job.id);
  if (shared) yield* keyset(db, shared);
}
