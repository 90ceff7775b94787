/**
 * `npm run bench`: ChartKey against a bare server returning the same bytes (SPEC
 * "Performance"). For each database: load generated patients (or --data DIR), start the
 * server as its own process, and for every case run autocannon (in another process)
 * against ChartKey and then against the ceiling, case by case, two rounds, so drift hits
 * both. Reports req/s, p50/p99 latency, errors, server CPU ms per request, peak RSS and the
 * ratio to the ceiling; writes the results as JSON too.
 *
 *   npm run bench -- [--patients N] [--data DIR] [--db sqlite|postgres|both] [--duration S] [--connections C]
 *                    [--cases TEXT[,TEXT…]|none] [--cache both|on|off] [--cache-off] [--db-url URL] [--patient ID]
 *                    [--sync N] [--writes W] [--smart-codes N] [--profile DIR] [--out DIR]
 *
 * Besides the request cases: a transaction write (a 20-entry patient bundle, staff;
 * resources/s), the SMART code exchange, and a Bulk Data export of everything on a server
 * of its own (bench/export.ts: resources/s kick-off to manifest, that server's peak RSS;
 * `--cases export` runs only it).
 *
 * Every case runs against two ChartKey servers on the same database: one with the result
 * cache (a repeated request is answered from memory) and one started with
 * CHARTKEY_CACHE_MB=0 (every request reaches the database: the cold path, what an app
 * syncing a record once a day meets); the table shows both columns. `--cache on|off` (or
 * `--cache-off`) runs one of them only. CPU per request counts the server and, on
 * PostgreSQL, the database's backends; the ratio is the ceiling's CPU per request over
 * ChartKey's (the req/s ratio is printed too).
 *
 * The sync scenario (`--sync N`, default 200; 0 skips it) is real traffic: N patients,
 * each with its own credential; 32 apps at once (--connections) each get a token, read
 * their Patient, run one US Core search per type and follow every next link
 * (bench/sync.ts), twice (the first sync, then a second one of the same records); with
 * `--writes W` (default 20/s; 0 skips) a writer posts small transactions to the other
 * patients meanwhile (bench/writer.ts: the FHIR transaction API, or, on a server without
 * it, writes through the store — the output says which). Each run starts a fresh server;
 * the same request stream then runs against a ceiling answering each request with the
 * bytes ChartKey sent (bench/ceiling-multi.ts).
 * --db-url runs against a database already loaded (e.g. by `chartkey generate --patients 10000`)
 * instead of a fresh one, and leaves it in place. --patient picks the patient for the cases
 * (default: the one with the largest record), e.g. the same patient in a 100- and a
 * 10,000-patient database generated with the same seed (the first is a prefix of the second).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parseArgs } from '../src/cli/args.js';
import { cpuMillis, peakRssMiB } from './proc.js';
import { SYNC_TYPES } from './sync-types.js';
import { loadBenchData, type BenchData } from './setup.js';
import { benchCodeExchange, mintCodes, prepareSmart } from './smart.js';
import { benchExport, type ExportMeasure } from './export.js';
import { patientTransaction, WRITE_BUNDLE_ENTRIES } from './write-bundle.js';
import { benchPort, createBenchDatabase, PG_ADMIN, type Server, startServer as startBenchServer, waitFor } from './server.js';

const run = promisify(execFile);

interface Case {
  name: string;
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
  dbCpuMsPerRequest?: number;
}

interface Row {
  case: string;
  connections: number;
  bytes: number;
  product: Record<Mode, Measure[]>;
  ceiling: Measure[];
}

const { flags } = parseArgs(process.argv.slice(2), ['patients', 'data', 'db', 'duration', 'connections', 'out', 'cases', 'profile', 'db-url', 'patient', 'cache', 'sync', 'writes', 'smart-codes'], ['cache-off']);
/** Distinct authorization codes minted for the SMART code-exchange measurement (0 skips it). */
const smartCodes = Number(flags.get('smart-codes') ?? 5000);
const existingDb = flags.get('db-url') as string | undefined;
const cacheArg = flags.get('cache-off') === true ? 'off' : ((flags.get('cache') as string | undefined) ?? 'both');
if (!['both', 'on', 'off'].includes(cacheArg)) throw new Error('--cache is both, on or off');
const modes: Mode[] = cacheArg === 'both' ? ['cached', 'cold'] : cacheArg === 'on' ? ['cached'] : ['cold'];
const patients = Number(flags.get('patients') ?? 1000);
const duration = Number(flags.get('duration') ?? 10);
const connections = Number(flags.get('connections') ?? 32);
const syncPatients = Number(flags.get('sync') ?? 200);
const writes = Number(flags.get('writes') ?? 20);
const data = flags.get('data') as string | undefined;
const which = (flags.get('db') as string | undefined) ?? 'both';
const outDir = (flags.get('out') as string | undefined) ?? 'bench/results';
/** Only the cases whose name contains one of these texts (e.g. --cases read or --cases Observation,Condition; none: no case). */
const only = (flags.get('cases') as string | undefined)?.split(',').filter(Boolean);
/** Write a CPU profile of the server (node --cpu-prof) into this folder. */
const profileDir = flags.get('profile') as string | undefined;
const log = (s: string) => process.stderr.write(s);

