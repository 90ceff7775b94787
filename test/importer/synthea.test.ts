import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL } from '../../src/fhir/scope.js';
import { importFiles } from '../../src/importer/index.js';
import { backends } from '../helpers/db.js';
import { count, expectedCounts, filesIn, openStore, readJson, SAMPLE_DATA, storedCounts, type StoreDb } from './real-store.js';

/**
 * Acceptance: the real Synthea files (../shared/data/synthea, README "Load order") into
 * the real store, on SQLite and PostgreSQL.
 */
const kinds = SAMPLE_DATA ? await backends() : [];
const dir = SAMPLE_DATA ? join(SAMPLE_DATA, 'synthea') : '';
const all = SAMPLE_DATA ? filesIn(dir) : [];
const isProviders = (f: string) => /^(hospital|practitioner)Information/.test(basename(f));
const is2025Patient = (f: string) => !isProviders(f) && readJson(f).entry.some((e: any) => e.request?.ifNoneExist === undefined && JSON.stringify(e.resource).includes('?identifier='));
// README "Load order": providers, then the 2025 patients, then the self-contained v2.4.0/v3.0.0 bundles.
const documented = [...all.filter(isProviders).sort().reverse(), ...all.filter((f) => !isProviders(f))];
const patients2025 = all.filter(is2025Patient);
const tmp = mkdtempSync(join(tmpdir(), 'chartkey-synthea-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!SAMPLE_DATA).each(kinds)('Synthea import on %s', (kind) => {
  let t: StoreDb;
  beforeAll(async () => {
    t = await openStore(kind);
  });
  afterAll(async () => t?.drop());

  it('fails a patient bundle cleanly while its providers are missing, naming file, entry and reference', async () => {
    const file = patients2025[0];
    const result = await importFiles(t.store, [file], { retryUnresolved: false });
    expect(result.imported).toBe(0);
    const err = result.failures[0];
    expect(err.code).toBe('unresolved_reference');
    expect(err.message).toMatch(new RegExp(`^${file}: entry\\[\\d+\\] \\(urn:uuid:[0-9a-f-]+\\) \\w+: unresolved conditional reference "(Practitioner|Organization|Location)\\?identifier=`));
    expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resources')).toBe(0);
  });

  it('imports every file in the documented order, leaving exactly the resources the files hold', async () => {
    expect(patients2025).toHaveLength(6);
    const result = await importFiles(t.store, documented, { retryUnresolved: false });
    expect(result.failures.map((f) => f.message)).toEqual([]);
    expect(result).toMatchObject({ files: 10, imported: 10 });
    const expected = expectedCounts(all);
    expect(await storedCounts(t.db)).toEqual(expected);
    expect(result.created).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
  });

  it('rewrites every urn:uuid and conditional reference, also inside contained resources', async () => {
    expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resources WHERE content LIKE ?', ['%"reference":"urn:uuid:%'])).toBe(0);
    expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resources WHERE content LIKE ?', ['%"reference":"%?identifier=%'])).toBe(0);
    // Every literal reference the store recorded points at a stored resource.
    expect(await count(t.db, 'SELECT COUNT(*) AS n FROM refs f WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.type = f.target_type AND r.id = f.target_id)')).toBe(0);
  });

  it('resolves conditional references to the ids of the matching providers', async () => {
    const npiToId = new Map<string, string>();
    for (const e of readJson(join(dir, all.map((f) => basename(f)).find((f) => f.startsWith('practitioner'))!)).entry) {
      if (e.resource.resourceType === 'Practitioner') npiToId.set(e.resource.identifier[0].value, e.resource.id);
    }
    const source = readJson(patients2025[0]).entry.find((e: any) => e.resource.resourceType === 'ExplanationOfBenefit').resource;
    const stored = JSON.parse((await t.store.read(ALL, 'ExplanationOfBenefit', source.id))!.json);
    const expectRef = (conditional: string, actual: string) => {
      const [type, query] = conditional.split('?identifier=');
      const value = query.split('|')[1];
      expect(actual).toBe(`${type}/${type === 'Practitioner' ? npiToId.get(value) : value}`);
    };
    expectRef(source.provider.reference, stored.provider.reference);
    expectRef(source.facility.reference, stored.facility.reference);
    const contained = source.contained.find((c: any) => c.requester);
    expectRef(contained.requester.reference, stored.contained.find((c: any) => c.id === contained.id).requester.reference);
    expect(stored.referral.reference).toBe(source.referral.reference); // #contained, untouched
  });

  it('imports the same files again without writing a single version', async () => {
    const history = await count(t.db, 'SELECT COUNT(*) AS n FROM resource_history');
    const result = await importFiles(t.store, documented);
    expect(result).toMatchObject({ imported: 10, created: 0, updated: 0 });
    expect(result.unchanged).toBe(result.resources);
    expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resource_history')).toBe(history);
    expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resources WHERE version <> 1')).toBe(0);
  });

  const breakages: Array<[string, (b: any) => void, string, string]> = [
    ['a broken urn:uuid reference', (b) => { b.entry[5].resource.subject = { reference: 'urn:uuid:00000000-dead-beef-0000-000000000000' }; }, 'unresolved_reference', 'urn:uuid:00000000-dead-beef-0000-000000000000'],
    ['an unknown resource type', (b) => { b.entry[5].resource.resourceType = 'Starship'; }, 'unknown_type', 'Unknown resource type "Starship"'],
    ['an entry without resource', (b) => { delete b.entry[5].resource; }, 'missing_resource', 'entry has no resource'],
    ['a malformed id', (b) => { b.entry[5].resource.id = 'not/an id'; }, 'invalid_id', 'not a valid FHIR id'],
  ];
  for (const [what, breakIt, code, text] of breakages) {
    it(`stores nothing of a real bundle with ${what}, and names the file and entry`, async () => {
      const bundle = readJson(patients2025[1]);
      // Fresh ids so that, were anything stored, the counts would show it.
      bundle.entry.forEach((e: any, i: number) => { if (e.resource && i !== 5) e.resource.id = `copy-${i}`; });
      breakIt(bundle);
      const file = join(tmp, `${kind}-${code}.json`);
      writeFileSync(file, JSON.stringify(bundle));
      const before = await count(t.db, 'SELECT COUNT(*) AS n FROM resource_history');
      const result = await importFiles(t.store, [file]);
      expect(result.failures).toHaveLength(1);
      expect(result.failures[0].code).toBe(code);
      expect(result.failures[0].message).toContain(`${file}: entry[5] (${bundle.entry[5].fullUrl})`);
      expect(result.failures[0].message).toContain(text);
      expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resource_history')).toBe(before);
    });
  }
});

