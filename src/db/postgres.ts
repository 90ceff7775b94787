import pg from 'pg';
import { type Db, DbError, type Queryable, type SqlValue, type TransactionOptions } from './db.js';
import { classifyPgError } from './pg-errors.js';
import { CHECKED_SETTINGS, settingWarnings } from './pg-settings.js';

// BIGINT (int8) and NUMERIC come back as strings by default; our BIGINTs are epoch
// milliseconds and sequence numbers, all well inside Number's safe range.
pg.types.setTypeParser(20, (v) => Number(v));

/** Rewrites `?` placeholders to `$1…$n`. SQL text never contains literal `?`. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export interface PostgresOptions {
  max?: number;
  /**
   * Bounds that turn an unreachable or stalled database into a DbError('unavailable') the
   * HTTP surfaces answer with 503 (SPEC Operations: "answers 503 within 5 seconds"):
   * waiting for a connection (new, or a free one from the pool), and waiting for a query's
   * answer on the client side (a stalled network never answers). The server cancels a
   * statement itself after `statementTimeoutMs`. 0 turns a bound off (bulk loads).
   */
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  statementTimeoutMs?: number;
  /** How many distinct read texts run as named prepared statements (default PREPARED_STATEMENTS; 0: none). */
  preparedStatements?: number;
}

/**
 * Distinct read statements (SELECT / WITH, run outside a transaction) that become named
 * prepared statements: each connection parses and plans such a text once and PostgreSQL
 * may keep a generic plan after five executions — a search's parse and plan cost about as
 * much backend CPU as executing it. Bounded, so backends' memory is; the texts past the
 * bound, writes and everything inside a transaction (imports, bulk loads: plans made while
 * a table is still small must not stick) run unnamed, parsed and planned each time.
 */
export const PREPARED_STATEMENTS = 200;

/** The server's bounds: one wait of at most 4 s, so a request stuck on the database answers 503 within 5 s (a slow legitimate query, ~3 s under load, still completes). */
export const SERVER_TIMEOUTS = { connectTimeoutMs: 2000, queryTimeoutMs: 4000, statementTimeoutMs: 4000 } as const;

export function openPostgres(url: string, options: PostgresOptions = {}): Db {
  const connectTimeoutMs = options.connectTimeoutMs ?? SERVER_TIMEOUTS.connectTimeoutMs;
  const queryTimeoutMs = options.queryTimeoutMs ?? SERVER_TIMEOUTS.queryTimeoutMs;
  const statementTimeoutMs = options.statementTimeoutMs ?? SERVER_TIMEOUTS.statementTimeoutMs;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    // Our queries are short index lookups; JIT compilation (triggered by cost estimates
    // on unanalysed tables) can add hundreds of milliseconds to one of them.
    options: '-c jit=off',
    connectionTimeoutMillis: connectTimeoutMs || undefined,
    query_timeout: queryTimeoutMs || undefined,
    statement_timeout: statementTimeoutMs || undefined,
    // Dead peers (a cut network) are noticed on idle connections too.
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
  });
  // An idle client that fails is removed from the pool by pg-pool itself; the next query
  // opens a fresh connection, so the pool recovers when the database is back.
  pool.on('error', () => undefined);
  // Statements by SQL text. Prepared statements belong to a connection: pg names them per
  // client (Connection.parsedStatements, filled when the server confirms the Parse), so a
  // new connection after an outage parses each name again on first use, and a connection
  // that failed or timed out is destroyed, never reused (wrap, transaction below). A name
  // always stands for the same text: named entries are never evicted or renamed.
  const preparedLimit = options.preparedStatements ?? PREPARED_STATEMENTS;
  let named = 0;
  const statements = new Map<string, { text: string; name?: string }>();
  const statement = (sql: string) => {
    let s = statements.get(sql);
    if (s === undefined) {
      if (statements.size >= 5000) for (const [k, v] of statements) if (!v.name) statements.delete(k);
      const read = /^\s*(select|with)\b/i.test(sql);
      s = { text: toPgPlaceholders(sql), name: read && named < preparedLimit ? `ck${named++}` : undefined };
      statements.set(sql, s);
    }
    return s;
  };

  // `prepared`: named statements allowed (the pool, outside transactions). `unbounded`: no
  // client-side read timeout (setTimeout's largest delay; pg treats 0 as "use the default").
  const on = (client: pg.Pool | pg.PoolClient, { prepared = false, unbounded = false } = {}): Queryable => {
    const q = (sql: string, params: readonly SqlValue[]) => {
      const s = statement(sql);
      // query_timeout per query is read by pg's Client.query but missing from @types/pg.
      const config = (
        unbounded
          ? { text: s.text, values: params, query_timeout: 2 ** 31 - 1 }
          : prepared && s.name
            ? { name: s.name, text: s.text, values: params }
            : { text: s.text, values: params }
      ) as pg.QueryConfig;
      return wrap(() => client.query(config));
    };
    return {
      dialect: 'postgres',
      async all<T>(sql: string, params: readonly SqlValue[] = []) {
        return (await q(sql, params)).rows as T[];
      },
      async get<T>(sql: string, params: readonly SqlValue[] = []) {
        return (await q(sql, params)).rows[0] as T | undefined;
      },
      async run(sql: string, params: readonly SqlValue[] = []) {
        return (await q(sql, params)).rowCount ?? 0;
      },
    };
  };

  const base = on(pool, { prepared: true });
  return {
    ...base,
    async transaction<T>(fn: (tx: Queryable) => Promise<T>, txOptions: TransactionOptions = {}): Promise<T> {
      const client = await wrap(() => pool.connect());
      let broken: Error | undefined;
      try {
        await wrap(() => client.query('BEGIN'));
        if (txOptions.unbounded) await wrap(() => client.query('SET LOCAL statement_timeout = 0'));
        const result = await fn(on(client, { unbounded: txOptions.unbounded }));
        await wrap(() => client.query('COMMIT'));
        return result;
      } catch (err) {
        // A connection that failed or timed out is in an unknown state: it is destroyed
        // on release instead of going back to the pool.
        if (err instanceof DbError && err.code === 'unavailable') broken = err;
        else await client.query('ROLLBACK').catch((e: Error) => (broken = e));
        throw err;
      } finally {
        client.release(broken);
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
    async configurationWarnings() {
      const { rows } = await wrap(() => pool.query<{ name: string; setting: string }>('SELECT name, setting FROM pg_settings WHERE name = ANY($1)', [[...CHECKED_SETTINGS]]));
      return settingWarnings(new Map(rows.map((r) => [r.name, r.setting])));
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
    const code = classifyPgError(err);
    if (code === 'unique_violation') throw new DbError(code, 'unique constraint violated', { cause: err });
    if (code === 'serialization_failure') throw new DbError(code, 'serialization failure', { cause: err });
    if (code === 'unavailable') throw new DbError(code, 'database unavailable', { cause: err });
    throw err;
  }
}
