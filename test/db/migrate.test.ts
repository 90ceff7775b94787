import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { createTestDb, postgresAvailable, type TestDb } from '../helpers/db.js';

const kinds = ['sqlite', ...((await postgresAvailable()) ? ['postgres' as const] : [])] as const;

describe.each(kinds)('migrations on %s', (kind) => {
  let t: TestDb;
  afterAll(async () => t?.drop());

  it('creates the schema once and is a no-op when run again', async () => {
    t = await createTestDb(kind);
    const rows = await t.db.all<{ id: string }>('SELECT id FROM schema_migrations ORDER BY id');
    expect(rows.map((r) => r.id)).toContain('001-fhir');
    expect(await migrate(t.db)).toEqual([]);
  });

  it('stores and returns BIGINT values as numbers', async () => {
    await t.db.run('INSERT INTO resources (type, id, version, last_updated, content) VALUES (?, ?, ?, ?, ?)', [
      'Patient', 'p1', 1, 1_700_000_000_123, '{}',
    ]);
    const row = await t.db.get<{ last_updated: number; seq: number }>('SELECT seq, last_updated FROM resources WHERE id = ?', ['p1']);
    expect(row?.last_updated).toBe(1_700_000_000_123);
    expect(typeof row?.seq).toBe('number');
  });

  it('rolls a failed transaction back whole', async () => {
    await expect(
      t.db.transaction(async (tx) => {
        await tx.run('INSERT INTO resources (type, id, version, last_updated, content) VALUES (?, ?, ?, ?, ?)', ['Patient', 'p2', 1, 1, '{}']);
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await t.db.get('SELECT id FROM resources WHERE id = ?', ['p2'])).toBeUndefined();
  });
});
