/**
 * What every bench script needs around the server: a fresh database (a temporary SQLite
 * file or a PostgreSQL database of its own), the built server started as `npm start` runs
 * it, and a wait until it answers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const PG_ADMIN = process.env.CHARTKEY_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  url: string;
  /** PostgreSQL database name (undefined for SQLite). */
  pgName?: string;
  /** Temporary folder (the SQLite file, the server's data directory). */
  tmp: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one bench run; drop() removes it and the temporary folder. */
export async function createBenchDatabase(db: 'sqlite' | 'postgres', name = `chartkey_bench_${process.pid}`): Promise<BenchDatabase> {
  const tmp = mkdtempSync(join(tmpdir(), 'chartkey-bench-'));
  if (db === 'sqlite') {
    return { url: `sqlite:${join(tmp, 'bench.sqlite')}`, tmp, drop: async () => rmSync(tmp, { recursive: true, force: true }) };
  }
  await adminQuery(`DROP DATABASE IF EXISTS ${name}`);
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    url: PG_ADMIN.replace(/\/[^/]*$/, `/${name}`),
    pgName: name,
    tmp,
    async drop() {
      rmSync(tmp, { recursive: true, force: true });
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

export interface ServerOptions {
  databaseUrl: string;
  port: number;
  /** Extra environment (e.g. CHARTKEY_CACHE_MB=0, CHARTKEY_DATA_DIR). */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeFlags?: string[];
  /** Append the server's log (stdout) to this file instead of dropping it. */
  logFile?: string;
}

export interface Server {
  proc: ChildProcess;
  base: string;
}

/**
 * The built server (scripts/build.mjs → dist/main.js) started as `npm start` runs it, on
 * 127.0.0.1:port, once /readyz answers. The caller ends it (proc.kill).
 */
export async function startServer(options: ServerOptions): Promise<Server> {
  const base = `http://127.0.0.1:${options.port}`;
  // The same V8 flags as `npm start` (bin/chartkey.js): a 4 MiB young generation keeps the
  // server's resident memory near 150 MiB under load at no measurable cost in throughput;
  // a 1 GiB old generation caps V8's heap growing factor at ~1.6 instead of 4 (the old
  // space's sawtooth: docs/reliability.md). NODE_OPTIONS may set another.
  const oldSpace = /--max-old-space-size/.test(process.env.NODE_OPTIONS ?? '') ? [] : ['--max-old-space-size=1024'];
  const proc = spawn(process.execPath, ['--max-semi-space-size=4', ...oldSpace, ...(options.nodeFlags ?? []), 'dist/main.js', 'serve'], {
    // MALLOC_ARENA_MAX=2 as in `npm start`: glibc's per-thread malloc arenas (V8's GC
    // threads allocate too) otherwise hold ~20 MiB of freed memory under load.
    env: {
      MALLOC_ARENA_MAX: '2',
      ...process.env,
      PORT: String(options.port),
      HOST: '127.0.0.1',
      DATABASE_URL: options.databaseUrl,
      CHARTKEY_DEMO: '0',
      LOG_LEVEL: 'warn',
      PUBLIC_URL: base,
      ...options.env,
    },
    stdio: ['ignore', options.logFile ? openSync(options.logFile, 'a') : 'ignore', 'inherit'],
  });
  try {
    await waitFor(`${base}/readyz`);
  } catch (err) {
    proc.kill('SIGTERM');
    throw err;
  }
  return { proc, base };
}

/** A port below the kernel's ephemeral range (32768+): one the load generator's own connections cannot hold. */
export function benchPort(): number {
  return 10000 + Math.floor(Math.random() * 20000);
}

/** Waits until `url` answers below 500. */
export async function waitFor(url: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
