import type { PutResult, Resource, StoreTx, StoredResource } from '../../src/fhir/store/types.js';
import { canonicalJson } from '../../src/importer/fhir-id.js';
import type { ImportStore } from '../../src/importer/index.js';

/**
 * An in-memory StoreTx for the importer's unit tests: versioned puts with the real
 * store's "unchanged content → no new version" rule, all-or-nothing transactions, and
 * searchIds for `identifier` (system|value or value) and `_id` only.
 */
export class MemoryStore implements ImportStore {
  resources = new Map<string, Resource>();
  versions = 0;

  async transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    const work = new Map(this.resources);
    let versions = this.versions;
    const tx: StoreTx = {
      async put(resource): Promise<PutResult> {
        if (!resource.id) throw new Error('id is required');
        const key = `${resource.resourceType}/${resource.id}`;
        const current = work.get(key);
        const clean = (r: Resource) => canonicalJson({ ...r, meta: undefined });
        if (current && clean(current) === clean(resource)) {
          return { type: resource.resourceType, id: resource.id, version: 1, changed: false, created: false };
        }
        work.set(key, structuredClone(resource));
        versions++;
        return { type: resource.resourceType, id: resource.id, version: 1, changed: true, created: !current };
      },
      async putMany(resources) {
        const results: PutResult[] = [];
        for (const r of resources) results.push(await tx.put(r));
        return results;
      },
      async delete(type, id) {
        if (work.delete(`${type}/${id}`)) versions++;
      },
      async exists(type, id) {
        return work.has(`${type}/${id}`);
      },
      async current(type, id) {
        const r = work.get(`${type}/${id}`);
        return r && { type, id, version: 1, lastUpdated: 0, deleted: false, json: JSON.stringify(r) };
      },
      async currentMany(keys) {
        const found = new Map<string, StoredResource>();
        for (const { type, id } of keys) {
          const s = await tx.current(type, id);
          if (s) found.set(`${type}/${id}`, s);
        }
        return found;
      },
      async searchIds(type, params) {
        const out: string[] = [];
        for (const r of work.values()) {
          if (r.resourceType === type && params.every(([name, value]) => matches(r, name, value))) out.push(r.id!);
        }
        return out;
      },
    };
    const result = await fn(tx);
    this.resources = work;
    this.versions = versions;
    return result;
  }

  get(type: string, id: string): Resource | undefined {
    return this.resources.get(`${type}/${id}`);
  }

  countByType(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.resources.values()) out[r.resourceType] = (out[r.resourceType] ?? 0) + 1;
    return out;
  }
}

function matches(r: Resource, name: string, value: string): boolean {
  if (name === '_id') return r.id === value;
  if (name !== 'identifier') throw new Error(`MemoryStore cannot search ${name}`);
  const ids = (r.identifier ?? []) as Array<{ system?: string; value?: string }>;
  const bar = value.indexOf('|');
  return ids.some((i) => (bar < 0 ? i.value === value : i.system === value.slice(0, bar) && i.value === value.slice(bar + 1)));
}