describe.skipIf(!SAMPLE_DATA).each(kinds)('Synthea import in reverse order on %s', (kind) => {
  let t: StoreDb;
  beforeAll(async () => {
    t = await openStore(kind);
  });
  afterAll(async () => t?.drop());

  it('fails the patients before their providers cleanly, then imports them once the providers are in', async () => {
    const reverse = [...documented].reverse();
    const first = await importFiles(t.store, reverse, { retryUnresolved: false });
    expect(first.failures.map((f) => f.location.source).sort()).toEqual([...patients2025].sort());
    expect(first.failures.every((f) => f.code === 'unresolved_reference')).toBe(true);
    const selfContained = documented.filter((f) => !patients2025.includes(f));
    expect(await storedCounts(t.db)).toEqual(expectedCounts(selfContained));

    const second = await importFiles(t.store, patients2025, { retryUnresolved: false });
    expect(second.failures).toEqual([]);
    expect(await storedCounts(t.db)).toEqual(expectedCounts(all));
  });

  it('imports everything in one call in any order by retrying unresolved files last (the default)', async () => {
    const fresh = await openStore(kind);
    try {
      const result = await importFiles(fresh.store, [...documented].reverse());
      expect(result).toMatchObject({ files: 10, imported: 10, failures: [] });
      expect(await storedCounts(fresh.db)).toEqual(expectedCounts(all));
    } finally {
      await fresh.drop();
    }
  });
});
