import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The data directory and the files in it hold medical records, the server's master key
 * (in the SQLite database) and mail with sign-in links: readable and writable by the
 * server's own user only — folders 0700, files 0600 (docs/operations.md, "File
 * permissions"). Modes are set explicitly, never left to the umask.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** A path whose mode was narrowed (for the log line at start). */
export interface Tightened {
  path: string;
  from: string;
  to: string;
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8)}`;

/** A data directory that is not ChartKey's to narrow: refused at start rather than chmod'ed. */
export class SharedDirError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`the data directory ${path} ${reason}: set CHARTKEY_DATA_DIR to a folder of ChartKey's own (docs/operations.md, "File permissions")`);
    this.name = 'SharedDirError';
  }
}

/**
 * Creates the folder 0700 (with any missing parents, each 0700); an existing one open to
 * group or others is narrowed to 0700 — unless it is a shared folder (sticky bit, like
 * /tmp) or another user's, which is refused: narrowing it would break everyone else's use.
 */
export function privateDir(path: string): Tightened | undefined {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  const st = statSync(path);
  if ((st.mode & 0o077) !== 0) {
    if ((st.mode & 0o1000) !== 0) throw new SharedDirError(path, 'is shared by every user (sticky bit, like /tmp)');
    if (process.getuid && st.uid !== process.getuid()) throw new SharedDirError(path, `belongs to another user (uid ${st.uid})`);
  }
  return narrow(path, PRIVATE_DIR_MODE);
}

/** Narrows an existing file open to group or others to 0600; with `create`, a missing one is created empty, 0600. */
export function privateFile(path: string, options: { create?: boolean } = {}): Tightened | undefined {
  if (!existsSync(path)) {
    if (options.create) closeSync(openSync(path, 'a', PRIVATE_FILE_MODE));
    return undefined;
  }
  return narrow(path, PRIVATE_FILE_MODE);
}

function narrow(path: string, mode: number): Tightened | undefined {
  const current = statSync(path).mode & 0o777;
  if ((current & 0o077) === 0) return undefined;
  chmodSync(path, mode);
  return { path, from: octal(current), to: octal(mode) };
}

/**
 * An SQLite database file and its companions, before SQLite opens it: a missing file is
 * created empty and 0600 first, because SQLite creates the -wal and -shm files with the
 * database file's own permissions (https://www.sqlite.org/tempfiles.html; unix VFS
 * findCreateFileMode); existing ones looser than 0600 are narrowed. A missing parent
 * folder is created 0700; an existing one is left alone (it may be shared, like /tmp):
 * the data directory itself is narrowed at start by securePrivateData.
 */
export function privateSqliteFiles(file: string): Tightened[] {
  const parent = dirname(file);
  if (!existsSync(parent)) mkdirSync(parent, { recursive: true, mode: PRIVATE_DIR_MODE });
  const changed = [privateFile(file, { create: true }), privateFile(`${file}-wal`), privateFile(`${file}-shm`)];
  return changed.filter((t): t is Tightened => t !== undefined);
}

/**
 * At server start: the data directory (CHARTKEY_DATA_DIR) exists and is 0700, and an
 * SQLite database's files are 0600. Returns what had to be narrowed, for a warning each.
 */
export function securePrivateData(config: { dataDir: string; databaseUrl: string }): Tightened[] {
  const changed: Tightened[] = [];
  const dir = privateDir(config.dataDir);
  if (dir) changed.push(dir);
  const file = config.databaseUrl.startsWith('sqlite:') ? config.databaseUrl.slice('sqlite:'.length) : '';
  if (file && file !== ':memory:') changed.push(...privateSqliteFiles(resolve(file)));
  return changed;
}
