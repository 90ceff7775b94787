import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open.js';
import { openSqlite } from '../../src/db/sqlite.js';
import { startCheckpointer } from '../../src/db/sqlite-checkpointer.js';

/**
 * SQLite's WAL checkpoints run on a worker thread, not in the commits of the writing
 * connection (which on the server is the JavaScript thread). What shows it from outside:
 * committed pages live in the WAL until a checkpoint copies them into the database file,
 * so the main file grows only when a checkpoint has run. SQLite's default
 * (wal_autocheckpoint = 1000 pages) would copy them inside the commit that passes 1,000.
 */
const PAGE = 4096;
/** ~2,500 pages of rows, well past the 1,000 pages after which a commit checkpoints by default. */
const ROWS = 2_500;
const BLOB = 'x'.repeat(3_000);

let dir: string;
let db: Db | undefined;
afterEach(async () => {
  await db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** One transaction of ~2,500 pages. */
async function writeRows(d: Db, from: number): Promise<void> {
  await d.transaction(async (tx) => {
    for (let i = 0; i < ROWS; i++) await tx.run('INSERT INTO t (id, body) VALUES (?, ?)', [from + i, BLOB]);
  });
}

async function until(what: string, test: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const size = (file: string) => (existsSync(file) ? statSync(file).size : 0);

describe('SQLite checkpoints on a worker thread', () => {
  it('commits never copy the WAL into the database file themselves; the worker does, and the WAL is reused', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'chartkey-ckpt-'));
    const file = join(dir, 'db.sqlite');
    db = openDb(`sqlite:${file}`);
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    await until('the schema is checkpointed', () => size(file) >= 2 * PAGE);
    const before = size(file);

    // ~10 MB committed. A commit that checkpoints would have copied all of it into the file
    // before returning; the worker cannot have copied any of it in the microseconds between
    // the commit and the look at the file (it wakes every 200 ms, and copying 2,500 pages
    // takes milliseconds).
    await writeRows(db, 0);
    expect(size(file)).toBe(before);
    expect(size(`${file}-wal`)).toBeGreaterThan(ROWS * 3_000);

    // The worker copies everything into the database file…
    await until('the rows reach the database file', () => size(file) >= before + ROWS * 3_000);
    // …and a reader outside the server sees them from the file alone.
    const reader = new Database(file, { readonly: true });
    try {
      expect(reader.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: ROWS });
    } finally {
      reader.close();
    }

    // Once all of it is copied, SQLite writes the WAL from its beginning again: a second
    // round of the same size leaves the WAL file no larger than the first round did.
    const walAfterFirst = size(`${file}-wal`);
    await writeRows(db, ROWS);
    await until('the second round reaches the database file', () => size(file) >= before + 2 * ROWS * 3_000);
    expect(size(`${file}-wal`)).toBeLessThanOrEqual(walAfterFirst + 200 * PAGE);

    // Closing stops the worker; the last connection checkpoints and removes the WAL.
    await db.close();
    db = undefined;
    expect(existsSync(`${file}-wal`)).toBe(false);
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 * ROWS });
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      check.close();
    }
  });

  it('under a steady stream of writes and reads the WAL still starts over: its file stays bounded', { timeout: 60_000 }, async () => {
    dir = mkdtempSync(join(tmpdir(), 'chartkey-ckpt-'));
    const file = join(dir, 'db.sqlite');
    // A quiet moment is asked for at 256 frames (1 MiB): small enough for a short test.
    db = openSqlite(file, { checkpoints: { intervalMs: 50, quietPages: 256 } });
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    let written = 0;
    let largestWal = 0;
    let id = 0;
    // Writes one after another with reads between them, as the server's traffic is: never a
    // moment without a write for long, so the WAL cannot start over on its own.
    while (written < 48 * 1024 * 1024) {
      await db.transaction(async (tx) => {
        for (let i = 0; i < 8; i++) await tx.run('INSERT INTO t (id, body) VALUES (?, ?)', [id++, BLOB]);
      });
      written += 8 * BLOB.length;
      await db.get('SELECT body FROM t WHERE id = ?', [id - 1]);
      largestWal = Math.max(largestWal, size(`${file}-wal`));
      // ~20 MB/s at most: a busy server's rate (the soak's writes fill ~12 MB of WAL a second).
      await new Promise((r) => setTimeout(r, 1));
    }
    // 48 MB went through the WAL; it never held more than a few quiet moments' worth.
    expect(largestWal).toBeLessThan(8 * 1024 * 1024);
    expect(await db.get('SELECT count(*) AS n FROM t')).toEqual({ n: id });
  });

  it('a database that is only read starts no worker: its connections keep SQLite’s own setting', async () => {
    dir = mkdtempSync(join(tmpdir(), 'chartkey-ckpt-'));
    const file = join(dir, 'db.sqlite');
    const setup = new Database(file);
    setup.pragma('journal_mode = WAL');
    setup.exec('CREATE TABLE t (id INTEGER PRIMARY KEY)');
    setup.close();
    db = openDb(`sqlite:${file}`);
    expect(await db.all('SELECT * FROM t')).toEqual([]);
    expect(await db.get('PRAGMA wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 1000 });
    await db.run('INSERT INTO t (id) VALUES (1)');
    // PRAGMA reads go to the reading connection; the writer's own setting is what changed.
    expect(await db.transaction((tx) => tx.get('PRAGMA wal_autocheckpoint'))).toEqual({ wal_autocheckpoint: 0 });
  });

  it('a process whose last work is closing the database finishes closing it (the worker holds the process while it stops)', () => {
    dir = mkdtempSync(join(tmpdir(), 'chartkey-ckpt-'));
    const file = join(dir, 'db.sqlite');
    const script = `
      import { openDb } from ${JSON.stringify(join(process.cwd(), 'src/db/open.ts'))};
      const db = openDb(${JSON.stringify(`sqlite:${file}`)});
      await db.exec('CREATE TABLE t (x)');
      await db.close();
      console.log('closed');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    // An unsettled top-level await ends node with status 13 and nothing printed.
    expect({ status: child.status, stdout: child.stdout.trim() }).toEqual({ status: 0, stdout: 'closed' });
    expect(existsSync(`${file}-wal`)).toBe(false);
  });

  it('when the worker cannot run, the caller is told to checkpoint on the writer again', async () => {
    dir = mkdtempSync(join(tmpdir(), 'chartkey-ckpt-'));
    const reasons: string[] = [];
    const checkpointer = startCheckpointer(join(dir, 'missing.sqlite'), { onFallback: (reason) => reasons.push(reason) });
    await until('the fallback is reported', () => reasons.length > 0);
    expect(reasons[0]).toMatch(/checkpoint worker (failed|exited)/);
    await checkpointer.stop();
  });
});