type Mode = 'cached' | 'cold';

/** One server's peak RSS (VmHWM), named by what it ran. */
interface PeakRss {
  server: string;
  mib: number;
}

/** Every process the bench started, ended if the bench itself is interrupted. */
const started: ChildProcess[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    for (const child of started) child.kill('SIGTERM');
    process.exit(130);
  });
}

async function main() {
  await run(process.execPath, ['scripts/build.mjs']);
  const dbs = existingDb ? [existingDb.startsWith('sqlite:') ? 'sqlite' : 'postgres'] : which === 'both' ? ['sqlite', 'postgres'] : [which];
  const report: Record<string, unknown> = { date: new Date().toISOString(), patients: data ? undefined : patients, data, duration, connections, modes, sync: syncPatients, writes, results: {} };
  try {
    report.commit = (await run('git', ['rev-parse', '--short', 'HEAD'])).stdout.trim();
  } catch {
    /* not a git checkout */
  }
  for (const db of dbs) {
    log(`\n== ${db} ==\n`);
    (report.results as Record<string, unknown>)[db] = await benchOne(db as 'sqlite' | 'postgres');
  }
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  log(`\nResults written to ${file}\n`);
}

/** CPU milliseconds of the database's PostgreSQL backends by pid (empty for SQLite). */
type DbCpu = () => Promise<Map<number, number>>;

