import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL } from '../../src/fhir/scope.js';
import { importFiles } from '../../src/importer/index.js';
import { backends } from '../helpers/db.js';
import { count, expectedCounts, filesIn, openStore, readJson, SAMPLE_DATA, storedCounts } from './real-store.js';

/**
 * Acceptance: the US Core 6.1.0 examples (one resource per file, plain relative references,
 * fixed ids) and the Inferno bundles (PUT Patient/85 with a urn:uuid fullUrl), and the same
 * examples as NDJSON, into the real store on SQLite and PostgreSQL.
 */
const kinds = SAMPLE_DATA ? await backends() : [];
const dir = SAMPLE_DATA ? join(SAMPLE_DATA, 'us-core-examples') : '';
const tmp = mkdtempSync(join(tmpdir(), 'chartkey-uscore-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!SAMPLE_DATA).each(kinds)('US Core examples import on %s', (kind) => {
  it('imports the folder, inferno/ bundles included, with relative references kept and PUT ids honoured', async () => {
    const t = await openStore(kind);
    try {
      const singles = filesIn(dir);
      const inferno = filesIn(join(dir, 'inferno'));
      const result = await importFiles(t.store, [dir]);
      expect(result.failures.map((f) => f.message)).toEqual([]);
      expect(result).toMatchObject({ files: singles.length + inferno.length, imported: singles.length + inferno.length });
      expect(await storedCounts(t.db)).toEqual(expectedCounts([...singles, ...inferno]));

      const bp = JSON.parse((await t.store.read(ALL, 'Observation', 'blood-pressure'))!.json);
      expect(bp.subject.reference).toBe('Patient/example');

      // uscore_bundle_patient_85.json: `PUT Patient/85`, fullUrl urn:uuid:…, others POST pointing at that urn.
      const bundle = readJson(join(dir, 'inferno', 'uscore_bundle_patient_85.json'));
      const condition = bundle.entry.find((e: any) => e.resource.resourceType === 'Condition').resource;
      const stored = JSON.parse((await t.store.read(ALL, 'Condition', condition.id))!.json);
      expect(stored.subject).toEqual({ reference: 'Patient/85' });
      expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resources WHERE content LIKE ?', ['%"reference":"urn:uuid:%'])).toBe(0);
    } finally {
      await t.drop();
    }
  });

  it('imports the examples as NDJSON, and the same resources as files then change nothing', async () => {
    const t = await openStore(kind);
    try {
      const singles = filesIn(dir);
      const ndjson = join(tmp, `${kind}-examples.ndjson`);
      writeFileSync(ndjson, singles.map((f) => JSON.stringify(readJson(f))).join('\n') + '\n');
      const first = await importFiles(t.store, [ndjson]);
      expect(first).toMatchObject({ imported: 1, created: singles.length, failures: [] });
      expect(await storedCounts(t.db)).toEqual(expectedCounts(singles));
      const history = await count(t.db, 'SELECT COUNT(*) AS n FROM resource_history');
      const again = await importFiles(t.store, singles);
      expect(again).toMatchObject({ imported: singles.length, created: 0, updated: 0, unchanged: singles.length });
      expect(await count(t.db, 'SELECT COUNT(*) AS n FROM resource_history')).toBe(history);
    } finally {
      await t.drop();
    }
  });
});
