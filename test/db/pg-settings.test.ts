import pg from 'pg';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { settingWarnings } from '../../src/db/pg-settings.js';
import { spawnChartkey } from '../helpers/child.js';
import { createTestDb, PG_ADMIN_URL, postgresAvailable } from '../helpers/db.js';

/**
 * Issue 13 (time): a PostgreSQL without autovacuum keeps every dead row and stale
 * statistics, so a long-running server slows down as it ages; without fsync or
 * full_page_writes a machine crash can lose acknowledged writes. ChartKey says so in its
 * log when it starts (docs/operations.md, "PostgreSQL settings").
 */
const DEFAULTS = new Map([
  // PostgreSQL's defaults (postgresql.org/docs/15/runtime-config.html): all on.
  ['autovacuum', 'on'],
  ['track_counts', 'on'],
  ['fsync', 'on'],
  ['full_page_writes', 'on'],
]);
const withSetting = (name: string, value: string) => new Map([...DEFAULTS, [name, value]]);

describe('PostgreSQL settings warned about at start-up', () => {
  it("says nothing about PostgreSQL's defaults", () => {
    expect(settingWarnings(DEFAULTS)).toEqual([]);
  });

  it('warns when autovacuum is off, or track_counts (without which autovacuum cannot run)', () => {
    for (const name of ['autovacuum', 'track_counts']) {
      const warnings = settingWarnings(withSetting(name, 'off'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`${name}=off`);
      expect(warnings[0]).toContain('docs/operations.md');
    }
  });

  it('warns when fsync or full_page_writes is off', () => {
    for (const name of ['fsync', 'full_page_writes']) {
      const warnings = settingWarnings(withSetting(name, 'off'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`PostgreSQL ${name} is off`);
    }
  });

  it('has nothing to say of the embedded database', async () => {
    const t = await createTestDb('sqlite');
    try {
      expect(await t.db.configurationWarnings()).toEqual([]);
    } finally {
      await t.drop();
    }
  });
});

const available = await postgresAvailable();

describe.runIf(available)('chartkey serve on PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'chartkey-pgsettings-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("logs a warning for each risky setting the database really has, read here with SHOW", async () => {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const show = async (name: string) => (await admin.query<Record<string, string>>(`SHOW ${name}`)).rows[0][name];
    const actual = { autovacuum: await show('autovacuum'), track_counts: await show('track_counts'), fsync: await show('fsync'), full_page_writes: await show('full_page_writes') };
    await admin.end();

    const t = await createTestDb('postgres');
    const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { DATABASE_URL: t.url, CHARTKEY_DATA_DIR: dataDir });
    try {
      await server.waitFor(/Server listening at/);
      const warned = server
        .stdout()
        .split('\n')
        .filter((l) => l.includes('"level":40') && l.includes('PostgreSQL'));
      const about = (text: string) => warned.some((l) => l.includes(text));
      expect({
        autovacuum: about('autovacuum is not running'),
        fsync: about('fsync is off'),
        full_page_writes: about('full_page_writes is off'),
      }).toEqual({
        autovacuum: actual.autovacuum === 'off' || actual.track_counts === 'off',
        fsync: actual.fsync === 'off',
        full_page_writes: actual.full_page_writes === 'off',
      });
    } finally {
      server.proc.kill('SIGTERM');
      await server.exited;
      await t.drop();
    }
  }, 60_000);
});