async function benchOne(db: 'sqlite' | 'postgres') {
  // A fresh database (and the temporary folder for the recordings), or the one --db-url names, left in place.
  const fresh = await createBenchDatabase(existingDb ? 'sqlite' : db);
  const tmp = fresh.tmp;
  const databaseUrl = existingDb ?? fresh.url;
  const pgName = existingDb ? decodeURIComponent(new URL(existingDb.replace(/^postgres(ql)?:/, 'http:')).pathname.slice(1)) : fresh.pgName;
  const children: ChildProcess[] = started;
  let admin: pg.Client | undefined;
  try {
    // An existing database gets no new patients (only the provider bundle, already there: no new versions).
    const benchData = await loadBenchData(databaseUrl, {
      patients: existingDb ? 0 : patients,
      data: existingDb ? undefined : data,
      log,
      patient: flags.get('patient') as string | undefined,
      syncPatients,
    });
    let dbCpu: DbCpu = async () => new Map();
    if (db === 'postgres') {
      const client = new pg.Client({ connectionString: PG_ADMIN });
      admin = client;
      await client.connect();
      dbCpu = async () => {
        const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [pgName]);
        const out = new Map<number, number>();
        for (const { pid } of rows) {
          try {
            out.set(pid, cpuMillis(pid));
          } catch {
            /* gone meanwhile */
          }
        }
        return out;
      };
    }
    // Below the kernel's ephemeral range (32768+): a port the load generator's own connections hold cannot be taken.
    let port = benchPort();
    const nextPort = () => port++;
    const peakRss: PeakRss[] = [];
    const servers = new Map<Mode, Server>();
    for (const mode of modes) servers.set(mode, await startServer(mode, databaseUrl, nextPort(), children));

    // SMART: minted codes for the exchange measurement, and a refreshed token for a read case.
    const first = servers.get(modes[0])!;
    const smart = smartCodes > 0 ? await prepareSmart(databaseUrl, first.base, benchData.patientId) : undefined;
    const cases = [
      ...(await buildCases(first.base, benchData)),
      ...(smart
        ? [{ name: 'Patient read (SMART refreshed token)', method: 'GET' as const, path: `/fhir/Patient/${benchData.patientId}`, headers: { authorization: `Bearer ${smart.refreshedToken}`, accept: 'application/fhir+json' }, connections }]
        : []),
    ].filter((c) => !only || only.some((o) => c.name.includes(o)));
    const rows: Row[] = [];
    for (const [i, c] of cases.entries()) {
      const base = servers.get(modes[0])!.base;
      const res = await fetch(base + c.path, { method: c.method, headers: c.headers, body: c.body });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new Error(`${c.name}: ChartKey answered ${res.status}: ${bytes.toString().slice(0, 300)}`);
      const bodyFile = join(tmp, `case-${i}.body`);
      writeFileSync(bodyFile, bytes);
      const ceilingPort = nextPort();
      const ceiling = spawn(process.execPath, ['--import', 'tsx', 'bench/ceiling.ts', String(ceilingPort), bodyFile, res.headers.get('content-type') ?? 'application/json'], {
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(ceiling);
      await waitFor(`http://127.0.0.1:${ceilingPort}/`);
      rows.push({ case: c.name, connections: c.connections, bytes: bytes.length, product: { cached: [], cold: [] }, ceiling: [] });
      Object.assign(c, { ceilingPort, ceilingPid: ceiling.pid! });
    }
    for (let round = 1; round <= 2; round++) {
      for (const [i, c] of cases.entries()) {
        const cc = c as Case & { ceilingPort: number; ceilingPid: number };
        log(`  round ${round}: ${c.name} … `);
        for (const mode of modes) {
          const server = servers.get(mode)!;
          rows[i].product[mode].push(await measure(server.base + c.path, c, server.proc.pid!, dbCpu));
        }
        const ceiling = await measure(`http://127.0.0.1:${cc.ceilingPort}${c.path}`, c, cc.ceilingPid, async () => new Map());
        rows[i].ceiling.push(ceiling);
        log(`${modes.map((m) => `${m} ${Math.round(rows[i].product[m][round - 1].rps)}`).join(', ')} vs ${Math.round(ceiling.rps)} req/s\n`);
      }
    }
    let codeExchange: { requests: number; rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number } | undefined;
    if (smart && (!only || only.some((o) => 'SMART code exchange'.includes(o)))) {
      const minted = await mintCodes(databaseUrl, first.base, smart, smartCodes);
      log(`  SMART code exchange (${minted.codes.length} distinct codes) … `);
      const before = cpuMillis(first.proc.pid!);
      const exchange = await benchCodeExchange(first.base, { ...smart, ...minted }, connections);
      codeExchange = { ...exchange, cpuMsPerRequest: (cpuMillis(first.proc.pid!) - before) / Math.max(exchange.requests, 1) };
      log(`${Math.round(exchange.rps)} req/s\n`);
    }
    for (const [mode, server] of servers) {
      peakRss.push({ server: mode, mib: peakRssMiB(server.proc.pid!) });
      await stop(server.proc);
    }

    const sync = syncPatients > 0 && benchData.syncApps.length > 0 ? await syncScenario(databaseUrl, benchData, tmp, nextPort, children, dbCpu, peakRss) : undefined;
    // Bulk Data export of everything, by a server of its own (so its peak RSS is the export's).
    const exported = !only || only.some((o) => 'export'.includes(o)) ? await benchExport(databaseUrl, log) : undefined;

    const summary = {
      importResourcesPerSecond: Math.round(benchData.imported / benchData.importSeconds),
      imported: benchData.imported,
      patientResources: benchData.patientResources,
      serverPeakRssMiB: Math.round(Math.max(...peakRss.map((p) => p.mib))),
      serverPeakRss: peakRss.map((p) => ({ server: p.server, mib: Math.round(p.mib) })),
      rows: rows.map(summarize),
      codeExchange,
      sync,
      export: exported,
      writes: cases.flatMap((c, i) => (c.resourcesPerRequest ? [{ case: c.name, resourcesPerSecond: Object.fromEntries(modes.map((m) => [m, Math.round((summarize(rows[i])[m]?.rps ?? 0) * c.resourcesPerRequest!)])) }] : [])),
    };
    printTable(db, summary);
    return summary;
  } finally {
    await Promise.all(children.map(stop));
    await admin?.end();
    await fresh.drop();
  }
}

async function startServer(mode: Mode, databaseUrl: string, port: number, children: ChildProcess[]): Promise<Server> {
  const nodeFlags = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, mode)}`] : [];
  const server = await startBenchServer({ databaseUrl, port, nodeFlags, env: mode === 'cold' ? { CHARTKEY_CACHE_MB: '0' } : {} });
  children.push(server.proc);
  return server;
}

async function buildCases(base: string, d: BenchData): Promise<Case[]> {
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
    { name: 'Observation patient+category', method: 'GET', path: `/fhir/Observation?patient=${p}&category=laboratory&_count=50`, headers: bearer, connections },
    { name: 'Observation patient+code', method: 'GET', path: `/fhir/Observation?patient=${p}&code=${encodeURIComponent(d.observationCode)}`, headers: bearer, connections },
    { name: 'Condition patient', method: 'GET', path: `/fhir/Condition?patient=${p}`, headers: bearer, connections },
    { name: `$everything (${d.patientResources} res)`, method: 'GET', path: `/fhir/Patient/${p}/$everything`, headers: bearer, connections: 1 },
    { name: `$everything (${d.patientResources} res)`, method: 'GET', path: `/fhir/Patient/${p}/$everything`, headers: bearer, connections: 8 },
    {
      name: `transaction write (${WRITE_BUNDLE_ENTRIES}-entry patient bundle, staff)`,
      method: 'POST',
      path: '/fhir',
      headers: { authorization: `Basic ${Buffer.from(`${d.staff.username}:${d.staff.password}`).toString('base64')}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: patientTransaction(),
      connections: 8,
      resourcesPerRequest: WRITE_BUNDLE_ENTRIES,
    },
  ];
}

