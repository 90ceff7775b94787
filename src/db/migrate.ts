import type { Db, Queryable } from './db.js';
import { migrations as all } from './migrations/index.js';
import type { Migration } from './migrations/types.js';

// Any fixed 64-bit number: the PostgreSQL advisory lock that lets one instance migrate at a time.
const PG_MIGRATION_LOCK = 7_265_431_123;

/**
 * Applies pending migrations and returns the ids applied. Everything runs in one
 * transaction; on PostgreSQL it first takes an advisory lock, so instances starting
 * together migrate one after the other and the later ones find nothing to do.
 */
export async function migrate(db: Db, migrations: readonly Migration[] = all): Promise<string[]> {
  await db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)');
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [PG_MIGRATION_LOCK]);
    return applyPending(tx, migrations);
  }, { unbounded: true });
}

async function applyPending(tx: Queryable, migrations: readonly Migration[]): Promise<string[]> {
  const done = new Set((await tx.all<{ id: string }>('SELECT id FROM schema_migrations')).map((r) => r.id));
  const applied: string[] = [];
  for (const m of migrations) {
    if (done.has(m.id)) continue;
    for (const stmt of splitStatements(m.sql(tx.dialect))) await tx.run(stmt);
    await tx.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [m.id, Date.now()]);
    applied.push(m.id);
  }
  return applied;
}

/** Splits a script on semicolons at line ends (our migrations contain no procedural code). */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((s) => s.trim().replace(/;$/, ''))
    .filter((s) => s.length > 0);
}
