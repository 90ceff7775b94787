import Database from 'better-sqlite3';
import { chmodSync, closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Backup and restore of the embedded (SQLite) database (SPEC Operations). PostgreSQL is
 * backed up with its own tools, pg_dump and pg_restore (docs/operations.md).
 */
export class BackupError extends Error {
  constructor(
    readonly code: 'not_sqlite' | 'no_database' | 'target_exists' | 'not_a_backup' | 'target_has_data',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** The file a `sqlite:PATH` DATABASE_URL names; PostgreSQL URLs are refused with the way to go. */
export function sqliteFile(databaseUrl: string, verb: 'back up' | 'restore'): string {
  if (!databaseUrl.startsWith('sqlite:')) {
    const tool = verb === 'back up' ? 'pg_dump --format=custom --file=FILE "$DATABASE_URL"' : 'pg_restore --clean --if-exists --dbname="$DATABASE_URL" FILE';
    throw new BackupError('not_sqlite', `DATABASE_URL names a PostgreSQL database: ${verb} it with PostgreSQL's tools, e.g. ${tool} (see docs/operations.md)`);
  }
  const file = databaseUrl.slice('sqlite:'.length);
  if (!file || file === ':memory:') throw new BackupError('no_database', 'an in-memory database has nothing to back up or restore into');
  return file;
}

/** Tables whose rows are the practice's data: a database with any of them is not empty. */
const DATA_TABLES = ['resources', 'staff_users', 'portal_accounts', 'api_credentials', 'api_access_log', 'audit_events'];

export interface BackupResult {
  pages: number;
  bytes: number;
}

/**
 * A consistent copy of a live database: SQLite's online backup API
 * (https://www.sqlite.org/backup.html) copying every page in one step, i.e. inside one
 * read transaction — a snapshot as of one commit, taken while the server keeps writing
 * (in WAL mode readers never block the writer, nor the writer them). Written to a
 * temporary file, checked, flushed to disk and renamed into place, so FILE is either
 * absent or a whole backup. Readable by the owner only: it holds medical records.
 */
export async function backupSqlite(sourceFile: string, target: string): Promise<BackupResult> {
  if (!existsSync(sourceFile)) throw new BackupError('no_database', `no database at ${sourceFile}`);
  if (existsSync(target)) throw new BackupError('target_exists', `${target} exists; choose a new file name`);
  const partial = `${target}.partial-${process.pid}`;
  const source = new Database(sourceFile, { fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    const progress = await source.backup(partial, { progress: () => 0x7fffffff });
    checkBackup(partial);
    durable(partial);
    chmodSync(partial, 0o600);
    renameSync(partial, target);
    durable(dirname(target));
    return { pages: progress.totalPages, bytes: progress.totalPages * (source.pragma('page_size', { simple: true }) as number) };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }
}

/**
 * Puts a backup back as the database at `targetFile`. Refuses a file that is not a whole
 * ChartKey backup, and a target holding data unless `force`. The server must be stopped:
 * the copy replaces the file under it.
 */
export async function restoreSqlite(backupFile: string, targetFile: string, options: { force?: boolean } = {}): Promise<BackupResult> {
  if (!existsSync(backupFile)) throw new BackupError('not_a_backup', `no file at ${backupFile}`);
  checkBackup(backupFile);
  if (existsSync(targetFile) && !options.force) {
    const rows = countData(targetFile);
    if (rows > 0) throw new BackupError('target_has_data', `the database at ${targetFile} holds data (${rows} rows); add --force to replace it`);
  }
  const partial = `${targetFile}.restoring-${process.pid}`;
  const source = new Database(backupFile, { readonly: true, fileMustExist: true });
  try {
    const progress = await source.backup(partial, { progress: () => 0x7fffffff });
    durable(partial);
    chmodSync(partial, 0o600);
    // The old database's write-ahead log belongs to the old file: it must not be replayed into the new one.
    for (const suffix of ['-wal', '-shm']) rmSync(`${targetFile}${suffix}`, { force: true });
    renameSync(partial, targetFile);
    durable(dirname(targetFile));
    return { pages: progress.totalPages, bytes: progress.totalPages * (source.pragma('page_size', { simple: true }) as number) };
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    source.close();
  }
}

/** A whole SQLite file (quick_check) with ChartKey's schema. */
function checkBackup(file: string): void {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
    db.prepare('SELECT COUNT(*) FROM schema_migrations').get();
  } catch (err) {
    throw new BackupError('not_a_backup', `${file} is not a ChartKey database backup (${(err as Error).message})`, { cause: err });
  } finally {
    db?.close();
  }
}

function countData(file: string): number {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    return DATA_TABLES.filter((t) => tables.has(t)).reduce((n, t) => n + Number((db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n), 0);
  } finally {
    db.close();
  }
}

/** fsync a file or a folder (the rename), so a crash right after leaves the copy on disk. */
function durable(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