/** autocannon against `url`, with the CPU `pid` (and the database's backends) spent meanwhile. */
async function measure(url: string, c: Case, pid: number, dbCpu: DbCpu): Promise<Measure> {
  const cpu0 = cpuMillis(pid);
  const db0 = await dbCpu();
  const m = await load(url, c);
  m.cpuMsPerRequest = (cpuMillis(pid) - cpu0) / Math.max(m.requests, 1);
  m.dbCpuMsPerRequest = cpuDelta(db0, await dbCpu()) / Math.max(m.requests, 1);
  return m;
}

function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

async function load(url: string, c: Case): Promise<Measure> {
  const options = { url, method: c.method, headers: c.headers, body: c.body, connections: c.connections, duration, pipelining: 1 };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/load.ts', JSON.stringify(options)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as Measure;
}

interface SyncMeasure {
  syncs: number;
  requests: number;
  errors: number;
  seconds: number;
  syncsPerSecond: number;
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  dbCpuMsPerRequest: number;
  hitRate?: number;
  writer?: { mode: string; transactions: number; failed: number; perSecond: number; p50: number };
}

/**
 * Every sync app once, then once more (the same records synced again), against a fresh
 * server per variant (cache on/off × writes off/on), then the recorded stream against the
 * ceiling.
 */
