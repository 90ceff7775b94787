import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialService, normalizeCredentialName } from '../../src/auth/credentials.js';
import { loadServerKeys } from '../../src/auth/server-key.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';

for (const kind of await backends()) {
  describe(`credential service (${kind})`, () => {
    let t: TestDb;
    beforeAll(async () => {
      t = await createTestDb(kind);
      await t.db.run("INSERT INTO portal_accounts (id, patient_id, username, status, edition, created_at, updated_at) VALUES ('a1', 'p1', 'u1', 'active', 'basic', 0, 0)");
    });
    afterAll(() => t?.drop());

    it('shares one generated server key between instances on the same database', async () => {
      const a = await loadServerKeys(t.db);
      const b = await loadServerKeys(t.db);
      expect(a.credentialSecret.equals(b.credentialSecret)).toBe(true);
      expect((await loadServerKeys(t.db, 'from-env')).credentialSecret.equals(a.credentialSecret)).toBe(false);
    });

    it('verifies the right secret only, and rejects revoked and suspended credentials', async () => {
      const svc = credentialService(t.db, (await loadServerKeys(t.db)).credentialSecret);
      const { credential, key, secret } = await svc.create('p1', 'a1', 'App');
      expect(await svc.verify(key, secret)).toEqual({ credentialId: credential.id, patientId: 'p1' });
      for (const wrong of ['', secret.slice(1), secret.toLowerCase() === secret ? 'x'.repeat(32) : secret.toLowerCase(), `${secret}x`]) {
        expect(await svc.verify(key, wrong)).toBeUndefined();
      }
      expect(await svc.verify('nope', secret)).toBeUndefined();
      await svc.suspendAllForPatient('p1');
      expect(await svc.verify(key, secret)).toBeUndefined();
      await svc.resumeAllForPatient('p1');
      expect(await svc.isLive(credential.id)).toBe(true);
      await svc.revoke(credential.id, 'test');
      expect(await svc.verify(key, secret)).toBeUndefined();
      expect(await svc.isLive(credential.id)).toBe(false);
      const row = JSON.stringify(await t.db.all('SELECT * FROM api_credentials'));
      expect(row).not.toContain(secret);
    });

    it('records last use monotonically', async () => {
      const svc = credentialService(t.db, Buffer.alloc(32, 1));
      const { credential } = await svc.create('p1', 'a1', 'Touch');
      await svc.touch(credential.id, 2000);
      await svc.touch(credential.id, 1000);
      expect((await svc.get(credential.id))!.lastUsedAt).toBe(2000);
    });
  });
}

describe('credential names', () => {
  it.each(['', '   ', 'x'.repeat(81)])('rejects %j', (name) => expect(() => normalizeCredentialName(name)).toThrow());
  it('keeps hostile markup as text and strips control characters', () => {
    expect(normalizeCredentialName('<img src=x onerror=alert(1)>')).toBe('<img src=x onerror=alert(1)>');
    expect(normalizeCredentialName('a\u0000b\nc')).toBe('a b c');
  });
});
