import { type Db, findDbError } from '../db/db.js';
import { subjectKind, type SubjectKind } from '../auth/subject.js';

/**
 * The API access log (SPEC: "Each API call made with a credential updates its last used
 * time and is written to an access log the patient can read"). Writes are buffered and
 * flushed in batches — one transaction per flush — so logging stays off the hot path;
 * `close()` flushes what is left, so nothing is lost on a clean shutdown. A batch that
 * fails because the database is unreachable (or full, or busy) is kept and written again,
 * in order, once it answers (retries back off up to 30 s), so an outage loses nothing.
 */
export interface ApiAccess {
  /** The subject: a generated credential's id or a SMART grant's. */
  credentialId: string;
  /** What credentialId names (the principal's subjectKind); absent: read from the id (src/auth/subject.ts). */
  subjectKind?: SubjectKind;
  patientId: string;
  /** Epoch ms. */
  at: number;
  /** e.g. read, vread, search-type, history-instance, operation, token. */
  interaction: string;
  resourceType?: string | null;
  /** Resources returned. */
  count: number;
  ip?: string | null;
  /** The HTTP status answered (absent for entries logged before it was recorded). */
  status?: number | null;
}

export interface AccessLogOptions {
  /** Flush when this many entries are waiting (default 200). */
  batchSize?: number;
  /** Flush at least this often, in ms (default 250). 0 = flush on every record (tests). */
  flushIntervalMs?: number;
  onError?: (err: unknown) => void;
  /** First retry delay after a failed flush, in ms (default 1,000; doubles up to 30 s). */
  retryMs?: number;
  /** Entries kept while the database is away (default 100,000); past it the oldest go, reported through onError. */
  maxPending?: number;
}

/** What an entry's subject is: as the caller said, else as its id says. */
export function accessSubjectKind(a: ApiAccess): SubjectKind {
  return a.subjectKind ?? subjectKind(a.credentialId);
}

/** Access-log rows deleted per statement by a retention purge. */
const PURGE_BATCH = 5000;

/** Failures worth retrying: the database will answer again. Anything else would fail forever. */
const TRANSIENT = new Set(['unavailable', 'storage_full', 'serialization_failure']);

