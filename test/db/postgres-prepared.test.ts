import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DbError, type Db } from '../../src/db/db.js';
import { openPostgres } from '../../src/db/postgres.js';
import { createPgDatabase, PG_ADMIN_URL, postgresAvailable } from '../helpers/db.js';

/**
 * Issue 12: hot reads run as named prepared statements on PostgreSQL. A name lives on one
 * connection: after the connection is lost (an outage, a restart, a terminated backend)
 * the next connection must parse it again, and the answers must stay right.
 */
const available = await postgresAvailable();

/** The named statements of the one connection a `max: 1` pool has. */
const prepared = async (db: Db) =>
  (await db.all<{ name: string; statement: string }>('SELECT name, statement FROM pg_prepared_statements ORDER BY name')).map((r) => `${r.name}: ${r.statement}`);

describe.runIf(available)('PostgreSQL named prepared statements', () => {
  let pgDatabase: Awaited<ReturnType<typeof createPgDatabase>>;
  let url = '';
  const admin = () => new pg.Client({ connectionString: PG_ADMIN_URL });

  beforeAll(async () => {
    pgDatabase = await createPgDatabase();
    url = pgDatabase.url;
  });
  afterAll(async () => pgDatabase?.drop());

  it('reads outside a transaction are named; reads in a transaction and writes are not', async () => {
    const db = openPostgres(url, { max: 1 });
    try {
      await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
      await db.run('INSERT INTO t (id, v) VALUES (?, ?)', [1, 'one']);
      expect(await db.get('SELECT v FROM t WHERE id = ?', [1])).toEqual({ v: 'one' });
      expect(await db.get('SELECT v FROM t WHERE id = ?', [2])).toBeUndefined();
      await db.transaction(async (tx) => expect(await tx.get('SELECT id FROM t WHERE v = ?', ['one'])).toEqual({ id: 1 }));
      const names = await prepared(db);
      expect(names).toContain('ck0: SELECT v FROM t WHERE id = $1');
      expect(names.some((n) => n.includes('WHERE v = $1'))).toBe(false);
      expect(names.some((n) => n.includes('INSERT'))).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('after the connection is lost, the next one parses the statement again and answers right', { timeout: 60_000 }, async () => {
    const db = openPostgres(url, { max: 1 });
    try {
      expect(await db.get('SELECT v FROM t WHERE id = ?', [1])).toEqual({ v: 'one' });
      const before = (await db.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid;
      const a = admin();
      await a.connect();
      await a.query('SELECT pg_terminate_backend($1)', [before]);
      await a.end();
      // The pool notices the dead connection on its error event or on the next query (503-style DbError); then it connects anew.
      let row: unknown;
      for (let i = 0; i < 50; i++) {
        try {
          row = await db.get('SELECT v FROM t WHERE id = ?', [1]);
          break;
        } catch (err) {
          expect(err).toBeInstanceOf(DbError);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(row).toEqual({ v: 'one' });
      expect((await db.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!.pid).not.toBe(before);
      expect(await prepared(db)).toContain('ck0: SELECT v FROM t WHERE id = $1');
      // A change the cached plan must see (PostgreSQL re-plans a prepared statement when the table changes).
      await db.exec('CREATE INDEX t_v ON t (v)');
      await db.run('UPDATE t SET v = ? WHERE id = ?', ['uno', 1]);
      expect(await db.get('SELECT v FROM t WHERE id = ?', [1])).toEqual({ v: 'uno' });
    } finally {
      await db.close();
    }
  });

  it('preparedStatements: 0 (bulk loads) names nothing', async () => {
    const db = openPostgres(url, { max: 1, preparedStatements: 0 });
    try {
      expect(await db.get('SELECT v FROM t WHERE id = ?', [1])).toBeDefined();
      expect(await prepared(db)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
