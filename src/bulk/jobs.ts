import { randomBytes } from 'node:crypto';
import type { Db, Queryable, SqlValue } from '../db/db.js';
import { everyPatient } from '../fhir/scope.js';
import type { ExportFile, ExportJob, ExportRequest, JobStatus } from './types.js';

/** Which patients a Patient- or Group-level job covers, fixed at kick-off. */
export type JobMembers = { kind: 'all-patients' } | { kind: 'list'; patientIds: readonly string[] };

export interface JobStoreOptions {
  now: () => number;
  /** How long a finished job's output is kept (CHARTKEY_EXPORT_TTL_HOURS). */
  ttlMs: number;
  /** How long a worker's claim on a job lasts without renewal (a crashed instance's job is picked up after it). */
  leaseMs: number;
}

interface JobRow {
  id: string;
  owner: string;
  level: string;
  request: string;
  types: string | null;
  since: number | null;
  transaction_time: number;
  warnings: string;
  status: string;
  progress: number;
  error: string | null;
  created_at: number;
  finished_at: number | null;
  expires_at: number;
}

const MEMBER_ROWS_PER_INSERT = 200;

/**
 * Export jobs in the database (migration 010). Every instance sharing the database sees the
 * same jobs; a worker claims one with a lease that it renews while it works, so a job whose
 * instance died is claimed again once the lease runs out (PostgreSQL: `FOR UPDATE SKIP
 * LOCKED`, so two instances never claim the same job; SQLite: one writing process).
 */
