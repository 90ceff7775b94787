import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open.js';
import { migrate } from '../../src/db/migrate.js';
import { importFiles } from '../../src/importer/index.js';
import { loadRegistry } from '../../src/fhir/search/registry.js';
import { searchIds } from '../../src/fhir/search/search-ids.js';
import { createStore } from '../../src/fhir/store/store.js';
import { spawnChartkey } from '../helpers/child.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';

/**
 * Issue 13, crashes: `kill -9` during `chartkey import` leaves each bundle in the store
 * whole or not at all, and the same import run again completes. The expected contents
 * come from the bundle files themselves and from a clean import of the same files into a
 * fresh database.
 */
const dir = mkdtempSync(join(tmpdir(), 'chartkey-crash-'));
const bundles = join(dir, 'bundles');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface BundleFile {
  file: string;
  keys: string[];
}
let files: BundleFile[] = [];
let total = 0;

beforeAll(async () => {
  const gen = spawnChartkey(['generate', '--patients', '12', '--seed', '13', '--out', bundles], {});
  expect(await gen.exited, gen.stderr()).toBe(0);
  files = readdirSync(bundles).sort().map((name) => {
    const bundle = JSON.parse(readFileSync(join(bundles, name), 'utf8')) as { entry: Array<{ resource: { resourceType: string; id: string } }> };
    return { file: name, keys: bundle.entry.map((e) => `${e.resource.resourceType}/${e.resource.id}`) };
  });
  total = new Set(files.flatMap((f) => f.keys)).size;
});

async function storedKeys(db: Db): Promise<Set<string>> {
  return new Set((await db.all<{ type: string; id: string }>('SELECT type, id FROM resources')).map((r) => `${r.type}/${r.id}`));
}

/** Resources without meta.lastUpdated, plus the number of rows of every index table: what a clean import also produces. */
async function fingerprint(db: Db) {
  const resources = (await db.all<{ type: string; id: string; version: number; content: string }>('SELECT type, id, version, content FROM resources ORDER BY type, id')).map((r) => {
    const json = JSON.parse(r.content) as { meta?: { lastUpdated?: string } };
    delete json.meta?.lastUpdated;
    return `${r.type}/${r.id}/${r.version}:${JSON.stringify(json)}`;
  });
  const counts: Record<string, number> = {};
  for (const t of ['idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri', 'compartment', 'refs', 'resource_history']) {
    counts[t] = Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${t}`))!.n);
  }
  return { resources, counts };
}

for (const kind of await backends()) {
  describe(`kill -9 during chartkey import (${kind})`, () => {
    let url: string;
    let testDb: TestDb | undefined;
    let db: Db;
    let atKill = 0;

    beforeAll(async () => {
      if (kind === 'sqlite') {
        url = `sqlite:${join(dir, 'crash.sqlite')}`;
        db = openDb(url);
        await migrate(db);
      } else {
        testDb = await createTestDb('postgres');
        url = testDb.url;
        db = testDb.db;
      }
    });
    afterAll(async () => {
      if (testDb) await testDb.drop();
      else await db?.close();
    });

    it('is killed part-way through the import', async () => {
      const child = spawnChartkey(['import', bundles], { DATABASE_URL: url });
      // Kill as soon as something is committed, long before all of it is.
      for (;;) {
        const n = Number((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM resources'))!.n);
        if (n > 0) break;
        if (child.proc.exitCode !== null) throw new Error(`import ended before it could be killed: ${child.stderr()}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      child.proc.kill('SIGKILL');
      expect(await child.exited).toBe('SIGKILL');
      atKill = (await storedKeys(db)).size;
      expect(atKill).toBeGreaterThan(0);
      expect(atKill).toBeLessThan(total);
    });

    it('each bundle is in the store whole or not at all', async () => {
      const stored = await storedKeys(db);
      const whole: string[] = [];
      for (const f of files) {
        const present = f.keys.filter((k) => stored.has(k)).length;
        expect([0, f.keys.length], `${f.file}: ${present} of ${f.keys.length} resources stored`).toContain(present);
        if (present) whole.push(f.file);
      }
      expect(whole.length).toBeGreaterThan(0);
      expect(whole.length).toBeLessThan(files.length);
      // Nothing stored that no bundle holds.
      const all = new Set(files.flatMap((f) => f.keys));
      expect([...stored].filter((k) => !all.has(k))).toEqual([]);
    });

    it.runIf(kind === 'sqlite')('the SQLite file passes PRAGMA integrity_check', () => {
      const check = new Database(join(dir, 'crash.sqlite'), { readonly: true });
      try {
        expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        check.close();
      }
    });

    it('running the same import again completes with the full data, equal to a clean import', { timeout: 240_000 }, async () => {
      const child = spawnChartkey(['import', bundles], { DATABASE_URL: url });
      expect(await child.exited, child.stderr()).toBe(0);
      expect(child.stdout()).toContain(`Imported ${files.length} of ${files.length} file(s)`);
      expect((await storedKeys(db)).size).toBe(total);

      const clean = await createTestDb(kind);
      try {
        const store = createStore(clean.db, loadRegistry(), { searchIds });
        const result = await importFiles(store, [bundles]);
        expect(result.failures).toEqual([]);
        expect(await fingerprint(db)).toEqual(await fingerprint(clean.db));
      } finally {
        await clean.drop();
      }
    });
  });
}
