import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMaintenance } from '../../src/ops/maintenance.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { credentialFor } from '../helpers/patients.js';

describe('maintenance', () => {
  let t: TestApp;
  let clock = Date.now();
  beforeAll(async () => {
    t = await createTestApp('sqlite', { now: () => clock });
    await t.services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'm1' }));
  });
  afterAll(async () => t?.close());

  it('deletes access tokens once they have expired, and keeps live ones', async () => {
    const c = await credentialFor(t.services, 'm1');
    await t.services.tokens.issue(c.credential.id, 'm1', 'patient/*.rs');
    clock += 3600 * 1000 + 1;
    await t.services.tokens.issue(c.credential.id, 'm1', 'patient/*.rs');
    const count = async () => (await t.services.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM oauth_tokens'))!.n;
    expect(await count()).toBe(2);
    const stop = startMaintenance(t.services, 60_000);
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(await count()).toBe(1);
  });
});
