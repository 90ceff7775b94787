import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromium } from 'playwright-core';
import { backends } from '../helpers/db.js';
import { addPatient, enabledPatient, type Harness, startHarness } from '../portal/harness.js';

/**
 * A patient cuts off a connected app in a real browser (SPEC "Connected apps", test ids
 * `connected-app-row`, `revoke-app`, `confirm-delete`, `toast`): the row shows the app's
 * name as text (a hostile name never becomes markup), the trash icon asks in the dialog,
 * and a token issued under the grant is refused on its next use. Then a practice
 * registers an app on /admin/apps and copies its secret, shown once.
 */
const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror="window.__pwned=1">Tracker';

for (const kind of await backends()) {
  describe.skipIf(!existsSync(CHROMIUM))(`connected apps in a real browser (${kind})`, () => {
    let h: Harness;
    let browser: Browser;
    let base: string;
    beforeAll(async () => {
      h = await startHarness(kind);
      await addPatient(h.services, 'web1');
      await enabledPatient(h.services, 'web1', 'jane.web', 'correct horse battery');
      await h.services.staff.create('nurse', 'staff password 123');
      base = await h.app.listen({ host: '127.0.0.1', port: 0 });
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      });
    });
    afterAll(async () => {
      await browser?.close();
      await h?.close();
    });

    it('lists the app, and revoke-app → confirm → toast ends its token', async () => {
      const account = (await h.services.portal.accounts.getByPatient('web1'))!;
      const { client } = await h.services.oauth.clients.register({ name: HOSTILE, type: 'public', redirectUris: ['https://tracker.example/cb'], createdBy: 'test' });
      const keep = await h.services.oauth.grants.create({ clientId: client.clientId, clientName: 'Steps Counter', patientId: 'web1', accountId: account.id, scope: 'patient/Observation.rs' });
      const grant = await h.services.oauth.grants.create({ clientId: client.clientId, clientName: client.name, patientId: 'web1', accountId: account.id, scope: 'launch/patient patient/*.rs' });
      const token = h.services.tokens.issue(grant.id, 'web1', grant.scope).accessToken;
      const kept = h.services.tokens.issue(keep.id, 'web1', keep.scope).accessToken;
      const read = async (t: string, path = 'Patient/web1') => (await fetch(`${base}/fhir/${path}`, { headers: { authorization: `Bearer ${t}` } })).status;
      expect(await read(token)).toBe(200);
      expect(await read(kept, 'Observation?patient=web1')).toBe(200);

      const context = await browser.newContext();
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('dialog', (d) => void d.dismiss().then(() => errors.push(`alert: ${d.message()}`)));
      await page.goto(`${base}/portal/login`);
      await page.getByTestId('login-username').fill('jane.web');
      await page.getByTestId('login-password').fill('correct horse battery');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('fhir-api-access').waitFor();

      const rows = page.getByTestId('connected-app-row');
      await expect.poll(() => rows.count()).toBe(2);
      const row = rows.filter({ hasText: HOSTILE });
      expect(await row.count()).toBe(1);
      expect(await row.locator('.name').textContent()).toBe(HOSTILE);
      expect(await row.locator('img').count()).toBe(0);
      expect(await row.textContent()).toContain('Can read: Your whole record');
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

      await row.getByTestId('revoke-app').click();
      const dialog = page.locator('#confirm-dialog');
      await dialog.waitFor();
      expect(await dialog.textContent()).toContain(`Remove the access of “${HOSTILE}”?`);
      await page.getByTestId('confirm-delete').click();
      await page.getByTestId('toast').waitFor();
      expect(await page.getByTestId('toast').textContent()).toBe('The app no longer has access to your record.');
      await expect.poll(() => rows.count()).toBe(1);
      expect(await rows.first().textContent()).toContain('Steps Counter');

      // The revoked grant's token dies on its next use; the other app is untouched.
      expect(await read(token)).toBe(401);
      expect(await read(kept, 'Observation?patient=web1')).toBe(200);
      expect(errors).toEqual([]);
      await context.close();
    });

    it('a practice registers an app on /admin/apps and copies the secret shown once', async () => {
      const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
      const page = await context.newPage();
      await page.goto(`${base}/admin/login`);
      await page.getByTestId('login-username').fill('nurse');
      await page.getByTestId('login-password').fill('staff password 123');
      await page.getByTestId('login-submit').click();
      await page.getByTestId('nav-apps').click();
      await page.getByTestId('app-name-input').fill('Family Health <b>Hub</b>');
      await page.getByTestId('app-type').selectOption('confidential');
      await page.getByTestId('app-redirect-uris').fill('https://hub.example/cb');
      await page.getByTestId('app-register').click();
      const secret = (await page.getByTestId('app-client-secret').textContent())!.trim();
      expect(secret).toMatch(/^[A-Za-z0-9]{48}$/);
      await page.getByTestId('copy-client-secret').click();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      await page.getByTestId('app-done').click();
      const row = page.getByTestId('app-row').filter({ hasText: 'Family Health' });
      await row.waitFor();
      expect(page.url()).toBe(`${base}/admin/apps`);
      expect(await row.getByTestId('app-name').textContent()).toBe('Family Health <b>Hub</b>');
      expect(await page.content()).not.toContain(secret);
      await page.goBack();
      expect(await page.content()).not.toContain(secret);
      await context.close();
    });
  });
}
