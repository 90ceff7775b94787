import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/db.js';
import { PageClient, testIds } from '../portal/browser-client.js';
import { addPatient, type Harness, startHarness } from '../portal/harness.js';

const STAFF_PASSWORD = 'staff password 123';

for (const kind of await backends()) {
  describe(`practice admin (${kind})`, () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness(kind);
      await h.services.staff.create('nurse', STAFF_PASSWORD);
      for (const id of ['b1', 'p1', 'd1']) await addPatient(h.services, id, `Fam${id}`);
    });
    afterAll(() => h?.close());

    const staff = async () => {
      const c = new PageClient(h.app);
      expect((await c.signIn('admin', 'nurse', STAFF_PASSWORD)).headers.location).toBe('/admin/patients');
      return c;
    };

    it('finds patients by name, birth date and identifier', async () => {
      const c = await staff();
      expect((await c.get('/admin/patients?name=famb1')).body).toContain('/admin/patients/b1');
      expect((await c.get('/admin/patients?identifier=MRN-p1')).body).toContain('/admin/patients/p1');
      const byBirth = await c.get('/admin/patients?birthdate=1980-04-02');
      expect(byBirth.body).toContain('3 patients');
      expect((await c.get('/admin/patients?name=nobody')).body).toContain('0 patients');
    });

    it('Basic: enables with a one-time temporary password that must be changed at first sign-in', async () => {
      const c = await staff();
      await c.get('/admin/patients/b1');
      const res = await c.post('/admin/patients/b1/enable', { username: 'basic.patient' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('no-store');
      const temp = /data-testid="temp-password">([A-Za-z0-9]+)</.exec(res.body)![1];
      const p = new PageClient(h.app);
      expect((await p.signIn('portal', 'basic.patient', temp)).headers.location).toBe('/portal/password/new');
      expect((await p.get('/portal/history')).headers.location).toBe('/portal/password/new');
      const form = await p.get('/portal/password/new');
      for (const id of ['password-new', 'password-confirm', 'password-submit']) expect(testIds(form.body, id)).toBe(1);
      const mismatch = await p.post('/portal/password/new', { password: 'my own password 1', confirm: 'other' });
      expect(mismatch.statusCode).toBe(400);
      await p.get('/portal/password/new');
      expect((await p.post('/portal/password/new', { password: 'my own password 1', confirm: 'my own password 1' })).headers.location).toBe('/portal/history');
      expect((await p.get('/portal/history')).statusCode).toBe(200);
      // The temporary password no longer works.
      expect((await new PageClient(h.app, '10.0.0.9').signIn('portal', 'basic.patient', temp)).statusCode).toBe(401);
    });

    it('Premium: e-mails a one-time activation link (outbox) with which the patient chooses a password', async () => {
      const c = await staff();
      await c.get('/admin/settings');
      await c.post('/admin/settings', { edition: 'premium', practiceName: 'Test Practice' });
      expect((await h.services.portal.settings.get()).edition).toBe('premium');
      await c.get('/admin/patients/p1');
      const res = await c.post('/admin/patients/p1/enable', { email: 'Pat@Example.org' });
      expect(res.statusCode).toBe(303);
      const outbox = join(h.dataDir, 'outbox');
      const mail = readdirSync(outbox).map((f) => readFileSync(join(outbox, f), 'utf8')).find((m) => m.includes('To: pat@example.org'))!;
      const link = /http:\/\/127\.0\.0\.1:8080(\/portal\/activate\?token=[A-Za-z0-9_-]+)/.exec(mail)![1];
      expect(h.logLines.join('')).toContain('/portal/activate?token=');
      const p = new PageClient(h.app);
      const page = await p.get(link);
      expect(page.statusCode).toBe(200);
      expect(page.headers['cache-control']).toBe('no-store');
      const token = decodeURIComponent(link.split('token=')[1]);
      expect((await p.post('/portal/activate', { token, password: 'premium password 1', confirm: 'premium password 1' })).headers.location).toBe('/portal/history');
      expect((await p.get('/portal/history')).statusCode).toBe(200);
      expect((await new PageClient(h.app).get(link)).statusCode).toBe(404);
      expect((await new PageClient(h.app).signIn('portal', 'pat@example.org', 'premium password 1')).headers.location).toBe('/portal/history');
      await c.get('/admin/settings');
      await c.post('/admin/settings', { edition: 'basic', practiceName: 'Test Practice' });
    });

    it('disabling a patient refuses sign-in, ends sessions and suspends every API credential at once', async () => {
      const c = await staff();
      await c.get('/admin/patients/d1');
      await c.post('/admin/patients/d1/enable', { username: 'disable.me' });
      const account = (await h.services.portal.accounts.getByPatient('d1'))!;
      await h.services.portal.accounts.changePassword(account.id, 'patient password 1');
      const p = new PageClient(h.app);
      await p.signIn('portal', 'disable.me', 'patient password 1');
      const creds = await Promise.all([1, 2].map((i) => h.services.credentials.create('d1', account.id, `App ${i}`)));
      for (const k of creds) expect(await h.services.credentials.verify(k.key, k.secret)).toBeDefined();
      const confirm = await c.get('/admin/patients/d1/disable');
      expect(testIds(confirm.body, 'confirm-delete')).toBe(1);
      expect((await c.post('/admin/patients/d1/disable', {})).statusCode).toBe(303);
      for (const k of creds) expect(await h.services.credentials.verify(k.key, k.secret)).toBeUndefined();
      expect((await p.get('/portal/history')).headers.location).toBe('/portal/login');
      expect((await new PageClient(h.app, '10.0.0.7').signIn('portal', 'disable.me', 'patient password 1')).statusCode).toBe(401);
      const audit = await c.get('/admin/audit?patient=d1&action=portal.disable');
      expect(audit.body).toContain('credentialsSuspended: 2');
    });

    it('lets staff revoke a credential and shows it in the audit trail', async () => {
      const account = (await h.services.portal.accounts.getByPatient('b1'))!;
      const made = await h.services.credentials.create('b1', account.id, 'Staff revokes');
      const c = await staff();
      const page = await c.get('/admin/patients/b1');
      expect(page.body).toContain('Staff revokes');
      await c.post(`/admin/patients/b1/credentials/${made.credential.id}/revoke`, {});
      expect(await h.services.credentials.verify(made.key, made.secret)).toBeUndefined();
      const audit = await c.get('/admin/audit?action=credential.delete');
      expect(audit.body).toContain('Staff revokes');
    });

    it("lists apps' API calls in the audit trail under api.access", async () => {
      const { enablePortal } = await import('../../src/accounts/enablement.js');
      const { account } = await enablePortal(h.services, { patientId: 'd1', username: 'api.user', by: { kind: 'system', id: 'test' } });
      const { key, secret } = await h.services.credentials.create('d1', account.id, 'Audit App');
      const auth = `Basic ${Buffer.from(`${key}:${secret}`).toString('base64')}`;
      expect((await h.app.inject({ method: 'GET', url: '/fhir/Patient/d1', headers: { authorization: auth } })).statusCode).toBe(200);
      await h.services.accessLog.flush();
      const page = await (await staff()).get('/admin/audit?action=api.access&patient=d1');
      expect(page.statusCode).toBe(200);
      const row = /<tr>\s*<td>[^<]*<\/td>\s*<td>api\.access<\/td>[\s\S]*?<\/tr>/.exec(page.body)?.[0] ?? '';
      expect(row).toContain('/admin/patients/d1');
      expect(row).toContain('interaction: read, type: Patient, resources: 1');
      expect(page.body).not.toContain(secret);
    });

    it('throttles sign-in per account with 429 and Retry-After', async () => {
      let last;
      for (let i = 0; i < 6; i++) last = await new PageClient(h.app, `10.1.0.${i}`).signIn('admin', 'nurse', 'wrong password!');
      expect(last!.statusCode).toBe(429);
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
      const correct = await new PageClient(h.app, '10.2.0.1').signIn('admin', 'nurse', STAFF_PASSWORD);
      expect(correct.statusCode).toBe(429);
    });

    it('redirects to sign-in without a staff session', async () => {
      expect((await new PageClient(h.app).get('/admin/patients')).headers.location).toBe('/admin/login');
      expect((await new PageClient(h.app).get('/admin/audit')).headers.location).toBe('/admin/login');
    });
  });
}
