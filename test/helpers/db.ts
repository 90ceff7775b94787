import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { relative } from 'node:path';
import { expect } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { migrate } from '../../src/db/migrate.js';
import type { Migration } from '../../src/db/migrations/types.js';
import { openDb } from '../../src/db/open.js';

/**
 * The database backends every storage test runs on. PostgreSQL tests use a fresh
 * database per call (created and dropped here); they are skipped, with a printed notice,
 * only when no server answers on PGHOST/127.0.0.1:5432 — CI always has one.
 */
export const PG_ADMIN_URL = process.env.CHARTKEY_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let pgAvailable: boolean | undefined;
export async function postgresAvailable(): Promise<boolean> {
  if (pgAvailable !== undefined) return pgAvailable;
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    pgAvailable = true;
  } catch (err) {
    // CI sets CHARTKEY_REQUIRE_PG=1: there the PostgreSQL half of the suite must run.
    if (process.env.CHARTKEY_REQUIRE_PG === '1') throw new Error(`PostgreSQL is required (CHARTKEY_REQUIRE_PG=1) but ${PG_ADMIN_URL} is unreachable`, { cause: err });
    pgAvailable = false;
    console.warn(`NOTICE: PostgreSQL not reachable at ${PG_ADMIN_URL}; PostgreSQL tests are skipped.`);
  } finally {
    await client.end().catch(() => undefined);
  }
  return pgAvailable;
}

export interface TestDb {
  db: Db;
  url: string;
  drop(): Promise<void>;
}

/**
 * A new, empty PostgreSQL database for a test, named `chartkey_test_…` and commented with
 * the test file that made it: one a test forgets to drop says whose it is (`\l+` in psql).
 */
export async function createPgDatabase(): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `chartkey_test_${randomBytes(6).toString('hex')}`;
  const testPath = expect.getState().testPath;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    if (testPath) await admin.query(`COMMENT ON DATABASE ${name} IS ${pg.escapeLiteral(relative(process.cwd(), testPath))}`);
  } finally {
    await admin.end();
  }
  return { name, url: PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`), drop: () => dropPgDatabase(name) };
}

async function dropPgDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** A new, migrated, empty database of the given kind (`migrations`: only these, e.g. to test an upgrade). */
export async function createTestDb(kind: 'sqlite' | 'postgres', options: { migrations?: readonly Migration[] } = {}): Promise<TestDb> {
  if (kind === 'sqlite') {
    const url = 'sqlite::memory:';
    const db = openDb(url);
    await migrate(db, options.migrations);
    return { db, url, drop: () => db.close() };
  }
  const pgDatabase = await createPgDatabase();
  const db = openDb(pgDatabase.url);
  await migrate(db, options.migrations);
  return {
    db,
    url: pgDatabase.url,
    async drop() {
      // The services that used it may have closed it already (a pool ends once); the database goes either way.
      await db.close().catch(() => undefined);
      await pgDatabase.drop();
    },
  };
}

/** The backends to run a suite on: always SQLite, PostgreSQL when reachable. */
export async function backends(): Promise<Array<'sqlite' | 'postgres'>> {
  return (await postgresAvailable()) ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** Every table of the database (for "this value is stored nowhere" checks). */
export async function allTables(db: Db): Promise<string[]> {
  const rows =
    db.dialect === 'sqlite'
      ? await db.all<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      : await db.all<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name");
  return rows.map((r) => r.name);
}

/** Every row of every table, as one JSON text per table. */
export async function dumpTables(db: Db): Promise<Array<[table: string, rows: string]>> {
  const out: Array<[string, string]> = [];
  for (const table of await allTables(db)) out.push([table, JSON.stringify(await db.all(`SELECT * FROM "${table}"`))]);
  return out;
}
