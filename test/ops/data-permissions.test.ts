import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { createMailer } from '../../src/mail/mailer.js';
import { spawnChartkey } from '../helpers/child.js';

/**
 * Issue 13 (security review): the data directory holds medical records, the server's
 * master key (in the SQLite database) and mail with sign-in links, so ChartKey makes it
 * 0700 and its files 0600 — on a fresh start, and by narrowing a looser existing
 * directory or database at start (with a warning in the log).
 */
const root = mkdtempSync(join(tmpdir(), 'chartkey-perms-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const mode = (path: string) => statSync(path).mode & 0o777;

/**
 * `chartkey serve` on the default embedded database inside `dataDir`; `whileUp` runs once
 * it listens (the -wal and -shm files exist only while the database is open). Returns its stdout.
 */
async function serveOnce(dataDir: string, whileUp: () => void): Promise<string> {
  const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { CHARTKEY_DATA_DIR: dataDir });
  try {
    // Fastify's own log line comes after every line logged at start.
    await server.waitFor(/Server listening at/);
    whileUp();
    return server.stdout();
  } finally {
    server.proc.kill('SIGTERM');
    await server.exited;
  }
}

describe('data directory permissions', () => {
  it('creates the data directory 0700 and the database, -wal and -shm files 0600', async () => {
    const dataDir = join(root, 'fresh', 'data');
    await serveOnce(dataDir, () => {
      expect(mode(dataDir)).toBe(0o700);
      // A missing parent is created by the same call, private too.
      expect(mode(join(root, 'fresh'))).toBe(0o700);
      const files = readdirSync(dataDir).filter((f) => f.startsWith('chartkey.sqlite'));
      expect(files.sort()).toEqual(['chartkey.sqlite', 'chartkey.sqlite-shm', 'chartkey.sqlite-wal']);
      for (const f of files) expect({ file: f, mode: mode(join(dataDir, f)).toString(8) }).toEqual({ file: f, mode: '600' });
    });
  }, 60_000);

  it('narrows a data directory and database left open to others, and says so in the log', async () => {
    const dataDir = join(root, 'loose');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const db = join(dataDir, 'chartkey.sqlite');
    closeSync(openSync(db, 'w', 0o644));
    chmodSync(db, 0o644);
    const stdout = await serveOnce(dataDir, () => {
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(db)).toBe(0o600);
      expect(mode(`${db}-wal`)).toBe(0o600);
    });
    const warnings = stdout.split('\n').filter((l) => l.includes('narrowed the permissions'));
    expect(warnings.map((l) => JSON.parse(l) as { path: string; from: string; to: string }).map(({ path, from, to }) => ({ path, from, to }))).toEqual([
      { path: dataDir, from: '0755', to: '0700' },
      { path: db, from: '0644', to: '0600' },
    ]);
  }, 60_000);

  it('refuses to start on a shared folder (sticky bit, like /tmp) rather than narrowing it for everyone', async () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { CHARTKEY_DATA_DIR: shared });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toContain(`the data directory ${shared} is shared by every user (sticky bit, like /tmp)`);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    expect(readdirSync(shared)).toEqual([]);
  }, 60_000);

  it('writes outbox mail 0600 in a 0700 folder', async () => {
    const dataDir = join(root, 'mail');
    const mailer = createMailer({ dataDir, logger: createLogger('silent') });
    await mailer.send({ to: 'a@example.org', subject: 'Invitation', text: 'hello', link: 'http://x/activate' });
    const outbox = join(dataDir, 'outbox');
    expect(existsSync(outbox)).toBe(true);
    expect(mode(outbox)).toBe(0o700);
    const [file] = readdirSync(outbox);
    expect(mode(join(outbox, file))).toBe(0o600);
  });
});
