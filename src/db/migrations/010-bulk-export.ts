import { type Migration, types } from './types.js';

/**
 * Bulk Data export jobs (src/bulk/). Everything lives in the database so that a job
 * survives a restart and any instance sharing the database answers its status and serves
 * its files (NDJSON bytes in chunks, BLOB/BYTEA): the job row (with the worker's lease), the patients a Patient- or Group-level
 * job covers (fixed at kick-off), the manifest's files and their NDJSON text in chunks.
 */
export const bulkExport: Migration = {
  id: '010-bulk-export',
  sql: (dialect) => `
CREATE TABLE bulk_jobs (
  id TEXT PRIMARY KEY,
  owner TEXT NOT NULL,
  level TEXT NOT NULL,
  request TEXT NOT NULL,
  types TEXT,
  since BIGINT,
  transaction_time BIGINT NOT NULL,
  warnings TEXT NOT NULL,
  status TEXT NOT NULL,
  progress BIGINT NOT NULL DEFAULT 0,
  lease_owner TEXT,
  lease_until BIGINT NOT NULL DEFAULT 0,
  error TEXT,
  created_at BIGINT NOT NULL,
  finished_at BIGINT,
  expires_at BIGINT NOT NULL
);
CREATE INDEX bulk_jobs_claim ON bulk_jobs (status, lease_until, created_at);
CREATE INDEX bulk_jobs_expires ON bulk_jobs (expires_at);

CREATE TABLE bulk_job_patients (
  job TEXT NOT NULL,
  patient TEXT NOT NULL,
  PRIMARY KEY (job, patient)
);
CREATE INDEX bulk_job_patients_patient ON bulk_job_patients (patient, job);

CREATE TABLE bulk_files (
  job TEXT NOT NULL,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  type TEXT NOT NULL,
  count BIGINT NOT NULL,
  chunks INTEGER NOT NULL,
  PRIMARY KEY (job, name)
);

CREATE TABLE bulk_chunks (
  job TEXT NOT NULL,
  file TEXT NOT NULL,
  n INTEGER NOT NULL,
  data ${types(dialect).blob} NOT NULL,
  PRIMARY KEY (job, file, n)
);
`,
};
