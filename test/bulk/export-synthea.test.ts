import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import groupCommand from '../../src/cli/group.js';
import importCommand from '../../src/cli/import.js';
import type { CliContext } from '../../src/cli/types.js';
import { loadConfig } from '../../src/config/config.js';
import type { Db } from '../../src/db/db.js';
import { importFiles } from '../../src/importer/index.js';
import { basic } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { SAMPLE_DATA, syntheaFile } from '../helpers/sample-data.js';
import { exportAll, keyOf, pathOf } from './bulk-client.js';
import { freshDatabase, startInstance, type Instance } from './instances.js';

const STAFF = basic('alice', 'correct horse battery');
const PROVIDERS = ['hospitalInformation1758306633125.json', 'practitionerInformation1758306633125.json'];
const SANDEE = 'Sandee884_Lesch175_ad655588-9deb-d164-ea1e-29243f2de17d.json';
const GORDON = 'Gordon377_Mosciski958_a31a6a86-6dc3-486a-da54-7f42b3fc84c1.json';
const KERMIT = 'Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json';
const FILES = [...PROVIDERS, SANDEE, GORDON, KERMIT];

type Json = Record<string, unknown>;
interface Entry {
  fullUrl?: string;
  resource: Json & { resourceType: string; id?: string; identifier?: Array<{ system?: string; value?: string }> };
}
const bundle = (name: string) => JSON.parse(readFileSync(syntheaFile(name), 'utf8')) as { entry: Entry[] };
/** The id the importer keeps (SPEC: resource.id, else the fullUrl's uuid). */
const idOf = (e: Entry) => e.resource.id ?? e.fullUrl!.replace(/^urn:uuid:/, '');

/**
 * What a Group export of these patient bundles must hold, from the input files alone: every
 * entry of each patient's bundle (Synthea writes one patient's record per bundle), plus the
 * provider-bundle resources their conditional references (`Type?identifier=system|value`) name.
 */
function expectedGroupKeys(patientFiles: string[]): string[] {
  const byIdentifier = new Map<string, string>();
  for (const f of PROVIDERS) {
    for (const e of bundle(f).entry) {
      for (const i of e.resource.identifier ?? []) byIdentifier.set(`${e.resource.resourceType}?identifier=${i.system}|${i.value}`, `${e.resource.resourceType}/${idOf(e)}`);
    }
  }
  const keys = new Set<string>();
  for (const f of patientFiles) {
    const b = bundle(f);
    for (const e of b.entry) keys.add(`${e.resource.resourceType}/${idOf(e)}`);
    for (const m of JSON.stringify(b).matchAll(/"reference":"([A-Za-z]+\?identifier=[^"]+)"/g)) {
      const target = byIdentifier.get(m[1]);
      if (!target) throw new Error(`no provider for ${m[1]}`);
      keys.add(target);
    }
  }
  return [...keys].sort();
}

/** Every current resource of a database, by Type/id, without the server-assigned meta.versionId/lastUpdated. */
async function contents(db: Db): Promise<Map<string, string>> {
  const rows = await db.all<{ type: string; id: string; content: string }>('SELECT type, id, content FROM resources WHERE deleted = 0');
  return new Map(
    rows.map((r) => {
      const res = JSON.parse(r.content) as Json & { meta?: Json };
      if (res.meta) {
        delete res.meta.versionId;
        delete res.meta.lastUpdated;
        if (Object.keys(res.meta).length === 0) delete res.meta;
      }
      return [`${r.type}/${r.id}`, JSON.stringify(res)];
    }),
  );
}

function cli(url: string, dir: string) {
  const out: string[] = [];
  const sink = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (c: Buffer) => into.push(c.toString()));
    return s;
  };
  const err: string[] = [];
  const config = loadConfig({ DATABASE_URL: url, CHARTKEY_DATA_DIR: dir, CHARTKEY_DEMO: '0' });
  const ctx: CliContext = { config, stdout: sink(out), stderr: sink(err), interactive: false };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

