import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import backupCommand from '../../src/cli/backup.js';
import restoreCommand from '../../src/cli/restore.js';
import type { CliContext } from '../../src/cli/types.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logger.js';
import { createServices, type Services } from '../../src/services.js';
import { spawnChartkey } from '../helpers/child.js';
import { PG_ADMIN_URL } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * SPEC Operations: "chartkey backup FILE takes a consistent copy of the embedded database
 * while the server runs; chartkey restore FILE puts one back into the database that
 * DATABASE_URL names (it refuses to overwrite a database that holds data unless --force)."
 */
const dir = mkdtempSync(join(tmpdir(), 'chartkey-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const live = join(dir, 'live.sqlite');

function context(databaseUrl: string) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) => {
    const s = new PassThrough();
    s.on('data', (c: Buffer) => into.push(c.toString()));
    return s;
  };
  const ctx: CliContext = { config: loadConfig({ DATABASE_URL: databaseUrl, CHARTKEY_DATA_DIR: dir, CHARTKEY_DEMO: '0' }), stdout: sink(out), stderr: sink(err), interactive: false };
  return { ctx, out: () => out.join(''), err: () => err.join('') };
}

const open = (url: string) => createServices(loadConfig({}, { databaseUrl: url, dataDir: dir, demo: false }), { logger: createLogger('silent') });

/** Each write is one transaction holding a Patient and its Observation: a torn copy would show one without the other. */
const pair = (services: Services, n: number) =>
  services.store.transaction(async (tx) => {
    await tx.put({ resourceType: 'Patient', id: `w${n}`, name: [{ family: `Writer${n}` }] });
    await tx.put({ resourceType: 'Observation', id: `w${n}-o`, status: 'final', code: { text: 'x' }, subject: { reference: `Patient/w${n}` } });
  });