async function syncScenario(databaseUrl: string, d: BenchData, tmp: string, nextPort: () => number, children: ChildProcess[], dbCpu: DbCpu, peakRss: PeakRss[]) {
  const recording = join(tmp, 'sync-recording.json');
  const results: Record<string, SyncMeasure> = {};
  let recorded = false;
  for (const mode of modes) {
    for (const w of writes > 0 ? [0, writes] : [0]) {
      const label = `${mode}, ${w ? `${w} writes/s` : 'no writes'}`;
      log(`  sync (${d.syncApps.length} patients, ${label}) … `);
      const server = await startServer(mode, databaseUrl, nextPort(), children);
      let writer: ChildProcess | undefined;
      let writerOut: Promise<string> | undefined;
      if (w > 0) {
        writer = spawn(process.execPath, ['--import', 'tsx', 'bench/writer.ts', JSON.stringify({ base: server.base, staff: d.staff, databaseUrl, patients: d.otherPatients, rate: w })], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        children.push(writer);
        writerOut = collect(writer);
        await waitForLine(writer, 'ready');
      }
      const cpu0 = cpuMillis(server.proc.pid!);
      const db0 = await dbCpu();
      const m0 = await cacheLookups(server.base);
      const passes = [];
      for (let pass = 0; pass < 2; pass++) {
        const record = !recorded && pass === 0 ? recording : undefined;
        passes.push(await syncPass(server.base, d.syncApps, record));
      }
      recorded = true;
      const cpu = cpuMillis(server.proc.pid!) - cpu0;
      const dbMs = cpuDelta(db0, await dbCpu());
      const m1 = await cacheLookups(server.base);
      if (writer) writer.kill('SIGTERM');
      const writerSummary = writerOut ? parseLast(await writerOut) : undefined;
      peakRss.push({ server: `sync ${label}`, mib: peakRssMiB(server.proc.pid!) });
      await stop(server.proc);
      const lookups = m1.hit + m1.miss - m0.hit - m0.miss;
      results[label] = combine(passes, cpu, dbMs, lookups > 0 ? (m1.hit - m0.hit) / lookups : undefined, writerSummary);
      log(`${results[label].syncsPerSecond.toFixed(1)} syncs/s, ${Math.round(results[label].rps)} req/s${writerSummary ? ` (writer: ${writerSummary.mode}, ${writerSummary.perSecond.toFixed(1)} tx/s)` : ''}\n`);
    }
  }
  // The same request stream (the first pass as recorded, twice) against the same-bytes ceiling.
  log('  sync against the ceiling … ');
  const port = nextPort();
  const ceiling = spawn(process.execPath, ['--import', 'tsx', 'bench/ceiling-multi.ts', String(port), recording], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(ceiling);
  const base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/`);
  const cpu0 = cpuMillis(ceiling.pid!);
  const passes = [await syncPass(base, d.syncApps), await syncPass(base, d.syncApps)];
  results.ceiling = combine(passes, cpuMillis(ceiling.pid!) - cpu0, 0);
  ceiling.kill('SIGTERM');
  log(`${results.ceiling.syncsPerSecond.toFixed(1)} syncs/s, ${Math.round(results.ceiling.rps)} req/s\n`);
  return { patients: d.syncApps.length, types: SYNC_TYPES.length, results };
}

async function syncPass(base: string, apps: BenchData['syncApps'], record?: string) {
  const options = { base, apps, connections, record };
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/sync.ts', JSON.stringify(options)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as { syncs: number; requests: number; errors: number; seconds: number; p50: number; p99: number; latencies?: number[] };
}

function combine(
  passes: Array<{ syncs: number; requests: number; errors: number; seconds: number; p50: number; p99: number }>,
  cpuMs: number,
  dbMs: number,
  hitRate?: number,
  writer?: SyncMeasure['writer'],
): SyncMeasure {
  const syncs = passes.reduce((s, p) => s + p.syncs, 0);
  const requests = passes.reduce((s, p) => s + p.requests, 0);
  const seconds = passes.reduce((s, p) => s + p.seconds, 0);
  return {
    syncs,
    requests,
    errors: passes.reduce((s, p) => s + p.errors, 0),
    seconds,
    syncsPerSecond: syncs / seconds,
    rps: requests / seconds,
    // Per pass (first sync, second sync); the larger of the two for p99.
    p50: Math.max(...passes.map((p) => p.p50)),
    p99: Math.max(...passes.map((p) => p.p99)),
    cpuMsPerRequest: cpuMs / Math.max(requests, 1),
    dbCpuMsPerRequest: dbMs / Math.max(requests, 1),
    hitRate,
    writer,
  };
}

async function cacheLookups(base: string): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const count = (result: string) => Number(new RegExp(`chartkey_fhir_cache_lookups_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss') };
}

/**
 * Ends a child with one SIGTERM and waits for it to exit. One: a server's graceful stop
 * handles the first SIGTERM only, and a second one kills it on the spot — before
 * `--cpu-prof` has written its profile (why --profile used to leave the folder empty).
 */
const stopping = new WeakMap<ChildProcess, Promise<void>>();
function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  let done = stopping.get(child);
  if (!done) {
    done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => (child.kill('SIGKILL'), resolve()), 30_000);
      child.once('exit', () => (clearTimeout(timer), resolve()));
    });
    stopping.set(child, done);
    child.kill('SIGTERM');
  }
  return done;
}