// Thousands of resources exported and imported again: slow on a busy machine, so a generous timeout.
describe.skipIf(!SAMPLE_DATA).each(await backends())('Bulk export of Synthea records on %s', { timeout: 240_000 }, (kind) => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let a: Instance;
  beforeAll(async () => {
    database = await freshDatabase(kind);
    a = await startInstance(database.url, database.dir);
    await a.services.staff.create('alice', 'correct horse battery');
    const result = await importFiles(a.services.store, FILES.map(syntheaFile));
    expect(result.failures).toEqual([]);
  });
  afterAll(async () => {
    await a?.close();
    await database?.drop();
  });

  it('round trip: everything exported and imported with chartkey import into a fresh database is the same store', async () => {
    const { manifest } = await exportAll(a.app, '/fhir/$export', STAFF);
    const out = join(database.dir, 'export');
    mkdirSync(out);
    for (const f of manifest.output) {
      const res = await a.app.inject({ method: 'GET', url: pathOf(f.url), headers: { authorization: STAFF, accept: 'application/fhir+ndjson' } });
      expect(res.statusCode).toBe(200);
      writeFileSync(join(out, `${f.type}.ndjson`), res.body);
    }
    const target = await freshDatabase(kind);
    try {
      const c = cli(target.url, target.dir);
      expect(await importCommand.run([out], c.ctx), c.err()).toBe(0);
      const second = await startInstance(target.url, target.dir, { worker: false });
      try {
        const [before, after] = await Promise.all([contents(a.services.db), contents(second.services.db)]);
        expect(before.size).toBe(2183); // the entries of FILES (README of the sample data)
        const byType = (m: Map<string, string>) => {
          const counts: Record<string, number> = {};
          for (const k of m.keys()) counts[k.split('/')[0]] = (counts[k.split('/')[0]] ?? 0) + 1;
          return counts;
        };
        expect(byType(after)).toEqual(byType(before));
        for (const [k, v] of before) expect(after.get(k), k).toBe(v);
      } finally {
        await second.close();
      }
    } finally {
      await target.drop();
    }
  });

  it('a Group of two patients (made with chartkey group add) exports exactly their records and the providers they reference', async () => {
    const c = cli(database.url, database.dir);
    const sandee = bundle(SANDEE).entry[0].resource;
    const identifier = sandee.identifier!.find((i) => i.system && i.value)!;
    const gordonId = idOf(bundle(GORDON).entry[0]);
    expect(await groupCommand.run(['add', 'Two patients', '--patient', `${identifier.system}|${identifier.value}`, '--patient', gordonId, '--json'], c.ctx), c.err()).toBe(0);
    const { id } = JSON.parse(c.out()) as { id: string };
    const { resources } = await exportAll(a.app, `/fhir/Group/${id}/$export`, STAFF);
    const got = resources.map(keyOf);
    expect(new Set(got).size).toBe(got.length);
    expect(got.sort()).toEqual(expectedGroupKeys([SANDEE, GORDON]));
  });

  it('_since after some writes exports exactly the resources written since', async () => {
    const first = await exportAll(a.app, '/fhir/$export?_type=Patient', STAFF);
    const since = first.manifest.transactionTime;
    await new Promise((r) => setTimeout(r, 5));
    const kermit = idOf(bundle(KERMIT).entry.find((e) => e.resource.resourceType === 'Patient')!);
    const obs = bundle(GORDON).entry.find((e) => e.resource.resourceType === 'Observation')!;
    const written = [
      { resourceType: 'Condition', id: 'since-new', subject: { reference: `Patient/${kermit}` }, code: { text: 'new after the export' } },
      { ...(JSON.parse((await a.services.store.read({ kind: 'all' }, 'Observation', idOf(obs)))!.json) as Json), status: 'amended' },
    ];
    // An unchanged re-write stores nothing new, so it must not appear either.
    const unchanged = JSON.parse((await a.services.store.read({ kind: 'all' }, 'Patient', kermit))!.json) as Json & { resourceType: string };
    await a.services.store.transaction(async (tx) => {
      for (const r of [...written, unchanged]) await tx.put(r as Json & { resourceType: string });
    });
    const all = await exportAll(a.app, `/fhir/$export?_since=${encodeURIComponent(since)}`, STAFF);
    expect(all.resources.map(keyOf).sort()).toEqual(written.map((r) => `${r.resourceType}/${r.id}`).sort());
    expect(all.resources.find((r) => r.id === idOf(obs))!.status).toBe('amended');
    const patients = await exportAll(a.app, `/fhir/Patient/$export?_since=${encodeURIComponent(since)}`, STAFF);
    expect(patients.resources.map(keyOf).sort()).toEqual(written.map((r) => `${r.resourceType}/${r.id}`).sort());
  });
});