describe('chartkey backup and restore (SQLite)', () => {
  let services: Services;
  let working: Awaited<ReturnType<typeof credentialFor>>;
  let revoked: { key: string; secret: string };
  const backupFile = join(dir, 'snapshot.sqlite');
  let before: { resources: string; history: string; accessLog: number; credentials: number };
  let writes = 0;

  beforeAll(async () => {
    services = await open(`sqlite:${live}`);
    await services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'b1', name: [{ family: 'Before' }] }));
    await services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'b1', name: [{ family: 'Before', given: ['Twice'] }] }));
    working = await credentialFor(services, 'b1', 'Working app');
    const gone = await credentialFor(services, 'b1', 'Revoked app');
    revoked = gone;
    await services.credentials.revoke(gone.credential.id, 'test');
    services.accessLog.recordApiAccess([
      { credentialId: working.credential.id, patientId: 'b1', at: Date.now(), interaction: 'read', resourceType: 'Patient', count: 1 },
      { credentialId: working.credential.id, patientId: 'b1', at: Date.now(), interaction: 'search-type', resourceType: 'Observation', count: 0 },
    ]);
    await services.accessLog.flush();
    const db = services.db;
    before = {
      resources: JSON.stringify(await db.all("SELECT type, id, version, content FROM resources WHERE id = 'b1'")),
      history: JSON.stringify(await db.all('SELECT version, content FROM resource_history ORDER BY version')),
      accessLog: (await db.all('SELECT seq FROM api_access_log')).length,
      credentials: (await db.all('SELECT id FROM api_credentials')).length,
    };
  });
  afterAll(async () => services?.close());

  it('backs up while another process keeps writing, into a file readable by its owner only', async () => {
    let stop = false;
    const writer = (async () => {
      // setImmediate between writes: SQLite calls finish in microtasks, and the child's exit must get through.
      while (!stop) {
        await pair(services, ++writes);
        await new Promise((r) => setImmediate(r));
      }
    })();
    const child = spawnChartkey(['backup', backupFile], { DATABASE_URL: `sqlite:${live}` });
    const code = await child.exited;
    stop = true;
    await writer;
    expect(code, child.stderr()).toBe(0);
    expect(child.stdout()).toMatch(/^Backed up [\d,]+ pages \([\d.]+ MiB\) to .*snapshot\.sqlite\n$/);
    expect(writes).toBeGreaterThan(0);
    expect(statSync(backupFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${backupFile}.partial-${child.proc.pid}`)).toBe(false);
  });

  it('the backup is a whole database as of one commit: integrity check passes, no write torn', () => {
    const copy = new Database(backupFile, { readonly: true });
    try {
      expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
      const ids = (copy.prepare("SELECT id FROM resources WHERE id LIKE 'w%'").all() as Array<{ id: string }>).map((r) => r.id);
      const patients = ids.filter((id) => !id.endsWith('-o'));
      expect(ids.length).toBe(patients.length * 2);
      for (const p of patients) expect(ids).toContain(`${p}-o`);
      // Writes are numbered in commit order: a snapshot holds a prefix of them.
      const numbers = patients.map((p) => Number(p.slice(1))).sort((a, b) => a - b);
      expect(numbers).toEqual(numbers.map((_, i) => i + 1));
    } finally {
      copy.close();
    }
  });

  it('restore into a new database brings back every resource, version, credential and access-log row', async () => {
    const target = join(dir, 'restored.sqlite');
    const c = context(`sqlite:${target}`);
    expect(await restoreCommand.run([backupFile], c.ctx), c.err()).toBe(0);
    expect(c.out()).toMatch(/^Restored [\d,]+ pages .* into .*restored\.sqlite\n$/);
    const restored = await open(`sqlite:${target}`);
    try {
      const db = restored.db;
      expect(JSON.stringify(await db.all("SELECT type, id, version, content FROM resources WHERE id = 'b1'"))).toBe(before.resources);
      expect(JSON.stringify(await db.all('SELECT version, content FROM resource_history ORDER BY version'))).toBe(before.history);
      expect((await db.all('SELECT seq FROM api_access_log')).length).toBe(before.accessLog);
      expect((await db.all('SELECT id FROM api_credentials')).length).toBe(before.credentials);
      expect(await restored.credentials.verify(working.key, working.secret)).toMatchObject({ patientId: 'b1' });
      expect(await restored.credentials.verify(revoked.key, revoked.secret)).toBeUndefined();
      // Search agrees with reads on the restored copy.
      const read = await restored.store.read({ kind: 'all' }, 'Patient', 'b1');
      expect(JSON.parse(read!.json).name[0].given).toEqual(['Twice']);
    } finally {
      await restored.close();
    }
  });

  it('refuses to overwrite a database that holds data, and does with --force', async () => {
    const c = context(`sqlite:${live}`);
    expect(await restoreCommand.run([backupFile], c.ctx)).toBe(1);
    expect(c.err()).toMatch(/holds data \(\d+ rows\); add --force to replace it/);
    // The refused restore changed nothing.
    expect((await services.db.all("SELECT id FROM resources WHERE id LIKE 'w%'")).length).toBe(writes * 2);
  });

  it('--force replaces the database (the server stopped first)', async () => {
    const target = join(dir, 'forced.sqlite');
    const seeded = await open(`sqlite:${target}`);
    await seeded.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'other' }));
    await seeded.close();
    const c = context(`sqlite:${target}`);
    expect(await restoreCommand.run([backupFile, '--force'], c.ctx), c.err()).toBe(0);
    const db = new Database(target, { readonly: true });
    try {
      expect(db.prepare("SELECT id FROM resources WHERE id = 'other'").get()).toBeUndefined();
      expect(db.prepare("SELECT id FROM resources WHERE id = 'b1'").get()).toEqual({ id: 'b1' });
    } finally {
      db.close();
    }
  });

  it('refuses a file that is not a ChartKey backup, and an existing backup target', async () => {
    const c = context(`sqlite:${join(dir, 'x.sqlite')}`);
    expect(await restoreCommand.run([live + '-nonexistent'], c.ctx)).toBe(1);
    const b = context(`sqlite:${live}`);
    expect(await backupCommand.run([backupFile], b.ctx)).toBe(1);
    expect(b.err()).toContain('exists; choose a new file name');
  });

  it('on PostgreSQL, both commands say to use pg_dump / pg_restore', async () => {
    const url = PG_ADMIN_URL.replace(/\/[^/]*$/, '/chartkey');
    const b = context(url);
    expect(await backupCommand.run([join(dir, 'pg.dump')], b.ctx)).toBe(1);
    expect(b.err()).toContain('pg_dump');
    const r = context(url);
    expect(await restoreCommand.run([backupFile], r.ctx)).toBe(1);
    expect(r.err()).toContain('pg_restore');
  });
});