function collect(child: ChildProcess): Promise<string> {
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.on('exit', () => resolve(out)));
}

function waitForLine(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (c: Buffer) => {
      if (c.toString().includes(text)) {
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.on('exit', () => reject(new Error('the writer exited before it was ready')));
  });
}

function parseLast(out: string) {
  const line = out.trim().split('\n').pop() ?? '{}';
  return JSON.parse(line) as NonNullable<SyncMeasure['writer']>;
}

function summarize(row: Row) {
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ceiling = { rps: med(row.ceiling.map((m) => m.rps)), p50: med(row.ceiling.map((m) => m.p50)), p99: med(row.ceiling.map((m) => m.p99)), cpuMsPerRequest: med(row.ceiling.map((m) => m.cpuMsPerRequest ?? 0)) };
  const product = (ms: Measure[]) => {
    if (ms.length === 0) return undefined;
    const cpu = med(ms.map((m) => m.cpuMsPerRequest ?? 0));
    const dbCpu = med(ms.map((m) => m.dbCpuMsPerRequest ?? 0));
    return {
      rps: med(ms.map((m) => m.rps)),
      p50: med(ms.map((m) => m.p50)),
      p99: med(ms.map((m) => m.p99)),
      errors: ms.reduce((s, m) => s + m.errors, 0),
      cpuMsPerRequest: cpu,
      dbCpuMsPerRequest: dbCpu,
      ratio: med(ms.map((m) => m.rps)) / ceiling.rps,
      cpuRatio: ceiling.cpuMsPerRequest / Math.max(cpu + dbCpu, 1e-9),
    };
  };
  return { case: row.case, connections: row.connections, bytes: row.bytes, cached: product(row.product.cached), cold: product(row.product.cold), ceiling, rounds: row };
}

