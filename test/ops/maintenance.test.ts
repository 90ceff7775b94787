import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMaintenance } from '../../src/ops/maintenance.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { allTables } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

describe('maintenance', () => {
  let t: TestApp;
  let clock = Date.now();
  beforeAll(async () => {
    t = await createTestApp('sqlite', { now: () => clock });
    await t.services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'm1' }));
  });
  afterAll(async () => t?.close());

  it('deletes sessions once they have expired, and keeps live ones', async () => {
    const subjects = async () => (await t.services.db.all<{ subject_id: string }>('SELECT subject_id FROM sessions ORDER BY subject_id')).map((r) => r.subject_id);
    await t.services.portal.sessions.create('patient', 'old');
    clock += 30 * 60_000 + 1; // the default idle limit (30 minutes) has passed for the first
    await t.services.portal.sessions.create('patient', 'new');
    expect(await subjects()).toEqual(['new', 'old']);
    const stop = startMaintenance(t.services, 60_000);
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(await subjects()).toEqual(['new']);
  });

  it('has no token table to sweep: issuing access tokens writes nothing', async () => {
    const c = await credentialFor(t.services, 'm1');
    const tables = await allTables(t.services.db);
    expect(tables).toContain('sessions');
    expect(tables).not.toContain('oauth_tokens');
    const rowsBefore = await rowCounts(t, tables);
    for (let i = 0; i < 3; i++) await t.services.tokens.issue(c.credential.id, 'm1', 'patient/*.rs');
    expect(await rowCounts(t, tables)).toEqual(rowsBefore);
  });
});

async function rowCounts(t: TestApp, tables: string[]) {
  const out: Record<string, number> = {};
  for (const name of tables) out[name] = (await t.services.db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM "${name}"`))!.n;
  return out;
}
