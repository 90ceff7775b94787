import Database from 'better-sqlite3';
import { privateSqliteFiles } from '../ops/private-files.js';
import { type Db, DbError, type Queryable, type SqlValue } from './db.js';
import { type CheckpointSettings, type Checkpointer, DEFAULT_AUTOCHECKPOINT, startCheckpointer } from './sqlite-checkpointer.js';

/**
 * SQLite in WAL mode through two connections: one for reads, which never sees another
 * request's uncommitted writes, and one for writes, which runs transactions one at a
 * time behind a queue (SQLite allows a single writer anyway). A third, on a worker thread,
 * copies the WAL into the database file (sqlite-checkpointer.ts).
 */
const STATEMENT_CACHE = 256;

export interface SqliteOptions {
  /** Bulk-load settings for the writing connection (see BulkLoadOptions in open.ts); its checkpoints stay on the writer. */
  writer?: { cacheMiB: number; walAutocheckpoint: number };
  /** Where the background checkpointer reports a failed checkpoint, or that the writer checkpoints for itself again. */
  warn?: (message: string) => void;
  /** The background checkpointer's timings (tests). */
  checkpoints?: CheckpointSettings;
}

export function openSqlite(file: string, options: SqliteOptions = {}): Db {
  // Medical records: the file (and so its -wal and -shm) 0600, a folder created for it 0700.
  if (file !== ':memory:') privateSqliteFiles(file);
  const writer = new Database(file);
  configure(writer);
  if (options.writer) {
    writer.pragma(`cache_size = ${-Math.round(options.writer.cacheMiB * 1024)}`);
    writer.pragma(`wal_autocheckpoint = ${Math.round(options.writer.walAutocheckpoint)}`);
  }
  // An in-memory database is private to its connection, so reads share the writer.
  const reader = file === ':memory:' ? writer : new Database(file, { readonly: false });
  if (reader !== writer) configure(reader);

  // Prepared statements, least recently used first out. Searches produce many distinct
  // statements (one per shape of parameters); each holds memory inside SQLite, so the
  // cache is bounded rather than cleared wholesale.
  const cache = new Map<Database.Database, Map<string, Database.Statement>>();
  const prepare = (conn: Database.Database, sql: string): Database.Statement => {
    let stmts = cache.get(conn);
    if (!stmts) cache.set(conn, (stmts = new Map()));
    let stmt = stmts.get(sql);
    if (stmt) {
      stmts.delete(sql);
    } else {
      stmt = conn.prepare(sql);
      if (stmts.size >= STATEMENT_CACHE) stmts.delete(stmts.keys().next().value!);
    }
    stmts.set(sql, stmt);
    return stmt;
  };

  const on = (conn: Database.Database): Queryable => ({
    dialect: 'sqlite',
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return wrap(() => prepare(conn, sql).all(...bind(params)) as T[]);
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return wrap(() => prepare(conn, sql).get(...bind(params)) as T | undefined);
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      return wrap(() => prepare(conn, sql).run(...bind(params)).changes);
    },
  });

  const readQ = on(reader);
  const writeQ = on(writer);
  let queue: Promise<unknown> = Promise.resolve();
  let inTx = false;

  // Checkpoints off the JavaScript thread (sqlite-checkpointer.ts), started with the first
  // write: a command that only reads never starts the worker. Not for a bulk load, whose
  // large autocheckpoint is set on the writer above, nor for an in-memory database (no WAL).
  let checkpointer: Checkpointer | undefined;
  let checkpointsOnWriter = Boolean(options.writer) || file === ':memory:';
  const warn = options.warn ?? (() => undefined);
  const checkpointInBackground = () => {
    if (checkpointsOnWriter || checkpointer) return;
    writer.pragma('wal_autocheckpoint = 0');
    checkpointer = startCheckpointer(file, {
      onError: (message) => warn(`SQLite checkpoint failed (retried every interval): ${message}`),
      onFallback: (reason) => {
        checkpointsOnWriter = true;
        if (writer.open) writer.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
        warn(`${reason}; the writing connection checkpoints the WAL itself from now on`);
      },
    }, options.checkpoints);
  };

  const isRead = (sql: string) => /^\s*(select|with)\b/i.test(sql);

  return {
    dialect: 'sqlite',
    all: (sql, params) => (isRead(sql) ? readQ : writeQ).all(sql, params),
    get: (sql, params) => (isRead(sql) ? readQ : writeQ).get(sql, params),
    run: (sql, params) => enqueue(() => writeQ.run(sql, params)),
    transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
      if (inTx) return fn(writeQ);
      return enqueue(async () => {
        inTx = true;
        try {
          wrap(() => writer.exec('BEGIN IMMEDIATE'));
          const result = await fn(writeQ);
          wrap(() => writer.exec('COMMIT'));
          return result;
        } catch (err) {
          // SQLite may have rolled back already (SQLITE_FULL during a statement does).
          if (writer.inTransaction) writer.exec('ROLLBACK');
          throw err;
        } finally {
          inTx = false;
        }
      });
    },
    async exec(sql: string) {
      await enqueue(async () => wrap(() => writer.exec(sql)));
    },
    async analyze() {
      // Deliberately nothing: see Db.analyze.
    },
    async ping() {
      try {
        reader.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
    async configurationWarnings() {
      return [];
    },
    async close() {
      await queue.catch(() => undefined);
      // The worker's connection first: the last connection to close checkpoints the WAL
      // completely and removes it.
      checkpointsOnWriter = true;
      await checkpointer?.stop();
      if (reader !== writer) reader.close();
      writer.close();
    },
  };

  function enqueue<T>(task: () => Promise<T>): Promise<T> {
    checkpointInBackground();
    // The WAL is long enough to start over: writes wait while the worker copies its last frames.
    const quiet = checkpointer?.quietCheckpoint();
    if (quiet) queue = queue.then(quiet, quiet);
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  }
}

function configure(conn: Database.Database): void {
  conn.pragma('journal_mode = WAL');
  conn.pragma('synchronous = NORMAL');
  conn.pragma('foreign_keys = ON');
  conn.pragma('busy_timeout = 5000');
  // Memory is a budget (the server should stay under 150 MiB): an 8 MiB page cache per
  // connection — repeated reads and searches are answered by the result cache, the rest
  // by the OS page cache — and no mmap: mapped pages of a large database count as resident memory.
  conn.pragma('cache_size = -8192');
  conn.pragma('temp_store = MEMORY');
}

function bind(params: readonly SqlValue[]): unknown[] {
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_CONSTRAINT')) throw new DbError('unique_violation', 'constraint violated', { cause: err });
    if (code === 'SQLITE_BUSY') throw new DbError('serialization_failure', 'database busy', { cause: err });
    // https://www.sqlite.org/rescode.html#full: the disk (or a size limit) is full; nothing
    // of the failed statement is stored and reads keep working.
    if (code === 'SQLITE_FULL') throw new DbError('storage_full', 'database or disk is full', { cause: err });
    if (code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN') throw new DbError('unavailable', 'database file unavailable', { cause: err });
    throw err;
  }
}
