import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Db } from '../../src/db/db.js';
import { loadRegistry } from '../../src/fhir/search/registry.js';
import { searchIds } from '../../src/fhir/search/search-ids.js';
import type { SearchRegistry } from '../../src/fhir/search/types.js';
import { createStore, type FhirStore } from '../../src/fhir/store/store.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

/** The shared sample data (SPEC: ../shared/data/), or undefined with a printed notice. */
export const SAMPLE_DATA = ((): string | undefined => {
  const dir = process.env.CHARTKEY_SAMPLE_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');
  if (existsSync(join(dir, 'synthea'))) return dir;
  console.warn(`NOTICE: sample data not found at ${dir}; importer acceptance tests are skipped.`);
  return undefined;
})();

let registry: SearchRegistry | undefined;

export interface StoreDb extends TestDb {
  store: FhirStore;
}

/** A fresh migrated database of `kind` with the real store on it. */
export async function openStore(kind: 'sqlite' | 'postgres'): Promise<StoreDb> {
  const t = await createTestDb(kind);
  registry ??= loadRegistry();
  return { ...t, store: createStore(t.db, registry, { searchIds }) };
}

export async function storedCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.all<{ type: string; n: number | string }>('SELECT type, COUNT(*) AS n FROM resources WHERE deleted = 0 GROUP BY type');
  return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]).sort());
}

export async function count(db: Db, sql: string, params: string[] = []): Promise<number> {
  const row = await db.get<{ n: number | string }>(sql, params);
  return Number(row?.n ?? 0);
}

type Json = Record<string, any>;

export function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

/** Files of a folder (not recursive), sorted by name. */
export function filesIn(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
}

/**
 * What the files should leave in the store, computed by walking them independently of
 * the importer: distinct Type/id per resource type, where the id is that of a PUT url,
 * else resource.id, else the uuid of the fullUrl.
 */
export function expectedCounts(files: readonly string[]): Record<string, number> {
  const keys = new Set<string>();
  for (const file of files) {
    const json = readJson(file);
    const entries: Json[] = json.resourceType === 'Bundle' ? json.entry : [{ resource: json }];
    for (const e of entries) {
      const putId = e.request?.method === 'PUT' ? String(e.request.url).split('/')[1] : undefined;
      const id = putId ?? e.resource.id ?? String(e.fullUrl).replace(/^urn:uuid:/, '');
      keys.add(`${e.resource.resourceType}/${id}`);
    }
  }
  const out: Record<string, number> = {};
  for (const key of keys) {
    const type = key.split('/')[0];
    out[type] = (out[type] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort());
}