export function apiAccessLog(db: Db, options: AccessLogOptions = {}) {
  const batchSize = options.batchSize ?? 200;
  const interval = options.flushIntervalMs ?? 250;
  let pending: ApiAccess[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  const retryMs = options.retryMs ?? 1000;
  const maxPending = options.maxPending ?? 100_000;
  let failures = 0;
  let closing = false;
  const written = new Set<(batch: ApiAccess[]) => Promise<void>>();

  const write = async (batch: ApiAccess[]) => {
    const last = new Map<string, { at: number; kind: SubjectKind }>();
    for (const a of batch) last.set(a.credentialId, { at: Math.max(last.get(a.credentialId)?.at ?? 0, a.at), kind: accessSubjectKind(a) });
    await db.transaction(async (tx) => {
      // Multi-row INSERTs: one statement per 100 entries instead of one per entry.
      for (let i = 0; i < batch.length; i += 100) {
        const chunk = batch.slice(i, i + 100);
        await tx.run(
          'INSERT INTO api_access_log (credential_id, patient_id, at, interaction, resource_type, resource_count, ip, status) VALUES ' +
            chunk.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
          chunk.flatMap((a) => [
            a.credentialId, a.patientId, a.at, a.interaction.slice(0, 64), a.resourceType?.slice(0, 64) ?? null, a.count, a.ip?.slice(0, 64) ?? null, a.status ?? null,
          ]),
        );
      }
      for (const [id, { at, kind }] of last) {
        // A SMART grant's tokens move the grant's last use: the FHIR API Access list shows it.
        const table = kind === 'grant' ? 'oauth_grants' : 'api_credentials';
        await tx.run(`UPDATE ${table} SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, [at, id, at]);
      }
    });
    for (const listener of written) await listener(batch);
  };

  const flush = (): Promise<void> => {
    if (timer) (clearTimeout(timer), (timer = undefined));
    if (!pending.length) return flushing;
    const batch = pending;
    pending = [];
    flushing = flushing.then(() => write(batch)).then(
      () => void (failures = 0),
      (err) => {
        options.onError?.(err);
        if (!TRANSIENT.has(findDbError(err)?.code ?? '')) return;
        // Back in front of what arrived meanwhile, so the log keeps its order.
        pending = batch.concat(pending);
        if (pending.length > maxPending) {
          const dropped = pending.length - maxPending;
          pending = pending.slice(dropped);
          options.onError?.(new Error(`API access log: ${dropped} oldest entries dropped (over ${maxPending} waiting for the database)`));
        }
        failures++;
        if (!closing) {
          // The retry replaces a pending interval timer (which may be much later).
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => void flush(), Math.min(retryMs * 2 ** (failures - 1), 30_000));
          timer.unref();
        }
      },
    );
    return flushing;
  };

  return {
    /** Queues one or more accesses; they reach the database within flushIntervalMs. Also updates last used. */
    recordApiAccess(entry: ApiAccess | ApiAccess[]): void {
      pending.push(...(Array.isArray(entry) ? entry : [entry]));
      if (interval === 0 || pending.length >= batchSize) void flush();
      else timer ??= setTimeout(() => void flush(), interval);
    },

    flush,

    /** Called after each batch is stored (off the request path): first-use and new-network notices. */
    onWritten(listener: (batch: ApiAccess[]) => Promise<void>): () => void {
      written.add(listener);
      return () => written.delete(listener);
    },

    /** One credential's (or grant's) calls, newest first, paged by seq (activity page and CSV). */
    async forCredential(credentialId: string, page: { before?: number; limit?: number } = {}): Promise<{ entries: Array<ApiAccess & { seq: number }>; more: boolean }> {
      const limit = Math.min(Math.max(page.limit ?? 50, 1), 100_000);
      const rows = await db.all<Row>(
        `${SELECT} WHERE credential_id = ?${page.before ? ' AND seq < ?' : ''} ORDER BY seq DESC LIMIT ?`,
        page.before ? [credentialId, page.before, limit + 1] : [credentialId, limit + 1],
      );
      return { entries: rows.slice(0, limit).map(toAccess), more: rows.length > limit };
    },

    /** The most recent accesses of one credential (newest first). */
    async recent(credentialId: string, limit = 10): Promise<ApiAccess[]> {
      return db.all<Row>(`${SELECT} WHERE credential_id = ? ORDER BY at DESC, seq DESC LIMIT ?`, [credentialId, limit]).then((rows) => rows.map(toAccess));
    },

    /** The most recent accesses across a patient's credentials (staff patient page). */
    async recentForPatient(patientId: string, limit = 50): Promise<ApiAccess[]> {
      return db.all<Row>(`${SELECT} WHERE patient_id = ? ORDER BY at DESC, seq DESC LIMIT ?`, [patientId, limit]).then((rows) => rows.map(toAccess));
    },

    /** Newest first, optionally for one patient; `before` (a seq) pages back (staff audit trail). */
    async list(filter: { patientId?: string; before?: number; limit?: number } = {}): Promise<{ entries: Array<ApiAccess & { seq: number }>; more: boolean }> {
      const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
      const where: string[] = [];
      const params: Array<string | number> = [];
      if (filter.patientId) (where.push('patient_id = ?'), params.push(filter.patientId));
      if (filter.before) (where.push('seq < ?'), params.push(filter.before));
      const rows = await db.all<Row>(`${SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`, [...params, limit + 1]);
      return { entries: rows.slice(0, limit).map(toAccess), more: rows.length > limit };
    },

    /**
     * Deletes the entries logged before `cutoff` (epoch ms; the practice's retention), oldest
     * first, `batch` rows per statement, and returns how many went. Each batch is a short
     * write of its own found through `api_access_log_at` (migration 017): a practice that
     * shortens its retention on a log of millions of rows holds the database, and on SQLite
     * the JavaScript thread, for one batch at a time, not for the whole purge; requests
     * run between batches.
     */
    async purgeOlderThan(cutoff: number, batch = PURGE_BATCH): Promise<number> {
      let purged = 0;
      for (;;) {
        const n = await db.run(
          'DELETE FROM api_access_log WHERE seq IN (SELECT seq FROM api_access_log WHERE at < ? ORDER BY at LIMIT ?)',
          [cutoff, batch],
        );
        purged += n;
        if (n < batch) return purged;
        await new Promise((resolve) => setImmediate(resolve));
      }
    },

    /** Entries not yet in the database (waiting for a flush or for the database). */
    pendingCount(): number {
      return pending.length;
    },

    /** Flushes what is left, retrying for up to `deadlineMs` while the database is away. */
    async close(deadlineMs = 5000): Promise<void> {
      closing = true;
      const until = Date.now() + deadlineMs;
      await flush();
      while (pending.length && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 200));
        await flush();
      }
      if (timer) (clearTimeout(timer), (timer = undefined));
      if (pending.length) options.onError?.(new Error(`API access log: ${pending.length} entries could not be written before shutdown`));
    },
  };
}

export type ApiAccessLog = ReturnType<typeof apiAccessLog>;

interface Row {
  seq: number;
  credential_id: string;
  patient_id: string;
  at: number;
  interaction: string;
  resource_type: string | null;
  resource_count: number;
  ip: string | null;
  status: number | null;
}

const SELECT = 'SELECT seq, credential_id, patient_id, at, interaction, resource_type, resource_count, ip, status FROM api_access_log';

/** Rows leave this module only through this mapper. */
function toAccess(r: Row): ApiAccess & { seq: number } {
  return {
    seq: Number(r.seq), credentialId: r.credential_id, patientId: r.patient_id, at: Number(r.at), interaction: r.interaction,
    resourceType: r.resource_type, count: Number(r.resource_count), ip: r.ip, status: r.status == null ? null : Number(r.status),
  };
}
