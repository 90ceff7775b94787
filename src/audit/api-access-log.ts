import type { Db } from '../db/db.js';

/**
 * The API access log (SPEC: "Each API call made with a credential updates its last used
 * time and is written to an access log the patient can read"). Writes are buffered and
 * flushed in batches — one transaction per flush — so logging stays off the hot path;
 * `close()` flushes what is left, so nothing is lost on a clean shutdown.
 */
export interface ApiAccess {
  credentialId: string;
  patientId: string;
  /** Epoch ms. */
  at: number;
  /** e.g. read, vread, search-type, history-instance, operation, token. */
  interaction: string;
  resourceType?: string | null;
  /** Resources returned. */
  count: number;
  ip?: string | null;
}

export interface AccessLogOptions {
  /** Flush when this many entries are waiting (default 200). */
  batchSize?: number;
  /** Flush at least this often, in ms (default 250). 0 = flush on every record (tests). */
  flushIntervalMs?: number;
  onError?: (err: unknown) => void;
}

export function apiAccessLog(db: Db, options: AccessLogOptions = {}) {
  const batchSize = options.batchSize ?? 200;
  const interval = options.flushIntervalMs ?? 250;
  let pending: ApiAccess[] = [];
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  const write = async (batch: ApiAccess[]) => {
    const last = new Map<string, number>();
    for (const a of batch) last.set(a.credentialId, Math.max(last.get(a.credentialId) ?? 0, a.at));
    await db.transaction(async (tx) => {
      // Multi-row INSERTs: one statement per 100 entries instead of one per entry.
      for (let i = 0; i < batch.length; i += 100) {
        const chunk = batch.slice(i, i + 100);
        await tx.run(
          'INSERT INTO api_access_log (credential_id, patient_id, at, interaction, resource_type, resource_count, ip) VALUES ' +
            chunk.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', '),
          chunk.flatMap((a) => [a.credentialId, a.patientId, a.at, a.interaction.slice(0, 64), a.resourceType?.slice(0, 64) ?? null, a.count, a.ip?.slice(0, 64) ?? null]),
        );
      }
      for (const [id, at] of last) {
        // A SMART grant's id starts with g- (src/oauth/grants.ts); anything else is a credential.
        const table = id.startsWith('g-') ? 'oauth_grants' : 'api_credentials';
        await tx.run(`UPDATE ${table} SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, [at, id, at]);
      }
    });
  };

  const flush = (): Promise<void> => {
    if (timer) (clearTimeout(timer), (timer = undefined));
    if (!pending.length) return flushing;
    const batch = pending;
    pending = [];
    flushing = flushing.then(() => write(batch)).catch((err) => options.onError?.(err));
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

    async close(): Promise<void> {
      await flush();
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
}

const SELECT = 'SELECT seq, credential_id, patient_id, at, interaction, resource_type, resource_count, ip FROM api_access_log';

/** Rows leave this module only through this mapper. */
function toAccess(r: Row): ApiAccess & { seq: number } {
  return {
    seq: Number(r.seq), credentialId: r.credential_id, patientId: r.patient_id, at: Number(r.at), interaction: r.interaction,
    resourceType: r.resource_type, count: Number(r.resource_count), ip: r.ip,
  };
}
