/**
 * Import throughput alone: a fresh database, then exactly the bench's load (`loadData` in
 * bench/setup.ts: providers, one importBundle per generated patient, ANALYZE), timed.
 *
 *   node --import tsx bench/import.ts [--patients 1000] [--db sqlite|postgres] [--data DIR]
 *                                     [--cache-mib N] [--wal-pages N] [--per-tx N] [--keep FILE] [--generate-only]
 *
 * Prints progress (cumulative and recent resources/s) on stderr and one summary line on
 * stdout. `--keep FILE` leaves the SQLite database at FILE (for EXPLAIN QUERY PLAN and
 * sizes); `--generate-only` times the generator without a database (the part of the load
 * that is not import). Profile with
 * `node --cpu-prof --cpu-prof-dir=/tmp/prof-import --import tsx bench/import.ts …`.
 */
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseArgs } from '../src/cli/args.js';
import { loadConfig } from '../src/config/config.js';
import { BULK_LOAD } from '../src/db/open.js';
import { generatePatients, generateProviders } from '../src/generate/index.js';
import { createServices } from '../src/services.js';
import { loadData } from './setup.js';

const PG_ADMIN = process.env.CHARTKEY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const { flags } = parseArgs(process.argv.slice(2), ['patients', 'db', 'data', 'keep', 'cache-mib', 'wal-pages', 'per-tx'], ['generate-only']);
const patients = Number(flags.get('patients') ?? 1000);
const which = (flags.get('db') as string | undefined) ?? 'sqlite';
const data = flags.get('data') as string | undefined;
const keep = flags.get('keep') as string | undefined;
/** Bulk-load settings (default BULK_LOAD, as the import/generate commands use); `--cache-mib 0` = the server's settings. */
const cacheMiB = Number(flags.get('cache-mib') ?? BULK_LOAD.cacheMiB);
const walPages = Number(flags.get('wal-pages') ?? BULK_LOAD.walAutocheckpoint);
/** Entries per transaction for generated patients (default: importBundles'; 1 = one bundle per transaction). */
const perTx = flags.has('per-tx') ? Number(flags.get('per-tx')) : undefined;
const bulkLoad = cacheMiB > 0 ? { cacheMiB, walAutocheckpoint: walPages } : undefined;

async function main(): Promise<void> {
  if (flags.has('generate-only')) return generateOnly();
  const tmp = mkdtempSync(join(tmpdir(), 'chartkey-import-'));
  const file = join(tmp, 'import.sqlite');
  const pgName = `chartkey_imp_${process.pid}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  let databaseUrl = `sqlite:${file}`;
  if (which === 'postgres') {
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgName}`);
    await admin.query(`CREATE DATABASE ${pgName}`);
    databaseUrl = PG_ADMIN.replace(/\/[^/]*$/, `/${pgName}`);
  } else if (which !== 'sqlite') {
    throw new Error('--db sqlite|postgres');
  }
  try {
    const config = loadConfig({}, { databaseUrl, demo: false, logLevel: 'warn' });
    const services = await createServices(config, { bulkLoad });
    let result;
    const cpu0 = process.cpuUsage();
    try {
      result = await loadData(services, { patients, data, log: progress(), resourcesPerTransaction: perTx });
    } finally {
      await services.close();
    }
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const size =
      which === 'sqlite'
        ? `${(statSync(file).size / 2 ** 20).toFixed(0)} MiB`
        : `${Math.round(Number((await admin.query(`SELECT pg_database_size('${pgName}') AS n`)).rows[0].n) / 2 ** 20)} MiB`;
    process.stdout.write(
      `${which} ${data ?? `${patients} patients`}: ${result.imported} resources in ${result.importSeconds.toFixed(1)} s = ` +
        `${Math.round(result.imported / result.importSeconds)} resources/s, this process's CPU ${cpuSeconds.toFixed(1)} s (database ${size}` +
        `${bulkLoad ? `, cache ${cacheMiB} MiB, wal_autocheckpoint ${walPages}` : ', server settings'}` +
        `${perTx !== undefined ? `, ${perTx} entries per transaction` : ''})\n`,
    );
    if (keep && which === 'sqlite') renameSync(file, keep);
  } finally {
    if (which === 'postgres') {
      await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      await admin.end();
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Progress at most every 5 s, with the rate since the last line: shows where the load slows down. */
function progress(): (s: string) => void {
  const started = performance.now();
  let last = { t: started, n: 0 };
  return (s) => {
    const m = /imported (\d+)\/\d+ patients, (\d+) resources/.exec(s);
    if (!m) return void process.stderr.write(s.replace(/^\r/, '') + (s.endsWith('\n') ? '' : '\n'));
    const now = performance.now();
    if (now - last.t < 5000 && m[1] !== String(patients)) return;
    const n = Number(m[2]);
    const recent = Math.round(((n - last.n) * 1000) / (now - last.t));
    const overall = Math.round((n * 1000) / (now - started));
    last = { t: now, n };
    process.stderr.write(`  ${m[1]} patients, ${n} resources: ${overall}/s overall, ${recent}/s recent\n`);
  };
}

function generateOnly(): void {
  const started = performance.now();
  let n = generateProviders(1).entry.length;
  for (const bundle of generatePatients({ count: patients, seed: 1 })) n += bundle.entry.length;
  const s = (performance.now() - started) / 1000;
  process.stdout.write(`generate only, ${patients} patients: ${n} resources in ${s.toFixed(1)} s (${Math.round(n / s)} resources/s)\n`);
}

await main();
