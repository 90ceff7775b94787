/**
 * `npm run bench`: ChartKey against a bare server returning the same bytes (SPEC
 * "Performance"). For each database: load generated patients (or --data DIR), start the
 * server as its own process, and for every case run autocannon (in another process)
 * against ChartKey and then against the ceiling, case by case, two rounds, so drift hits
 * both. Reports req/s, p50/p99 latency, errors, server CPU ms per request, peak RSS and the
 * ratio to the ceiling; writes the results as JSON too.
 *
 *   npm run bench -- [--patients N] [--data DIR] [--db sqlite|postgres|both] [--duration S] [--connections C]
 *                    [--cases TEXT[,TEXT…]] [--cache-off] [--db-url URL] [--patient ID] [--profile DIR] [--out DIR] [--smart-codes N]
 *
 * After the request cases, a Bulk Data export of everything runs on a server of its own
 * (bench/export.ts): resources/s from kick-off to manifest and that server's peak RSS
 * (`--cases export` runs only it).
 *
 * --cache-off starts ChartKey with CHARTKEY_CACHE_MB=0: every request reaches the database
 * (the cold path; by default repeated reads and searches are served from the exact result cache).
 * --db-url runs against a database already loaded (e.g. by `chartkey generate --patients 10000`)
 * instead of a fresh one, and leaves it in place. --patient picks the patient for the cases
 * (default: the one with the largest record), e.g. the same patient in a 100- and a
 * 10,000-patient database generated with the same seed (the first is a prefix of the second).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parseArgs } from '../src/cli/args.js';
import { benchExport, type ExportMeasure } from './export.js';
import { cpuMillis, peakRssMiB } from './proc.js';
import { loadBenchData, type BenchData } from './setup.js';
import { benchCodeExchange, prepareSmart } from './smart.js';
import { patientTransaction, WRITE_BUNDLE_ENTRIES } from './write-bundle.js';

const run = promisify(execFile);
const PG_ADMIN = process.env.CHARTKEY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Case {
  name: string;
  /** Another server than ChartKey's (the no-auth measurement aid). */
  base?: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  connections: number;
  /** Resources each request stores (write cases): reported as resources/s too. */
  resourcesPerRequest?: number;
}

interface Measure {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  cpuMsPerRequest?: number;
}

interface Row {
  case: string;
  connections: number;
  bytes: number;
  resourcesPerRequest?: number;
  product: Measure[];
  ceiling: Measure[];
}

const { flags } = parseArgs(process.argv.slice(2), ['patients', 'data', 'db', 'duration', 'connections', 'out', 'cases', 'profile', 'db-url', 'patient', 'smart-codes'], ['cache-off']);
/** Distinct authorization codes minted for the SMART code-exchange measurement. */
const smartCodes = Number(flags.get('smart-codes') ?? 5000);
const existingDb = flags.get('db-url') as string | undefined;
const cacheOff = flags.get('cache-off') === true;
const patients = Number(flags.get('patients') ?? 1000);
const duration = Number(flags.get('duration') ?? 10);
const connections = Number(flags.get('connections') ?? 32);
const data = flags.get('data') as string | undefined;
const which = (flags.get('db') as string | undefined) ?? 'both';
const outDir = (flags.get('out') as string | undefined) ?? 'bench/results';
/** Only the cases whose name contains one of these texts (e.g. --cases read or --cases Observation,Condition). */
const only = (flags.get('cases') as string | undefined)?.split(',').filter(Boolean);
/** Write a CPU profile of the server (node --cpu-prof) into this folder. */
const profileDir = flags.get('profile') as string | undefined;
const log = (s: string) => process.stderr.write(s);

