import type { Db, Queryable } from '../../db/db.js';
import type { SearchRegistry } from '../search/types.js';
import { type Scope, scopePredicate, versionInScope } from '../scope.js';
import type { FhirStoreReader, StoreTx, StoredResource } from './types.js';
import { currentRows } from './current-rows.js';
import { IndexBuffer } from './write-index.js';
import { createWriter } from './writer.js';
import { WriteFootprint } from '../cache/write-footprint.js';

export type SearchIds = (q: Queryable, registry: SearchRegistry, type: string, params: Array<[string, string]>) => Promise<string[]>;

export interface FhirStore extends FhirStoreReader {
  readonly db: Db;
  readonly registry: SearchRegistry;
  /** Runs writes in one transaction: all of them are stored, or none. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * A counter that moves whenever a committed transaction changed FHIR data, on any
   * process or instance sharing the database. Read it before computing something to cache.
   */
  dataVersion(): Promise<number>;
  /**
   * The result cache's finer versions (migration 012) for `keys` (patient ids and
   * EVERY_PATIENT; absent rows are 0), and under '' the data version above: one statement.
   */
  cacheVersions(keys: readonly string[]): Promise<Map<string, number>>;
  /** The newest current (not deleted) resources of a type, newest first, unscoped: staff lists such as the admin's Groups. */
  latest(type: string, limit: number): Promise<StoredResource[]>;
}

export interface StoreOptions {
  /** Current time in epoch ms (tests freeze it). */
  now?: () => number;
  /** Conditional search inside a write transaction (the search engine's). */
  searchIds: SearchIds;
}

interface Row {
  seq: number;
  version: number;
  last_updated: number;
  deleted: number;
  content: string;
}

/**
 * Versioned FHIR storage. Every write stores the resource JSON as text with the
 * server-assigned meta.versionId and meta.lastUpdated, appends it to the history, and
 * replaces its index rows — all in the caller's transaction. Reads apply the scope
 * predicate inside the query, so an out-of-scope resource is indistinguishable from a
 * missing one.
 */
export function createStore(db: Db, registry: SearchRegistry, options: StoreOptions): FhirStore {
  const now = options.now ?? Date.now;

  const readRow = async (scope: Scope, type: string, id: string): Promise<Row | undefined> => {
    const s = scopePredicate(scope, 'r', type, db.dialect);
    return db.get<Row>(
      `SELECT r.seq, r.version, r.last_updated, r.deleted, r.content FROM resources r WHERE r.type = ? AND r.id = ? AND ${s.sql}`,
      [type, id, ...s.params],
    );
  };

  const read = async (scope: Scope, type: string, id: string): Promise<StoredResource | undefined> => {
    const row = await readRow(scope, type, id);
    return row && toStored(type, id, row);
  };

  // The current version lives in `resources`; `resource_history` holds the earlier ones.
  // Visibility is decided once, by the scoped read of the current row.
  const vread = async (scope: Scope, type: string, id: string, version: number): Promise<StoredResource | undefined> => {
    const current = await readRow(scope, type, id);
    if (!current) return undefined;
    if (current.version === version) return toStored(type, id, current);
    const row = await db.get<Row>(
      'SELECT res AS seq, version, last_updated, deleted, content FROM resource_history WHERE res = ? AND version = ?',
      [current.seq, version],
    );
    return row && versionVisible(scope, type, row) ? toStored(type, id, row) : undefined;
  };

  const history = async (scope: Scope, type: string, id: string): Promise<StoredResource[]> => {
    const current = await readRow(scope, type, id);
    if (!current) return [];
    const rows = await db.all<Row>(
      'SELECT res AS seq, version, last_updated, deleted, content FROM resource_history WHERE res = ? ORDER BY version DESC',
      [current.seq],
    );
    return [current, ...rows.filter((row) => versionVisible(scope, type, row))].map((row) => toStored(type, id, row));
  };

  // An earlier version may predate a move into this patient's compartment (see versionInScope).
  const versionVisible = (scope: Scope, type: string, row: Row) => versionInScope(scope, type, row.content, Boolean(row.deleted), registry);

  /** `footprint` records what each changed resource version can change for the result cache. */
  const txApi = (q: Queryable, index: IndexBuffer, footprint: WriteFootprint): StoreTx => {
    const writer = createWriter(q, registry, index, now, footprint);
    return {
      put: (resource) => writer.put(resource),
      putMany: (resources) => writer.putMany(resources),
      async delete(type, id) {
        await writer.delete(type, id);
      },
      async searchIds(type, params) {
        await index.flush(); // searches see this transaction's own writes
        return options.searchIds(q, registry, type, params);
      },

      async exists(type: string, id: string): Promise<boolean> {
        return (await q.get('SELECT 1 AS x FROM resources WHERE type = ? AND id = ? AND deleted = 0', [type, id])) !== undefined;
      },

      async current(type: string, id: string): Promise<StoredResource | undefined> {
        const lock = q.dialect === 'postgres' ? ' FOR UPDATE' : ''; // SQLite: one writer at a time anyway
        const row = await q.get<Row>(`SELECT seq, version, last_updated, deleted, content FROM resources WHERE type = ? AND id = ?${lock}`, [type, id]);
        return row && toStored(type, id, row);
      },

      async currentMany(keys) {
        const rows = await currentRows(q, keys);
        return new Map([...rows].map(([key, row]) => [key, toStored(row.type, row.id, row)]));
      },
    };
  };

  return {
    db,
    registry,
    read,
    vread,
    history,
    async latest(type, limit) {
      const rows = await db.all<Row & { id: string }>(
        'SELECT seq, id, version, last_updated, deleted, content FROM resources WHERE type = ? AND deleted = 0 ORDER BY seq DESC LIMIT ?',
        [type, limit],
      );
      return rows.map((row) => toStored(type, row.id, row));
    },
    transaction: (fn) =>
      db.transaction(async (q) => {
        const index = new IndexBuffer(q);
        const footprint = new WriteFootprint();
        const result = await fn(txApi(q, index, footprint));
        await index.flush();
        // Last statements before COMMIT: on PostgreSQL the row locks are held only briefly.
        await footprint.commit(q);
        return result;
      }),

    async dataVersion() {
      const row = await db.get<{ v: number }>('SELECT v FROM fhir_data_version WHERE id = 1');
      return Number(row?.v ?? 0);
    },

    async cacheVersions(keys) {
      // Padded to a power of two (repeating the last key): a handful of statement shapes.
      let n = 1;
      while (n < keys.length) n *= 2;
      const params = keys.length === 0 ? [''] : [...keys, ...Array(n - keys.length).fill(keys[keys.length - 1])];
      const rows = await db.all<{ k: string; v: number }>(
        `SELECT k, v FROM fhir_cache_versions WHERE k IN (${params.map(() => '?').join(', ')}) UNION ALL SELECT '' AS k, v FROM fhir_data_version WHERE id = 1`,
        params,
      );
      return new Map(rows.map((r) => [r.k, Number(r.v)]));
    },
  };
}

function toStored(type: string, id: string, row: Row): StoredResource {
  return { type, id, version: row.version, lastUpdated: row.last_updated, deleted: row.deleted === 1, json: row.content };
}
