/**
 * Bench data: a fresh database loaded with generated patients (or Synthea bundles from a
 * folder), one patient picked for the cases, and a credential for it.
 */
import { enablePortal } from '../src/accounts/enablement.js';
import { loadConfig } from '../src/config/config.js';
import { generatePatients, generateProviders } from '../src/generate/index.js';
import { BULK_LOAD } from '../src/db/open.js';
import { importBundle, importBundles, importFiles } from '../src/importer/index.js';
import { createServices, type Services } from '../src/services.js';

export interface BenchData {
  patientId: string;
  patientResources: number;
  observationCode: string;
  key: string;
  secret: string;
  imported: number;
  importSeconds: number;
  /** The sync scenario's apps: one credential per synced patient. */
  syncApps: Array<{ patientId: string; key: string; secret: string }>;
  /** Patients not synced: the writer's targets. */
  otherPatients: string[];
  staff: { username: string; password: string };
}

export interface LoadOptions {
  patients: number;
  data?: string;
  log: (s: string) => void;
  /** Entries per store transaction for generated patients (importBundles; 1 = one bundle each). */
  resourcesPerTransaction?: number;
  /** The patient for the cases (default: the one with the largest record). */
  patient?: string;
  /** Patients synced in the sync scenario, each with its own credential (the first N by id). */
  syncPatients?: number;
}

/**
 * The bench's load, timed, as `chartkey generate` / `chartkey import` do it: generated
 * patients (seed 1; providers first, then the patients several per transaction through
 * importBundles) or a folder of bundles (importFiles), then ANALYZE. Open the services
 * with `bulkLoad: BULK_LOAD` as the commands do. `bench/import.ts` times exactly this.
 */
export async function loadData(services: Services, options: LoadOptions): Promise<{ imported: number; importSeconds: number }> {
  const started = process.hrtime.bigint();
  let imported = 0;
  if (options.data) {
    const result = await importFiles(services.store, [options.data], {
      onProgress: (p) => options.log(`\r  file ${p.fileIndex}/${p.fileCount}, ${p.totals.resources} resources`),
    });
    imported = result.resources;
  } else {
    const providers = (await importBundle(services.store, generateProviders(1), { source: 'providers' })).resources;
    const patients = await importBundles(services.store, generatePatients({ count: options.patients, seed: 1 }), {
      resourcesPerTransaction: options.resourcesPerTransaction,
      onCommit: (p) => options.log(`\r  imported ${p.bundles}/${options.patients} patients, ${providers + p.totals.resources} resources`),
    });
    imported = providers + patients.resources;
  }
  await services.db.analyze();
  const importSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  options.log(`\r  imported ${imported} resources in ${importSeconds.toFixed(1)} s (${Math.round(imported / importSeconds)} resources/s)\n`);
  return { imported, importSeconds };
}

export async function loadBenchData(databaseUrl: string, options: LoadOptions): Promise<BenchData> {
  const config = loadConfig({}, { databaseUrl, demo: false, logLevel: 'warn' });
  const services = await createServices(config, { bulkLoad: BULK_LOAD });
  try {
    const { imported, importSeconds } = await loadData(services, options);

    // The patient with the largest record: the hardest case for $everything and the searches.
    const top = options.patient
      ? await services.db.get<{ patient: string; n: number }>('SELECT patient, COUNT(*) AS n FROM compartment WHERE patient = ? GROUP BY patient', [options.patient])
      : await services.db.get<{ patient: string; n: number }>('SELECT patient, COUNT(*) AS n FROM compartment GROUP BY patient ORDER BY n DESC LIMIT 1');
    if (!top) throw new Error(`No patient ${options.patient} in the database`);
    const code = await services.db.get<{ code: string; system: string }>(
      `SELECT t.system, t.code, COUNT(*) AS n FROM idx_token t JOIN compartment c ON c.res = t.res
       WHERE c.patient = ? AND t.type = 'Observation' AND t.param = 'code' AND t.system = 'http://loinc.org'
       GROUP BY t.system, t.code ORDER BY n DESC LIMIT 1`,
      [top!.patient],
    );
    // A database reused with --db-url may have the patient enabled by an earlier run: its account then.
    const run = Date.now().toString(36);
    const account =
      (await services.portal.accounts.getByPatient(top!.patient)) ??
      (await enablePortal(services, { patientId: top!.patient, username: `bench-${run}`, by: { kind: 'system', id: 'bench' } })).account;
    const { key, secret } = await services.credentials.create(top!.patient, account.id, 'Benchmark');
    // The sync scenario: the first N patients by id, each with a portal account and an app credential.
    const ids = (await services.db.all<{ id: string }>("SELECT id FROM resources WHERE type = 'Patient' AND deleted = 0 ORDER BY id")).map((r) => r.id);
    const synced = ids.slice(0, options.syncPatients ?? 200);
    const syncApps: BenchData['syncApps'] = [];
    for (const [i, patientId] of synced.entries()) {
      const enabled =
        patientId === top!.patient
          ? account
          : ((await services.portal.accounts.getByPatient(patientId)) ??
            (await enablePortal(services, { patientId, username: `sync${i}-${run}`, by: { kind: 'system', id: 'bench' } })).account);
      const c = await services.credentials.create(patientId, enabled.id, 'Sync app');
      syncApps.push({ patientId, key: c.key, secret: c.secret });
    }
    const staff = { username: 'benchstaff', password: 'bench staff password 1' };
    if (!(await services.db.get('SELECT 1 AS x FROM staff_users WHERE username = ?', [staff.username]))) await services.staff.create(staff.username, staff.password);
    return {
      syncApps,
      otherPatients: ids.slice(synced.length),
      staff,
      patientId: top!.patient,
      patientResources: Number(top!.n),
      observationCode: `${code!.system}|${code!.code}`,
      key,
      secret,
      imported,
      importSeconds,
    };
  } finally {
    await services.close();
  }
}
