import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/db/migrate.js';
import { migrations } from '../../src/db/migrations/index.js';
import { allTables, createTestDb, postgresAvailable, type TestDb } from '../helpers/db.js';

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

  it('upgrades a database that still has the opaque-token table: 006 drops it, rows and all', async () => {
    const before006 = migrations.slice(0, migrations.findIndex((m) => m.id === '006-drop-oauth-tokens'));
    expect(before006.map((m) => m.id)).toContain('004-oauth');
    const old = await createTestDb(kind, { migrations: before006 });
    try {
      await old.db.run('INSERT INTO oauth_tokens (token_hash, credential_id, patient_id, scope, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', ['h', 'c', 'p', 'patient/*.rs', 1, 2]);
      // 006 and every later migration, in order (later ones are appended by other changes).
      const applied = await migrate(old.db);
      expect(applied[0]).toBe('006-drop-oauth-tokens');
      expect(applied).toEqual(migrations.slice(before006.length).map((m) => m.id));
      expect(await allTables(old.db)).not.toContain('oauth_tokens');
      expect(await allTables(old.db)).toContain('api_credentials');
    } finally {
      await old.drop();
    }
  });
});
