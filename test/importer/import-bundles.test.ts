import { afterAll, describe, expect, it } from 'vitest';
import { generatePatients, generateProviders } from '../../src/generate/index.js';
import { ImportError, importBundle, importBundles } from '../../src/importer/index.js';
import { backends } from '../helpers/db.js';
import { count, openStore, storedCounts, type StoreDb } from './real-store.js';

const kinds = await backends();
const open: StoreDb[] = [];
afterAll(async () => {
  for (const s of open) await s.drop();
});

/** A new store holding the providers that the patients of `seed` reference. */
async function fresh(kind: 'sqlite' | 'postgres', seed: number): Promise<StoreDb> {
  const s = await openStore(kind);
  open.push(s);
  await importBundle(s.store, generateProviders(seed));
  return s;
}

/** Everything a search or a read could see: the rows of every table the store writes, in a stable order. */
async function snapshot(s: StoreDb): Promise<string[]> {
  const out: string[] = [];
  const rows = await s.db.all<{ type: string; id: string; version: number; content: string }>(
    'SELECT type, id, version, content FROM resources ORDER BY type, id',
  );
  for (const r of rows) out.push(`${r.type}/${r.id} v${r.version} ${r.content.replace(/"lastUpdated":"[^"]*"/, '')}`);
  for (const table of ['idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri', 'refs', 'compartment']) {
    const cols = (await s.db.all<Record<string, unknown>>(`SELECT * FROM ${table} x JOIN resources r ON r.seq = x.res ORDER BY 1`)).map((row) => {
      const { res: _res, seq: _seq, content: _c, last_updated: _l, version: _v, deleted: _d, ...rest } = row;
      return `${table} ${JSON.stringify(rest)}`;
    });
    out.push(...cols.sort());
  }
  return out;
}

describe.each(kinds)('importBundles (%s)', (kind) => {
  it('stores exactly what one importBundle per bundle stores, several bundles per transaction', async () => {
    const bundles = [...generatePatients({ count: 5, seed: 11 })];
    const one = await fresh(kind, 11);
    for (const b of bundles) await importBundle(one.store, b);
    const batched = await fresh(kind, 11);
    const commits: number[] = [];
    const totals = await importBundles(batched.store, bundles, { resourcesPerTransaction: 400, onCommit: (p) => commits.push(p.bundles) });
    const entries = bundles.reduce((n, b) => n + b.entry.length, 0);
    expect(totals).toMatchObject({ resources: entries, created: entries, updated: 0 });
    expect(commits.length).toBeGreaterThan(1);
    expect(commits.length).toBeLessThan(bundles.length);
    expect(commits.at(-1)).toBe(bundles.length);
    const expected = await snapshot(one);
    expect(expected.length).toBeGreaterThan(entries * 5);
    expect(await snapshot(batched)).toEqual(expected);
  });

  it('re-importing the same bundles writes nothing new', async () => {
    const s = await fresh(kind, 12);
    const bundles = [...generatePatients({ count: 2, seed: 12 })];
    await importBundles(s.store, bundles);
    const again = await importBundles(s.store, bundles);
    expect(again.created + again.updated).toBe(0);
    expect(again.unchanged).toBe(again.resources);
  });

  it('an error rolls back its whole batch, names the bundle, and keeps the earlier batches', async () => {
    const s = await fresh(kind, 13);
    const [a, b, c] = [...generatePatients({ count: 3, seed: 13 })];
    const broken = { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { resourceType: 'Patient', id: 'bad id!' }, request: { method: 'PUT', url: 'Patient/bad id!' } }] };
    const before = await storedCounts(s.db);
    const err = await importBundles(s.store, [a, b, c, broken], {
      resourcesPerTransaction: a.entry.length + b.entry.length,
      source: (i) => `patient ${i}`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).message).toContain('patient 3');
    // a and b were one batch (committed); c and the broken bundle the next (rolled back).
    expect(await count(s.db, "SELECT COUNT(*) AS n FROM resources WHERE type = 'Patient'")).toBe((before.Patient ?? 0) + 2);
    const ids = (await s.db.all<{ id: string }>("SELECT id FROM resources WHERE type = 'Patient'")).map((r) => r.id);
    expect(ids).toEqual(expect.arrayContaining([a.entry[0].resource.id, b.entry[0].resource.id]));
    expect(ids).not.toContain(c.entry[0].resource.id);
    expect(await count(s.db, 'SELECT COUNT(*) AS n FROM compartment WHERE patient = ?', [c.entry[0].resource.id])).toBe(0);
  });
});
