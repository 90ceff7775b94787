import pg from 'pg';
import { type Db, DbError, type Queryable, type SqlValue } from './db.js';

// BIGINT (int8) and NUMERIC come back as strings by default; our BIGINTs are epoch
// milliseconds and sequence numbers, all well inside Number's safe range.
pg.types.setTypeParser(20, (v) => Number(v));

/** Rewrites `?` placeholders to `$1…$n`. SQL text never contains literal `?`. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * Distinct SQL texts that become named prepared statements (per process; see openPostgres).
 * 0 for now: measured −35 % backend CPU on a search (docs/performance.md), but the PostgreSQL
 * Synthea reverse-order import test (a transaction that fails and is rolled back) timed
 * out in the one run with it on a saturated machine, and node-pg marks a name as parsed
 * before PostgreSQL confirms it — to be verified before it is turned on (300 was measured).
 */
const PREPARED = 0;

export function openPostgres(url: string, options: { max?: number } = {}): Db {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    // Our queries are short index lookups; JIT compilation (triggered by cost estimates
    // on unanalysed tables) can add hundreds of milliseconds to one of them.
    options: '-c jit=off',
  });
  pool.on('error', () => undefined); // idle client errors surface on the next query
  // Statements by SQL text: the first PREPARED distinct texts run as named prepared
  // statements (each connection parses them once, and PostgreSQL may keep a generic plan
  // after five executions: a search's parse and plan cost ~0.8 ms of backend CPU, as much
  // as executing it); texts beyond that run unnamed, so backends' memory stays bounded.
  const statements = new Map<string, { text: string; name?: string }>();
  const statement = (sql: string) => {
    let s = statements.get(sql);
    if (s === undefined) {
      if (statements.size >= 5000) statements.clear();
      s = { text: toPgPlaceholders(sql), name: named < PREPARED ? `ck${named++}` : undefined };
      statements.set(sql, s);
    }
    return s;
  };
  let named = 0;
  const query = (client: pg.Pool | pg.PoolClient, sql: string, params: readonly SqlValue[]) => {
    const s = statement(sql);
    return wrap(() => client.query(s.name ? { name: s.name, text: s.text, values: params as unknown[] } : { text: s.text, values: params as unknown[] }));
  };

  const on = (client: pg.Pool | pg.PoolClient): Queryable => ({
    dialect: 'postgres',
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(client, sql, params)).rows as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return (await query(client, sql, params)).rows[0] as T | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return (await query(client, sql, params)).rowCount ?? 0;
    },
  });

  const base = on(pool);
  return {
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await wrap(() => pool.connect());
      try {
        await client.query('BEGIN');
        const result = await fn(on(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async exec(sql: string) {
      await wrap(() => pool.query(sql));
    },
    async analyze() {
      // VACUUM too: a freshly loaded table's visibility map is empty, so every "index-only"
      // probe of a search (one per candidate resource) also read the heap page.
      await wrap(() => pool.query('VACUUM (ANALYZE)'));
    },
    async ping() {
      try {
        await pool.query('SELECT 1');
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      await pool.end();
    },
  };
}

async function wrap<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === '23505') throw new DbError('unique_violation', 'unique constraint violated', { cause: err });
    if (code === '40001' || code === '40P01') throw new DbError('serialization_failure', 'serialization failure', { cause: err });
    if (code === 'ECONNREFUSED' || code.startsWith('08')) throw new DbError('unavailable', 'database unavailable', { cause: err });
    throw err;
  }
}
