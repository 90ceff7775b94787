import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createServices } from '../../src/services.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * Revocation with every cache warm (SPEC: the very next call after a delete is refused;
 * on other instances within one second). Calls keep running while the credential is
 * deleted; every call that starts after the delete has returned must be a 401.
 */
describe.each(await backends())('revocation under load on %s', (kind) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(kind);
    await t.services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'rl1' }));
  });
  afterAll(async () => t?.close());

  const read = (authorization: string) => t.app.inject({ method: 'GET', url: '/fhir/Patient/rl1', headers: { authorization } });

  async function hammer(authorization: string, revoke: () => Promise<unknown>) {
    const afterRevoke: number[] = [];
    let revoked = false;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const startedAfter = revoked;
        const res = await read(authorization);
        if (startedAfter) afterRevoke.push(res.statusCode);
        await new Promise((r) => setImmediate(r)); // let timers run between calls
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await new Promise((r) => setTimeout(r, 150)); // warm: many successful calls
    await revoke();
    revoked = true;
    await new Promise((r) => setTimeout(r, 150));
    stop = true;
    await Promise.all(workers);
    return afterRevoke;
  }

  it('refuses every call that starts after the delete, Basic and Bearer alike', async () => {
    const c = await credentialFor(t.services, 'rl1', 'loaded');
    const tok = await t.services.tokens.issue(c.credential.id, 'rl1', 'patient/*.rs');
    expect((await read(basic(c.key, c.secret))).statusCode).toBe(200);
    const statuses = await hammer(basic(c.key, c.secret), async () => {
      await t.services.credentials.revoke(c.credential.id, 'test', 'rl1');
    });
    expect(statuses.length).toBeGreaterThan(10);
    // The first refusals are 401; the run of failures then trips the failure throttle (429).
    expect(statuses[0]).toBe(401);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect([401, 429]).toContain((await read(`Bearer ${tok.accessToken}`)).statusCode);
  });

  it('refuses a credential deleted by another instance sharing the database within one second', async () => {
    const c = await credentialFor(t.services, 'rl1', 'other instance');
    const auth = basic(c.key, c.secret);
    for (let i = 0; i < 5; i++) expect((await read(auth)).statusCode).toBe(200);
    const other = await createServices(loadConfig({}, { databaseUrl: t.testDb.url, demo: false, logLevel: 'silent' }), kind === 'sqlite' ? { db: t.testDb.db } : {});
    try {
      await other.credentials.revoke(c.credential.id, 'test', 'rl1');
    } finally {
      if (kind === 'postgres') await other.close();
    }
    await new Promise((r) => setTimeout(r, 1050));
    expect((await read(auth)).statusCode).toBe(401);
  });
});