async function main() {
  await run(process.execPath, ['scripts/build.mjs']);
  const dbs = existingDb ? [existingDb.startsWith('sqlite:') ? 'sqlite' : 'postgres'] : which === 'both' ? ['sqlite', 'postgres'] : [which];
  const report: Record<string, unknown> = { date: new Date().toISOString(), patients: data ? undefined : patients, data, duration, connections, cache: !cacheOff, results: {} };
  for (const db of dbs) {
    log(`\n== ${db} ==\n`);
    (report.results as Record<string, unknown>)[db] = await benchOne(db as 'sqlite' | 'postgres');
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  log(`\nResults written to ${file}\n`);
}

async function benchOne(db: 'sqlite' | 'postgres') {
  const tmp = mkdtempSync(join(tmpdir(), 'chartkey-bench-'));
  let databaseUrl = `sqlite:${join(tmp, 'bench.sqlite')}`;
  const pgName = `chartkey_bench_${process.pid}`;
  if (existingDb) {
    databaseUrl = existingDb;
  } else if (db === 'postgres') {
    const admin = new pg.Client({ connectionString: PG_ADMIN });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pgName}`);
    await admin.query(`CREATE DATABASE ${pgName}`);
    await admin.end();
    databaseUrl = PG_ADMIN.replace(/\/[^/]*$/, `/${pgName}`);
  }
  const children: ChildProcess[] = [];
  try {
    // An existing database gets no new patients (only the provider bundle, already there: no new versions).
    const benchData = await loadBenchData(databaseUrl, {
      patients: existingDb ? 0 : patients,
      data: existingDb ? undefined : data,
      log,
      patient: flags.get('patient') as string | undefined,
    });
    const port = 30000 + Math.floor(Math.random() * 10000);
    const base = `http://127.0.0.1:${port}`;
    // The same V8 flags as `npm start` (package.json): a 4 MiB young generation keeps the
    // server's resident memory near 150 MiB under load at no measurable cost in throughput.
    const nodeFlags = ['--max-semi-space-size=4', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
    // The server runs as `npm start` runs it: the built bundle (see scripts/build.mjs).
    const server = spawn(process.execPath, [...nodeFlags, 'dist/main.js', 'serve'], {
      // MALLOC_ARENA_MAX=2 as in `npm start`: glibc's per-thread malloc arenas (V8's GC
      // threads allocate too) otherwise hold ~20 MiB of freed memory under load.
      env: { MALLOC_ARENA_MAX: '2', ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: databaseUrl, CHARTKEY_DEMO: '0', LOG_LEVEL: 'warn', PUBLIC_URL: base, ...(cacheOff ? { CHARTKEY_CACHE_MB: '0' } : {}) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(server);
    await waitFor(`${base}/readyz`);

    const noAuthPort = port + 100;
    const noAuth = spawn(process.execPath, ['--import', 'tsx', 'bench/no-auth-server.ts', String(noAuthPort), benchData.patientId], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PUBLIC_URL: base, ...(cacheOff ? { CHARTKEY_CACHE_MB: '0' } : {}) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(noAuth);
    await waitFor(`http://127.0.0.1:${noAuthPort}/readyz`);

    // SMART: minted codes for the exchange measurement, and a refreshed token for a read case.
    const smart = await prepareSmart(databaseUrl, base, benchData.patientId, smartCodes);
    const cases = [
      ...(await buildCases(base, benchData, `http://127.0.0.1:${noAuthPort}`)),
      { name: 'Patient read (SMART refreshed token)', method: 'GET' as const, path: `/fhir/Patient/${benchData.patientId}`, headers: { authorization: `Bearer ${smart.refreshedToken}`, accept: 'application/fhir+json' }, connections },
    ].filter((c) => !only || only.some((o) => c.name.includes(o)));
    const rows: Row[] = [];
    for (const [i, c] of cases.entries()) {
      const res = await fetch((c.base ?? base) + c.path, { method: c.method, headers: c.headers, body: c.body });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`${c.name}: ChartKey answered ${res.status}: ${bytes.toString().slice(0, 300)}`);
      const bodyFile = join(tmp, `case-${i}.body`);
      writeFileSync(bodyFile, bytes);
      const ceilingPort = port + 1 + i;
      const ceiling = spawn(process.execPath, ['--import', 'tsx', 'bench/ceiling.ts', String(ceilingPort), bodyFile, res.headers.get('content-type') ?? 'application/json'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(ceiling);
      await waitFor(`http://127.0.0.1:${ceilingPort}/`);
      rows.push({ case: c.name, connections: c.connections, bytes: bytes.length, resourcesPerRequest: c.resourcesPerRequest, product: [], ceiling: [] });
      (c as Case & { ceilingPort: number; ceilingPid: number }).ceilingPort = ceilingPort;
    }
    for (let round = 1; round <= 2; round++) {
      for (const [i, c] of cases.entries()) {
        log(`  round ${round}: ${c.name} … `);
        const pid = c.base ? noAuth.pid! : server.pid!;
        const before = cpuMillis(pid);
        const product = await load((c.base ?? base) + c.path, c);
        product.cpuMsPerRequest = (cpuMillis(pid) - before) / Math.max(product.requests, 1);
        const ceiling = await load(`http://127.0.0.1:${(c as Case & { ceilingPort: number }).ceilingPort}${c.path}`, c);
        rows[i].product.push(product);
        rows[i].ceiling.push(ceiling);
        log(`${Math.round(product.rps)} vs ${Math.round(ceiling.rps)} req/s\n`);
      }
    }
    log(`  SMART code exchange (${smart.codes.length} distinct codes) … `);
    const before = cpuMillis(server.pid!);
    const exchange = await benchCodeExchange(base, smart, connections);
    const codeExchange = { ...exchange, cpuMsPerRequest: (cpuMillis(server.pid!) - before) / Math.max(exchange.requests, 1) };
    log(`${Math.round(exchange.rps)} req/s\n`);
    const rss = peakRssMiB(server.pid!);
    // Bulk Data export of everything, by a server of its own (so its peak RSS is the export's).
    const exported = !only || only.some((o) => 'export'.includes(o)) ? await benchExport(databaseUrl, log) : undefined;
    const summary = {
      export: exported,
      importResourcesPerSecond: Math.round(benchData.imported / benchData.importSeconds),
      imported: benchData.imported,
      patientResources: benchData.patientResources,
      serverPeakRssMiB: Math.round(rss),
      rows: rows.map(summarize),
      codeExchange,
    };
    printTable(db, summary);
    return summary;
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, profileDir ? 3000 : 500));
    rmSync(tmp, { recursive: true, force: true });
    if (db === 'postgres' && !existingDb) {
      const admin = new pg.Client({ connectionString: PG_ADMIN });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      await admin.end();
    }
  }
}

async function buildCases(base: string, d: BenchData, noAuthBase: string): Promise<Case[]> {
  const basicAuth = `Basic ${Buffer.from(`${d.key}:${d.secret}`).toString('base64')}`;
  const tokenRes = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const bearer = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };
  const p = d.patientId;
  return [
    { name: 'token issue', method: 'POST', path: '/oauth/token', headers: { authorization: basicAuth, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials', connections },
    { name: 'Patient read (Bearer)', method: 'GET', path: `/fhir/Patient/${p}`, headers: bearer, connections },
    { name: 'Patient read (Basic)', method: 'GET', path: `/fhir/Patient/${p}`, headers: { authorization: basicAuth, accept: 'application/fhir+json' }, connections },
    { name: 'Patient read (no auth step)', base: noAuthBase, method: 'GET', path: `/fhir/Patient/${p}`, headers: { accept: 'application/fhir+json' }, connections },
    { name: 'Observation patient+category', method: 'GET', path: `/fhir/Observation?patient=${p}&category=laboratory&_count=50`, headers: bearer, connections },
    { name: 'Observation patient+code', method: 'GET', path: `/fhir/Observation?patient=${p}&code=${encodeURIComponent(d.observationCode)}`, headers: bearer, connections },
    { name: 'Condition patient', method: 'GET', path: `/fhir/Condition?patient=${p}`, headers: bearer, connections },
    { name: `$everything (${d.patientResources} res)`, method: 'GET', path: `/fhir/Patient/${p}/$everything`, headers: bearer, connections: 1 },
    { name: `$everything (${d.patientResources} res)`, method: 'GET', path: `/fhir/Patient/${p}/$everything`, headers: bearer, connections: 8 },
    {
      name: `transaction write (${WRITE_BUNDLE_ENTRIES}-entry patient bundle, staff)`,
      method: 'POST',
      path: '/fhir',
      headers: { authorization: `Basic ${Buffer.from(`${d.staffUser}:${d.staffPassword}`).toString('base64')}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: patientTransaction(),
      connections: 8,
      resourcesPerRequest: WRITE_BUNDLE_ENTRIES,
    },
  ];
}

async function load(url: string, c: Case): Promise<Measure> {
  const options = { url, method: c.method, headers: c.headers, body: c.body, connections: c.connections, duration, pipelining: 1 };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(options)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Measure;
}

function summarize(row: Row) {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const product = { rps: med(row.product.map((m) => m.rps)), p50: med(row.product.map((m) => m.p50)), p99: med(row.product.map((m) => m.p99)), errors: row.product.reduce((s, m) => s + m.errors, 0), cpuMsPerRequest: med(row.product.map((m) => m.cpuMsPerRequest ?? 0)) };
  const ceiling = { rps: med(row.ceiling.map((m) => m.rps)), p50: med(row.ceiling.map((m) => m.p50)), p99: med(row.ceiling.map((m) => m.p99)) };
  const resourcesPerSecond = row.resourcesPerRequest ? product.rps * row.resourcesPerRequest : undefined;
  return { case: row.case, connections: row.connections, bytes: row.bytes, product, resourcesPerSecond, ceiling, ratio: product.rps / ceiling.rps, rounds: { product: row.product, ceiling: row.ceiling } };
}

function printTable(db: string, s: { importResourcesPerSecond: number; serverPeakRssMiB: number; rows: ReturnType<typeof summarize>[]; codeExchange: { rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number }; export?: ExportMeasure }) {
  const lines = [
    `\n${db}${cacheOff ? " (result cache off)" : ""}: import ${s.importResourcesPerSecond} resources/s; server peak RSS ${s.serverPeakRssMiB} MiB`,
    '| case | conns | bytes | req/s | p50 ms | p99 ms | errors | CPU ms/req | ceiling req/s | ratio |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...s.rows.map((r) =>
      `| ${r.case} | ${r.connections} | ${r.bytes} | ${Math.round(r.product.rps)} | ${r.product.p50} | ${r.product.p99} | ${r.product.errors} | ${r.product.cpuMsPerRequest.toFixed(3)} | ${Math.round(r.ceiling.rps)} | ${r.ratio.toFixed(2)} |`),
    `| SMART code exchange (authorization_code + PKCE, distinct codes) | ${connections} | – | ${Math.round(s.codeExchange.rps)} | ${s.codeExchange.p50} | ${s.codeExchange.p99} | ${s.codeExchange.errors} | ${s.codeExchange.cpuMsPerRequest.toFixed(3)} | – | – |`,
  ];
  for (const r of s.rows) if (r.resourcesPerSecond !== undefined) lines.push(`${r.case}: ${Math.round(r.product.rps)} requests/s = ${Math.round(r.resourcesPerSecond)} resources/s`);
  if (s.export) {
    const e = s.export;
    lines.push(
      `\nBulk export of everything (${db}): ${e.resources} resources in ${e.files} files, ${e.exportSeconds.toFixed(1)} s kick-off to manifest = ` +
        `${e.resourcesPerSecond} resources/s; download ${e.downloadMiB.toFixed(0)} MiB in ${e.downloadSeconds.toFixed(1)} s; export server peak RSS ${e.serverPeakRssMiB} MiB`,
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

async function waitFor(url: string, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

await main();
