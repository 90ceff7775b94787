import type { Queryable } from '../../db/db.js';
import { canonicalJson, withoutServerMeta } from '../canonical-json.js';
import { indexResource } from '../search/indexer.js';
import { sensitivityOf } from '../sensitivity.js';
import type { SearchRegistry } from '../search/types.js';
import type { WriteFootprint } from '../cache/write-footprint.js';
import type { PutResult, Resource } from './types.js';
import { type CurrentRow, currentRows } from './current-rows.js';
import { assertStorable } from './validate.js';
import { type IndexBuffer, deleteIndex, deleteSearchRows } from './write-index.js';

/** Rows looked up or inserted per statement: well under both drivers' parameter limits. */
const CHUNK = 200;

/**
 * Versioned writes inside one transaction. `putMany` looks the current versions up and
 * inserts new resources a chunk at a time, so a bundle costs a few statements per
 * hundred resources rather than several per resource — what makes import fast on
 * PostgreSQL, where every statement is a round trip.
 */
export function createWriter(q: Queryable, registry: SearchRegistry, index: IndexBuffer, now: () => number, footprint: WriteFootprint) {
  const putMany = async (resources: readonly Resource[]): Promise<PutResult[]> => {
    for (const r of resources) assertStorable(r, registry);
    const results: PutResult[] = [];
    // A resource written twice in one call: the second write must see the first.
    let start = 0;
    while (start < resources.length) {
      const seen = new Set<string>();
      let end = start;
      while (end < resources.length && end - start < CHUNK) {
        const key = `${resources[end].resourceType}/${resources[end].id}`;
        if (seen.has(key)) break;
        seen.add(key);
        end++;
      }
      results.push(...(await putChunk(resources.slice(start, end) as Array<Resource & { id: string }>)));
      start = end;
    }
    return results;
  };

  const putChunk = async (chunk: Array<Resource & { id: string }>): Promise<PutResult[]> => {
    const current = await currentRows(q, chunk.map((r) => ({ type: r.resourceType, id: r.id })));
    const compartmentsBefore = await compartmentsOf([...current.values()].map((r) => r.seq));
    const results: PutResult[] = new Array(chunk.length);
    const inserts: Array<{ i: number; json: string; stored: Resource; lastUpdated: number }> = [];
    for (const [i, resource] of chunk.entries()) {
      const { resourceType: type, id } = resource;
      const cur = current.get(`${type}/${id}`);
      if (cur && !cur.deleted && sameContent(JSON.parse(cur.content) as Resource, resource)) {
        results[i] = { type, id, version: cur.version, changed: false, created: false };
        continue;
      }
      const version = cur ? cur.version + 1 : 1;
      // lastUpdated never goes backwards for a resource, even if the clock does.
      const lastUpdated = Math.max(now(), cur ? cur.last_updated + 1 : 0);
      const stored = withMeta(resource, version, lastUpdated);
      const json = JSON.stringify(stored);
      results[i] = { type, id, version, changed: true, created: !cur || cur.deleted === 1 };
      if (!cur) {
        inserts.push({ i, json, stored, lastUpdated });
        continue;
      }
      await archive(q, cur.seq);
      await q.run('UPDATE resources SET version = ?, last_updated = ?, deleted = 0, content = ?, sensitivity = ? WHERE seq = ?', [version, lastUpdated, json, sensitivityOf(stored), cur.seq]);
      await index.flush(); // rows of this resource may still be queued from earlier in the transaction
      await deleteIndex(q, cur.seq);
      const rows = indexResource(stored, registry);
      footprint.note(type, id, compartmentsBefore.get(cur.seq) ?? [], rows.compartments);
      await index.add(cur.seq, type, rows);
    }
    if (inserts.length > 0) {
      const sql =
        'INSERT INTO resources (type, id, version, last_updated, deleted, content, sensitivity) VALUES ' +
        inserts.map(() => '(?, ?, 1, ?, 0, ?, ?)').join(', ') +
        ' RETURNING seq, type, id';
      const rows = await q.all<{ seq: number; type: string; id: string }>(
        sql,
        inserts.flatMap(({ i, json, stored, lastUpdated }) => [chunk[i].resourceType, chunk[i].id, lastUpdated, json, sensitivityOf(stored)]),
      );
      const seqOf = new Map(rows.map((r) => [`${r.type}/${r.id}`, r.seq]));
      for (const { i, stored } of inserts) {
        const rows = indexResource(stored, registry);
        footprint.note(chunk[i].resourceType, chunk[i].id, [], rows.compartments);
        await index.add(seqOf.get(`${chunk[i].resourceType}/${chunk[i].id}`)!, chunk[i].resourceType, rows);
      }
    }
    return results;
  };

  // Compartments of stored resources as the compartment table has them (for the cache's versions).
  // Rows of a resource updated earlier in this transaction may still be queued: flushed first.
  const compartmentsOf = async (seqs: number[]): Promise<Map<number, string[]>> => {
    const out = new Map<number, string[]>();
    if (seqs.length === 0) return out;
    await index.flush();
    const rows = await q.all<{ res: number; patient: string }>(
      `SELECT res, patient FROM compartment WHERE res ${seqs.length === 1 ? '= ?' : `IN (${seqs.map(() => '?').join(', ')})`}`,
      seqs,
    );
    for (const r of rows) {
      const seq = Number(r.res);
      let list = out.get(seq);
      if (!list) out.set(seq, (list = []));
      list.push(r.patient);
    }
    return out;
  };

  return {
    putMany,

    async put(resource: Resource): Promise<PutResult> {
      return (await putMany([resource]))[0];
    },

    /** Whether there was a live resource to delete. */
    async delete(type: string, id: string): Promise<boolean> {
      const cur = await q.get<CurrentRow>('SELECT seq, type, id, version, last_updated, deleted, content FROM resources WHERE type = ? AND id = ?', [type, id]);
      if (!cur || cur.deleted) return false;
      const version = cur.version + 1;
      const lastUpdated = Math.max(now(), cur.last_updated + 1);
      const json = JSON.stringify(withMeta({ resourceType: type, id }, version, lastUpdated));
      // A deleted resource keeps its compartment rows (its history stays in scope).
      const compartments = (await compartmentsOf([cur.seq])).get(cur.seq) ?? [];
      footprint.note(type, id, compartments, compartments);
      await archive(q, cur.seq);
      // A deletion marker carries no content, so no label: its history stays visible as before.
      await q.run('UPDATE resources SET version = ?, last_updated = ?, deleted = 1, content = ?, sensitivity = 0 WHERE seq = ?', [version, lastUpdated, json, cur.seq]);
      await index.flush();
      await deleteSearchRows(q, cur.seq);
      return true;
    },
  };
}

/** Copies the current version of a resource into the history, inside the database. */
function archive(q: Queryable, seq: number): Promise<number> {
  return q.run(
    'INSERT INTO resource_history (res, version, last_updated, deleted, content) SELECT seq, version, last_updated, deleted, content FROM resources WHERE seq = ?',
    [seq],
  );
}

/** The resource as stored and served: resourceType, id and meta first, then the rest as given. */
function withMeta(resource: Resource, version: number, lastUpdated: number): Resource {
  const { resourceType, id, meta, ...rest } = resource;
  const m = { ...(meta ?? {}), versionId: String(version), lastUpdated: new Date(lastUpdated).toISOString() };
  return { resourceType, id, meta: m, ...rest };
}

/** Equal apart from the server-managed meta.versionId and meta.lastUpdated. */
function sameContent(a: Resource, b: Resource): boolean {
  return canonicalJson(withoutServerMeta(a)) === canonicalJson(withoutServerMeta(b));
}
