import type { Db, Queryable } from '../../db/db.js';
import { indexResource } from '../search/indexer.js';
import type { SearchRegistry } from '../search/types.js';
import { type Scope, scopePredicate, versionInScope } from '../scope.js';
import type { FhirStoreReader, PutResult, Resource, StoreTx, StoredResource } from './types.js';
import { assertStorable } from './validate.js';
import { IndexBuffer, deleteIndex, deleteSearchRows } from './write-index.js';

export type SearchIds = (q: Queryable, registry: SearchRegistry, type: string, params: Array<[string, string]>) => Promise<string[]>;

export interface FhirStore extends FhirStoreReader {
  readonly db: Db;
  readonly registry: SearchRegistry;
  /** Runs writes in one transaction: all of them are stored, or none. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
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
    const s = scopePredicate(scope, 'r');
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

  const txApi = (q: Queryable, index: IndexBuffer): StoreTx => ({
    async put(resource: Resource): Promise<PutResult> {
      assertStorable(resource, registry);
      const { resourceType: type, id } = resource;
      const current = await q.get<Row>('SELECT seq, version, last_updated, deleted, content FROM resources WHERE type = ? AND id = ?', [type, id]);
      if (current && !current.deleted && sameContent(JSON.parse(current.content) as Resource, resource)) {
        return { type, id, version: current.version, changed: false, created: false };
      }
      const version = current ? current.version + 1 : 1;
      // lastUpdated never goes backwards for a resource, even if the clock does.
      const lastUpdated = Math.max(now(), current ? current.last_updated + 1 : 0);
      const stored = withMeta(resource, version, lastUpdated);
      const json = JSON.stringify(stored);
      const rows = indexResource(stored, registry);
      let seq: number;
      if (current) {
        seq = current.seq;
        await archive(q, seq);
        await q.run('UPDATE resources SET version = ?, last_updated = ?, deleted = 0, content = ? WHERE seq = ?', [version, lastUpdated, json, seq]);
        await index.flush(); // rows of this resource may still be queued from earlier in the transaction
        await deleteIndex(q, seq);
      } else {
        const inserted = await q.get<{ seq: number }>(
          'INSERT INTO resources (type, id, version, last_updated, deleted, content) VALUES (?, ?, ?, ?, 0, ?) RETURNING seq',
          [type, id, version, lastUpdated, json],
        );
        seq = inserted!.seq;
      }
      await index.add(seq, type, rows);
      return { type, id, version, changed: true, created: !current || current.deleted === 1 };
    },

    async delete(type: string, id: string): Promise<void> {
      const current = await q.get<Row>('SELECT seq, version, last_updated, deleted, content FROM resources WHERE type = ? AND id = ?', [type, id]);
      if (!current || current.deleted) return;
      const version = current.version + 1;
      const lastUpdated = Math.max(now(), current.last_updated + 1);
      const json = JSON.stringify(withMeta({ resourceType: type, id }, version, lastUpdated));
      await archive(q, current.seq);
      await q.run('UPDATE resources SET version = ?, last_updated = ?, deleted = 1, content = ? WHERE seq = ?', [version, lastUpdated, json, current.seq]);
      await index.flush();
      await deleteSearchRows(q, current.seq);
    },

    async searchIds(type, params) {
      await index.flush(); // searches see this transaction's own writes
      return options.searchIds(q, registry, type, params);
    },

    async exists(type: string, id: string): Promise<boolean> {
      return (await q.get('SELECT 1 AS x FROM resources WHERE type = ? AND id = ? AND deleted = 0', [type, id])) !== undefined;
    },
  });

  return {
    db,
    registry,
    read,
    vread,
    history,
    transaction: (fn) =>
      db.transaction(async (q) => {
        const index = new IndexBuffer(q);
        const result = await fn(txApi(q, index));
        await index.flush();
        return result;
      }),
  };
}

function toStored(type: string, id: string, row: Row): StoredResource {
  return { type, id, version: row.version, lastUpdated: row.last_updated, deleted: row.deleted === 1, json: row.content };
}

/** Copies the current version of a resource into the history, inside the database. */
function archive(q: Queryable, seq: number): Promise<number> {
  return q.run('INSERT INTO resource_history (res, version, last_updated, deleted, content) SELECT seq, version, last_updated, deleted, content FROM resources WHERE seq = ?', [seq]);
}

/** The resource as stored and served: resourceType, id and meta first, then the rest as given. */
function withMeta(resource: Resource, version: number, lastUpdated: number): Resource {
  const { resourceType, id, meta, ...rest } = resource;
  const m = { ...(meta ?? {}), versionId: String(version), lastUpdated: new Date(lastUpdated).toISOString() };
  return { resourceType, id, meta: m, ...rest };
}

/** Equal apart from the server-managed meta.versionId and meta.lastUpdated. */
function sameContent(a: Resource, b: Resource): boolean {
  return canonical(a) === canonical(b);
}

function canonical(resource: Resource): string {
  const { meta, ...rest } = resource;
  const m = { ...(meta ?? {}) };
  delete m.versionId;
  delete m.lastUpdated;
  return JSON.stringify(sortKeys({ ...rest, meta: Object.keys(m).length ? m : undefined }));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