function printTable(
  db: string,
  s: {
    importResourcesPerSecond: number;
    serverPeakRssMiB: number;
    serverPeakRss: PeakRss[];
    rows: ReturnType<typeof summarize>[];
    codeExchange?: { rps: number; p50: number; p99: number; errors: number; cpuMsPerRequest: number };
    sync?: Awaited<ReturnType<typeof syncScenario>>;
    export?: ExportMeasure;
    writes: Array<{ case: string; resourcesPerSecond: Record<string, number> }>;
  },
) {
  const cell = (p: ReturnType<typeof summarize>['cached']) =>
    p
      ? `${Math.round(p.rps)} | ${fmt(p.p50)} / ${fmt(p.p99)} | ${cpuText(p.cpuMsPerRequest, p.dbCpuMsPerRequest, db)} | ${p.cpuRatio.toFixed(2)} (${p.ratio.toFixed(2)})`
      : '– | – | – | –';
  const lines = [
    `\n${db}: import ${s.importResourcesPerSecond} resources/s; server peak RSS ${s.serverPeakRssMiB} MiB (largest of the servers started: ${s.serverPeakRss.map((p) => `${p.server} ${p.mib}`).join(', ')})`,
    'ratio = ceiling CPU per request ÷ ChartKey CPU per request (server' + (db === 'postgres' ? ' + PostgreSQL backends' : '') + '); in brackets the req/s ratio',
    '| case | conns | bytes | cached req/s | p50 / p99 ms | CPU ms/req | ratio | cold req/s | p50 / p99 ms | CPU ms/req | ratio | ceiling req/s | ceiling CPU ms/req |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...s.rows.map((r) => `| ${r.case} | ${r.connections} | ${r.bytes} | ${cell(r.cached)} | ${cell(r.cold)} | ${Math.round(r.ceiling.rps)} | ${r.ceiling.cpuMsPerRequest.toFixed(3)} |`),
  ];
  for (const w of s.writes) lines.push(`${w.case}: ${Object.entries(w.resourcesPerSecond).map(([m, n]) => `${m} server ${n} resources/s`).join(', ')}`);
  if (s.export) {
    const e = s.export;
    lines.push(
      `\nBulk export of everything (${db}): ${e.resources} resources in ${e.files} files, ${e.exportSeconds.toFixed(1)} s kick-off to manifest = ` +
        `${e.resourcesPerSecond} resources/s; download ${e.downloadMiB.toFixed(0)} MiB in ${e.downloadSeconds.toFixed(1)} s; export server peak RSS ${e.serverPeakRssMiB} MiB`,
    );
  }
  if (s.codeExchange) {
    const x = s.codeExchange;
    lines.push(`\nSMART code exchange (authorization_code + PKCE, distinct codes, ${connections} connections, ${modes[0]} server): ${Math.round(x.rps)} req/s, p50 ${x.p50} / p99 ${x.p99} ms, ${x.errors} errors, ${x.cpuMsPerRequest.toFixed(3)} CPU ms/req`);
  }
  if (s.sync) {
    const ceiling = s.sync.results.ceiling;
    lines.push(
      '',
      `sync: ${s.sync.patients} patients, each synced twice (token, Patient read, ${s.sync.types} searches by patient, every next link), ${connections} apps at once`,
      '| run | syncs/s | req/s | p50 / p99 ms | errors | CPU ms/req | cache hits | writer | ratio |',
      '|---|---:|---:|---:|---:|---:|---:|---|---:|',
      ...Object.entries(s.sync.results).map(([label, m]) => {
        const writer = m.writer ? `${m.writer.mode === 'http' ? 'POST /fhir' : 'store (no write API on this server)'}, ${m.writer.perSecond.toFixed(1)} tx/s${m.writer.failed ? `, ${m.writer.failed} failed` : ''}` : '–';
        const ratio = label === 'ceiling' ? '1.00' : (ceiling.cpuMsPerRequest / Math.max(m.cpuMsPerRequest + m.dbCpuMsPerRequest, 1e-9)).toFixed(2);
        return `| ${label} | ${m.syncsPerSecond.toFixed(1)} | ${Math.round(m.rps)} | ${fmt(m.p50)} / ${fmt(m.p99)} | ${m.errors} | ${cpuText(m.cpuMsPerRequest, m.dbCpuMsPerRequest, db)} | ${m.hitRate === undefined ? '–' : `${Math.round(m.hitRate * 100)} %`} | ${writer} | ${ratio} |`;
      }),
    );
  }
  process.stdout.write(lines.join('\n') + '\n');
}

const fmt = (ms: number) => (ms >= 10 ? Math.round(ms).toString() : ms.toFixed(1));
const cpuText = (server: number, dbMs: number, db: string) => (db === 'postgres' ? `${server.toFixed(3)} + ${dbMs.toFixed(3)}` : server.toFixed(3));

await main();
