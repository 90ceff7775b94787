import type { Logger } from 'pino';
import type { Db } from '../db/db.js';
import { jobStore, type JobStore } from './jobs.js';
import { startWorker, type ExportWorker } from './worker.js';

export interface BulkOptions {
  /** Output kept this long after a job finishes (ms; config CHARTKEY_EXPORT_TTL_HOURS). */
  ttlMs: number;
  /** Worker lease (ms, default 60 s): a job whose instance died is picked up after it. */
  leaseMs?: number;
  /** Idle worker poll interval (ms, default 1 s). */
  pollMs?: number;
  /** Expired-output sweep interval (ms, default 10 min). */
  sweepMs?: number;
  now?: () => number;
  /** False: this instance runs no worker (it still kicks off, answers status and serves files). */
  worker?: boolean;
}

/** Bulk Data export (src/bulk/): the job store every instance shares, and this instance's worker. */
export interface BulkExports {
  readonly jobs: JobStore;
  /** Starts this instance's worker (the FHIR surface does, when the app is ready); undefined when disabled. */
  startWorker(): ExportWorker | undefined;
}

export function createBulkExports(db: Db, logger: Logger, options: BulkOptions): BulkExports {
  const jobs = jobStore(db, { now: options.now ?? Date.now, ttlMs: options.ttlMs, leaseMs: options.leaseMs ?? 60_000 });
  return {
    jobs,
    startWorker: () =>
      options.worker === false
        ? undefined
        : startWorker(db, jobs, logger, { pollMs: options.pollMs ?? 1000, sweepMs: options.sweepMs ?? 10 * 60_000 }),
  };
}