export function jobStore(db: Db, options: JobStoreOptions) {
  const { now } = options;

  const removeIn = async (q: Queryable, id: string) => {
    await q.run('DELETE FROM bulk_chunks WHERE job = ?', [id]);
    await q.run('DELETE FROM bulk_files WHERE job = ?', [id]);
    await q.run('DELETE FROM bulk_job_patients WHERE job = ?', [id]);
    return (await q.run('DELETE FROM bulk_jobs WHERE id = ?', [id])) > 0;
  };

  return {
    async create(owner: string, request: ExportRequest, members?: JobMembers): Promise<ExportJob> {
      const id = randomBytes(16).toString('hex');
      const at = now();
      await db.transaction(async (tx) => {
        await tx.run(
          'INSERT INTO bulk_jobs (id, owner, level, request, types, since, transaction_time, warnings, status, progress, lease_until, created_at, expires_at)' +
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, 0, ?, ?)",
          [id, owner, request.level, request.requestUrl, request.types ? request.types.join(',') : null, request.since ?? null, at, JSON.stringify(request.warnings), at, at + options.ttlMs],
        );
        if (members?.kind === 'all-patients') {
          const every = everyPatient();
          await tx.run(`INSERT INTO bulk_job_patients (job, patient) SELECT ?, p.id FROM (${every.sql}) p`, [id, ...every.params]);
        } else if (members) {
          const ids = [...new Set(members.patientIds)];
          for (let i = 0; i < ids.length; i += MEMBER_ROWS_PER_INSERT) {
            const part = ids.slice(i, i + MEMBER_ROWS_PER_INSERT);
            await tx.run(`INSERT INTO bulk_job_patients (job, patient) VALUES ${part.map(() => '(?, ?)').join(', ')}`, part.flatMap((p) => [id, p]));
          }
        }
      });
      return (await this.get(id))!;
    },

    async get(id: string): Promise<ExportJob | undefined> {
      const row = await db.get<JobRow>('SELECT * FROM bulk_jobs WHERE id = ?', [id]);
      return row && toJob(row);
    },

    async files(id: string): Promise<ExportFile[]> {
      const rows = await db.all<{ name: string; kind: string; type: string; count: number; chunks: number }>(
        'SELECT name, kind, type, count, chunks FROM bulk_files WHERE job = ? ORDER BY kind DESC, name',
        [id],
      );
      return rows.map((r) => ({ name: r.name, kind: r.kind as ExportFile['kind'], type: r.type, count: Number(r.count), chunks: Number(r.chunks) }));
    },

    async file(id: string, name: string): Promise<ExportFile | undefined> {
      return (await this.files(id)).find((f) => f.name === name);
    },

    async chunk(id: string, file: string, n: number): Promise<Buffer | undefined> {
      return (await db.get<{ data: Buffer }>('SELECT data FROM bulk_chunks WHERE job = ? AND file = ? AND n = ?', [id, file, n]))?.data;
    },

    /** Deletes a job and everything it wrote (cancel, or after the client is done). */
    remove: (id: string) => db.transaction((tx) => removeIn(tx, id)),

    /** Claims the oldest job that is queued or whose lease ran out. */
    async claim(worker: string): Promise<ExportJob | undefined> {
      const at = now();
      const lock = db.dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
      const row = await db.transaction((tx) =>
        tx.get<{ id: string }>(
          "UPDATE bulk_jobs SET status = 'running', lease_owner = ?, lease_until = ? WHERE id = (" +
            "SELECT id FROM bulk_jobs WHERE status IN ('queued', 'running') AND lease_until < ? ORDER BY created_at LIMIT 1" +
            `${lock}) RETURNING id`,
          [worker, at + options.leaseMs, at],
        ),
      );
      return row ? this.get(row.id) : undefined;
    },

    /** Renews the lease and records progress; false when the job was cancelled or claimed by another worker. */
    async renew(id: string, worker: string, progress: number): Promise<boolean> {
      const n = await db.run("UPDATE bulk_jobs SET lease_until = ?, progress = ? WHERE id = ? AND lease_owner = ? AND status = 'running'", [
        now() + options.leaseMs,
        progress,
        id,
        worker,
      ]);
      return n > 0;
    },

    /** Gives a job back to the queue (this instance is shutting down). */
    async release(id: string, worker: string): Promise<void> {
      await db.run("UPDATE bulk_jobs SET status = 'queued', lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ? AND status = 'running'", [id, worker]);
    },

    /** Forgets any output of an earlier, interrupted run of the job. */
    async resetOutput(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.run('DELETE FROM bulk_chunks WHERE job = ?', [id]);
        await tx.run('DELETE FROM bulk_files WHERE job = ?', [id]);
      });
    },

    async writeChunk(id: string, file: string, n: number, data: Buffer): Promise<void> {
      await db.run('INSERT INTO bulk_chunks (job, file, n, data) VALUES (?, ?, ?, ?)', [id, file, n, data]);
    },

    /** Publishes the files and marks the job done, if this worker still holds it. */
    async complete(id: string, worker: string, files: readonly ExportFile[], progress: number): Promise<boolean> {
      return db.transaction(async (tx) => {
        const at = now();
        const n = await tx.run(
          "UPDATE bulk_jobs SET status = 'done', progress = ?, finished_at = ?, expires_at = ?, lease_owner = NULL WHERE id = ? AND lease_owner = ? AND status = 'running'",
          [progress, at, at + options.ttlMs, id, worker],
        );
        if (n === 0) return false;
        for (const f of files) {
          await tx.run('INSERT INTO bulk_files (job, name, kind, type, count, chunks) VALUES (?, ?, ?, ?, ?, ?)', [id, f.name, f.kind, f.type, f.count, f.chunks]);
        }
        return true;
      });
    },

    async fail(id: string, worker: string, message: string): Promise<void> {
      const at = now();
      await db.run("UPDATE bulk_jobs SET status = 'failed', error = ?, finished_at = ?, expires_at = ?, lease_owner = NULL WHERE id = ? AND lease_owner = ?", [
        message,
        at,
        at + options.ttlMs,
        id,
        worker,
      ]);
    },

    /** Deletes expired jobs with their output, and chunks a cancelled job's worker wrote after the cancel. */
    async sweep(): Promise<number> {
      const expired = await db.all<{ id: string }>('SELECT id FROM bulk_jobs WHERE expires_at < ?', [now()]);
      for (const { id } of expired) await db.transaction((tx) => removeIn(tx, id));
      await db.run('DELETE FROM bulk_chunks WHERE NOT EXISTS (SELECT 1 FROM bulk_jobs j WHERE j.id = bulk_chunks.job)');
      return expired.length;
    },

    /** Jobs of an owner, newest first (admin page, tests). */
    async listByOwner(owner: string, limit = 50): Promise<ExportJob[]> {
      const rows = await db.all<JobRow>('SELECT * FROM bulk_jobs WHERE owner = ? ORDER BY created_at DESC LIMIT ?', [owner, limit] as SqlValue[]);
      return rows.map(toJob);
    },
  };
}

export type JobStore = ReturnType<typeof jobStore>;

function toJob(r: JobRow): ExportJob {
  return {
    id: r.id,
    owner: r.owner,
    level: r.level as ExportJob['level'],
    requestUrl: r.request,
    types: r.types ? r.types.split(',') : undefined,
    since: r.since === null ? undefined : Number(r.since),
    transactionTime: Number(r.transaction_time),
    warnings: JSON.parse(r.warnings) as string[],
    status: r.status as JobStatus,
    progress: Number(r.progress),
    error: r.error ?? undefined,
    createdAt: Number(r.created_at),
    finishedAt: r.finished_at === null ? undefined : Number(r.finished_at),
    expiresAt: Number(r.expires_at),
  };
}
