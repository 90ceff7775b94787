import type { Db } from './db.js';
import { openPostgres } from './postgres.js';
import { openSqlite } from './sqlite.js';

export interface OpenOptions {
  /**
   * Settings for a bulk load (the `import` and `generate` commands, the bench): on SQLite a
   * large page cache for the writing connection and a large WAL autocheckpoint. The server
   * never sets it: its memory budget needs the small cache.
   */
  bulkLoad?: BulkLoadOptions;
  /** Where the database reports trouble it works around by itself (SQLite: a failed background checkpoint). */
  warn?: (message: string) => void;
}

export interface BulkLoadOptions {
  /** Page cache of the SQLite writing connection, in MiB. */
  cacheMiB: number;
  /** SQLite wal_autocheckpoint, in pages (the default is 1,000). */
  walAutocheckpoint: number;
}

/** What the import and generate commands use; see docs/performance.md (Import). */
export const BULK_LOAD: BulkLoadOptions = { cacheMiB: 256, walAutocheckpoint: 16384 };

/** Opens the database named by a DATABASE_URL: `sqlite:PATH`, `sqlite::memory:` or `postgres://…`. */
export function openDb(url: string, options: OpenOptions = {}): Db {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length) || ':memory:', { writer: options.bulkLoad, warn: options.warn });
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    // A bulk load runs long statements (ANALYZE, big transactions) on purpose: no timeouts;
    // and no named statements, whose generic plans could be made while tables are small.
    return openPostgres(url, options.bulkLoad ? { connectTimeoutMs: 10_000, queryTimeoutMs: 0, statementTimeoutMs: 0, preparedStatements: 0 } : {});
  }
  throw new Error(`DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:…")`);
}
