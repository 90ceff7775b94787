import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAccessLog } from '../../src/audit/api-access-log.js';
import type { Db } from '../../src/db/db.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';

/**
 * Access-log retention (SPEC "Patient controls": the practice sets how long activity is
 * kept). The maintenance job deletes what is older, in batches, and finds it through an
 * index on the entry's time (migration 017), not by reading the whole log every 10 minutes.
 */
const DAY = 86_400_000;

/** `count` entries of one credential, their times from `first` on, one a minute, inserted in shuffled order (seq is not time order). */
async function seed(db: Db, first: number, count: number, credential = 'c1'): Promise<void> {
  const times = Array.from({ length: count }, (_, i) => first + i * 60_000);
  for (let i = times.length - 1; i > 0; i--) {
    const j = (i * 7919) % (i + 1);
    [times[i], times[j]] = [times[j], times[i]];
  }
  await db.transaction(async (tx) => {
    for (let i = 0; i < times.length; i += 200) {
      const chunk = times.slice(i, i + 200);
      await tx.run(
        `INSERT INTO api_access_log (credential_id, patient_id, at, interaction, resource_count) VALUES ${chunk.map(() => "(?, 'p1', ?, 'read', 1)").join(', ')}`,
        chunk.flatMap((at) => [credential, at]),
      );
    }
  });
}

const countWhere = async (db: Db, where: string, params: number[] = []) =>
  Number((await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM api_access_log WHERE ${where}`, params))!.n);

describe.each(await backends())('access-log retention on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => t?.drop());

  it('deletes exactly the entries older than the cutoff, batch by batch, whatever order they were stored in', async () => {
    await t.db.run('DELETE FROM api_access_log');
    const first = Date.parse('2026-01-01T00:00:00Z');
    await seed(t.db, first, 12_000);
    // The cutoff falls after the 7,000th minute: 7,000 entries are older (independent of the purge: the seeded times).
    const cutoff = first + 7_000 * 60_000;
    expect(await countWhere(t.db, 'at < ?', [cutoff])).toBe(7_000);

    const purged = await apiAccessLog(t.db).purgeOlderThan(cutoff, 1_000);
    expect(purged).toBe(7_000);
    expect(await countWhere(t.db, '1 = 1')).toBe(5_000);
    expect(await countWhere(t.db, 'at < ?', [cutoff])).toBe(0);
    expect(Number((await t.db.get<{ at: number }>('SELECT MIN(at) AS at FROM api_access_log'))!.at)).toBe(cutoff);
    // Nothing left to do: a second purge deletes nothing.
    expect(await apiAccessLog(t.db).purgeOlderThan(cutoff, 1_000)).toBe(0);
  });

  it('finds the entries to purge through the index on their time, not by reading the log', async () => {
    if (kind === 'sqlite') {
      const plan = await t.db.all<{ detail: string }>('EXPLAIN QUERY PLAN SELECT seq FROM api_access_log WHERE at < ? ORDER BY at LIMIT ?', [0, 5000]);
      const text = plan.map((r) => r.detail).join('\n');
      expect(text).toMatch(/USING (COVERING )?INDEX api_access_log_at/);
      expect(text).not.toMatch(/^SCAN api_access_log$/m);
    } else {
      // A log large enough that PostgreSQL's planner weighs a scan against the index honestly.
      await t.db.run('DELETE FROM api_access_log');
      await t.db.run(`
        INSERT INTO api_access_log (credential_id, patient_id, at, interaction, resource_count)
        SELECT 'c' || (g % 50), 'p' || (g % 20), 1767225600000 + g * 1000, 'read', 1 FROM generate_series(1, 100000) g`);
      await t.db.analyze();
      const plan = await t.db.all<{ 'QUERY PLAN': string }>('EXPLAIN SELECT seq FROM api_access_log WHERE at < 1767225700000 ORDER BY at LIMIT 5000');
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toContain('api_access_log_at');
      expect(text).not.toMatch(/Seq Scan on api_access_log/);
    }
  });
});

describe.each(await backends())('the maintenance job keeps the practice\'s retention on %s', (kind) => {
  let app: TestApp;
  const clock = Date.parse('2026-06-01T12:00:00Z');
  beforeAll(async () => {
    app = await createTestApp(kind, { now: () => clock });
  });
  afterAll(async () => app?.close());

  it('purges the entries older than the retention the practice set, and only those', async () => {
    const db = app.services.db;
    await app.services.portal.settings.setCredentialLimits({ retentionDays: 30 }, 'test');
    // 40 days of entries, one a minute, up to now: the last 30 days' (43,200, the one at the cutoff included) stay.
    const days = 40;
    await seed(db, clock - days * DAY, (days * DAY) / 60_000, 'c-retention');
    const keep = await countWhere(db, 'at >= ?', [clock - 30 * DAY]);
    expect(keep).toBe((30 * DAY) / 60_000);
    const { logPurged } = await app.services.controlsJob.runDue();
    expect(logPurged).toBe((10 * DAY) / 60_000);
    expect(await countWhere(db, "credential_id = 'c-retention'")).toBe(keep);
    expect(await countWhere(db, 'at < ?', [clock - 30 * DAY])).toBe(0);
  }, 60_000);
});
