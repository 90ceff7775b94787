import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { generatePatients, generateProviders } from '../../src/generate/index.js';
import { importBundles } from '../../src/importer/index.js';
import { basic } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { enabledPatient, type Harness, startHarness } from '../portal/harness.js';
import { form, pkce } from '../oauth/smart-helpers.js';

/**
 * Patient controls in Chromium (SPEC "Patient controls"): categories, sensitive, expiry,
 * banners, activity + CSV download, replace secret with both choices; the practice's cap
 * on expiry set on /admin/settings; a connected app's consent (sensitive information) and
 * activity. The app is checked through its FHIR API with the revealed key and secret (or
 * its token); expected data from the generated bundle. With SCREENSHOT_DIR set, each
 * control is saved there as a PNG (SQLite run only) for the closing note.
 */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR;
const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PASSWORD = 'correct horse battery';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
type Json = Record<string, any>;

async function axe(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: () => Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run();
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact})`);
  });
}

describe.skipIf(!existsSync(CHROMIUM)).each(await backends())('patient controls in a real browser on %s', (kind) => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  let resources: Json[];
  let patientId: string;
  const api = (key: string, secret: string, url: string) => h.app.inject({ method: 'GET', url, headers: { authorization: basic(key, secret) } });
  const shot = async (page: Page, name: string) => {
    if (SCREENSHOT_DIR && kind === 'sqlite') await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  };
  const signIn = async (page: Page) => {
    await page.goto(`${base}/portal/login`);
    await page.getByTestId('login-username').fill('pat');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('fhir-api-access').waitFor();
  };
  const reveal = async (page: Page) => ({
    key: (await page.getByTestId('credential-key').textContent())!.trim(),
    secret: (await page.getByTestId('credential-secret').textContent())!.trim(),
  });

  beforeAll(async () => {
    h = await startHarness(kind);
    const [bundle] = [...generatePatients({ count: 1, seed: 21 })];
    await importBundles(h.services.store, [generateProviders(21), bundle]);
    resources = bundle.entry!.map((e) => e.resource as Json);
    patientId = resources.find((r) => r.resourceType === 'Patient')!.id;
    await enabledPatient(h.services, patientId, 'pat', PASSWORD);
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    if (SCREENSHOT_DIR) mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await h.services.staff.create('boss', 'staff password 123');
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  }, 180_000);

  it('narrows a credential to chosen categories, leaves sensitive records out, sets an expiry — and the app sees exactly that', async () => {
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(`${base}/portal/login`);
    await page.getByTestId('login-username').fill('pat');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('generate-credentials').click();

    const boxes = page.getByTestId('credential-category');
    expect(await boxes.count()).toBeGreaterThan(5);
    for (let i = 0; i < (await boxes.count()); i++) expect(await boxes.nth(i).isChecked()).toBe(true);
    expect(await page.getByTestId('credential-sensitive').isChecked()).toBe(false);
    expect(await page.getByTestId('credential-expiry').inputValue()).toBe('never');
    expect(await axe(page)).toEqual([]);
    await page.getByTestId('credential-name').fill('Lab tracker');
    for (let i = 0; i < (await boxes.count()); i++) {
      const value = await boxes.nth(i).getAttribute('value');
      if (!['labs', 'vital-signs', 'demographics'].includes(value!)) await boxes.nth(i).uncheck();
    }
    await page.getByTestId('credential-expiry').selectOption('90');
    await shot(page, '01-generation-form');
    await page.getByTestId('credential-submit').click();
    const { key, secret } = await reveal(page);
    await shot(page, '02-reveal');
    expect(await page.getByTestId('reveal-sharing-help').textContent()).toContain('psychotherapy notes are never shared');

    expect((await api(key, secret, `/fhir/Condition?patient=${patientId}`)).statusCode).toBe(403);
    const obs = JSON.parse((await api(key, secret, `/fhir/Observation?patient=${patientId}&_count=1000`)).body) as Json;
    const expected = resources
      .filter((r) => r.resourceType === 'Observation' && !r.meta?.security && r.category.some((c: Json) => c.coding.some((x: Json) => ['laboratory', 'vital-signs'].includes(x.code))))
      .map((r) => r.id)
      .sort();
    expect(obs.entry.map((e: Json) => e.resource.id).sort()).toEqual(expected);

    await page.getByTestId('credential-done').click();
    const row = page.getByTestId('credential-row').filter({ hasText: 'Lab tracker' });
    expect(await row.textContent()).toContain('Shares some categories');
    expect(await row.textContent()).toContain('sensitive information left out');
    expect(await row.textContent()).toMatch(/expires \d{4}-/);
    // Banners: created, then first use (the API call above) — dismissible.
    await expect.poll(() => page.getByTestId('notice-banner').count()).toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('notice-banner').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('“Lab tracker” were created'), expect.stringContaining('“Lab tracker” were used for the first time')]),
    );
    await shot(page, '03-banners-and-credential-row');
    const banners = await page.getByTestId('notice-banner').count();
    await page.getByTestId('dismiss-notice').first().click();
    await expect.poll(() => page.getByTestId('notice-banner').count()).toBe(banners - 1);

    // Activity, and its CSV download.
    await row.getByTestId('credential-activity').click();
    await expect.poll(() => page.locator('[data-testid="activity-row"]').count()).toBe(2);
    await shot(page, '04-credential-activity-csv-link');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('activity-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('"time (UTC)","address","interaction","resource type","resources returned","status"');
    expect(csv).toContain(`"search-type","Observation","${expected.length}","200"`);
    expect(csv).toContain('"error-403","Condition","0","403"');
    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it('shares sensitive records only when ticked, never the psychotherapy note', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/portal/login`);
    await page.getByTestId('login-username').fill('pat');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('generate-credentials').click();
    await page.getByTestId('credential-name').fill('Therapy app');
    await page.getByTestId('credential-sensitive').check();
    await page.getByTestId('credential-submit').click();
    const { key, secret } = await reveal(page);
    const docs = JSON.parse((await api(key, secret, `/fhir/DocumentReference?patient=${patientId}&_count=1000`)).body) as Json;
    const ids = new Set(docs.entry.map((e: Json) => e.resource.id));
    for (const r of resources.filter((x) => x.resourceType === 'DocumentReference')) {
      const psychotherapy = (r.meta?.security ?? []).some((s: Json) => s.code === 'PSYTHPN');
      expect(ids.has(r.id), `${r.id} ${r.description}`).toBe(!psychotherapy);
    }
    await page.getByTestId('credential-done').click();
    await page.getByTestId('sensitive-tag').first().waitFor();
    await page.getByTestId('sensitive-tag').first().scrollIntoViewIfNeeded();
    await shot(page, '08-my-history-sensitive-tag');
    await context.close();
  }, 180_000);

  it('replaces a secret: the old one keeps working for a while, or is cut at once', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/portal/login`);
    await page.getByTestId('login-username').fill('pat');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('generate-credentials').click();
    await page.getByTestId('credential-name').fill('Rotating app');
    await page.getByTestId('credential-submit').click();
    const first = await reveal(page);
    await page.getByTestId('credential-done').click();
    const row = () => page.getByTestId('credential-row').filter({ hasText: 'Rotating app' });

    await row().getByTestId('replace-secret').click();
    await page.getByTestId('replace-keep-old').check();
    await shot(page, '05-replace-secret-keep-old');
    await page.getByTestId('replace-submit').click();
    const second = await reveal(page);
    expect(second.key).toBe(first.key);
    expect(second.secret).not.toBe(first.secret);
    expect((await api(first.key, first.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
    expect((await api(second.key, second.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
    await shot(page, '06-replaced-reveal');
    await page.getByTestId('credential-done').click();

    await row().getByTestId('replace-secret').click();
    await page.getByTestId('replace-cut-old').check();
    await shot(page, '07-replace-secret-cut-old');
    await page.getByTestId('replace-submit').click();
    const third = await reveal(page);
    expect((await api(second.key, second.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(401);
    expect((await api(first.key, first.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(401);
    expect((await api(third.key, third.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
    await context.close();
  }, 180_000);
  it('connects an app: the consent page offers sensitive information (unticked); ticked, the app gets it but no psychotherapy note; the app has an activity page', async () => {
    // The app's callback is a local address (an unknown path of this server answers it): the code is read from the URL.
    const redirect = `${base}/app-callback`;
    const reg = await h.services.oauth.clients.register({ name: 'Mood Diary', type: 'confidential', redirectUris: [redirect], createdBy: 'test' });
    const context = await browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page);
    const p = pkce();
    const q = new URLSearchParams({
      response_type: 'code', client_id: reg.client.clientId, redirect_uri: redirect, scope: 'launch/patient openid fhirUser patient/*.rs',
      aud: `${h.config.publicUrl}/fhir`, state: 's1', code_challenge: p.challenge, code_challenge_method: 'S256',
    });
    await page.goto(`${base}/oauth/authorize?${q}`);
    const box = page.getByTestId('consent-sensitive');
    expect(await box.isChecked()).toBe(false);
    expect(await page.locator('#consent-sensitive-hint').textContent()).toContain('psychotherapy notes are never shared through the API');
    expect(await axe(page)).toEqual([]);
    await box.check();
    await shot(page, '09-consent-page');
    await Promise.all([page.waitForURL(/\/app-callback\?/), page.getByTestId('consent-allow').click()]);
    const code = new URL(page.url()).searchParams.get('code')!;
    const body = { grant_type: 'authorization_code', code, redirect_uri: redirect, code_verifier: p.verifier };
    const tok = await h.app.inject({ method: 'POST', url: '/oauth/token', ...form(body), headers: { ...form(body).headers, authorization: basic(reg.client.clientId, reg.clientSecret!) } });
    expect(tok.statusCode).toBe(200);
    const bearer = `Bearer ${tok.json().access_token}`;
    const docs = JSON.parse((await h.app.inject({ method: 'GET', url: `/fhir/DocumentReference?patient=${patientId}&_count=1000`, headers: { authorization: bearer } })).body) as Json;
    const expected = resources
      .filter((r) => r.resourceType === 'DocumentReference' && !(r.meta?.security ?? []).some((x: Json) => x.system === ACT && x.code === 'PSYTHPN'))
      .map((r) => r.id)
      .sort();
    expect(docs.entry.map((e: Json) => e.resource.id).sort()).toEqual(expected);
    expect(expected.length).toBeGreaterThan(resources.filter((r) => r.resourceType === 'DocumentReference' && !r.meta?.security).length);

    await page.goto(`${base}/portal/history`);
    const row = page.getByTestId('connected-app-row').filter({ hasText: 'Mood Diary' });
    expect(await row.getByTestId('connected-app-sensitive').textContent()).toBe('Includes sensitive information');
    await row.getByTestId('credential-activity').click();
    await expect.poll(() => page.locator('[data-testid="activity-row"]').count()).toBe(2);
    expect(await page.locator('h1').textContent()).toBe('Activity of “Mood Diary”');
    const cells = await page.locator('[data-testid="activity-row"]').first().locator('td').allTextContents();
    expect(cells.slice(2)).toEqual(['search-type', 'DocumentReference', String(expected.length), '200']);
    await shot(page, '10-app-activity');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('activity-csv').click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('"time (UTC)","address","interaction","resource type","resources returned","status"');
    expect(csv).toContain(`"search-type","DocumentReference","${expected.length}","200"`);
    expect(csv).toContain('"token","","0","200"');
    await context.close();
  }, 180_000);

  it('lets staff cap the expiry on /admin/settings (clear errors first), and the generation form then offers only what fits', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/admin/login`);
    await page.getByTestId('login-username').fill('boss');
    await page.getByTestId('login-password').fill('staff password 123');
    await page.getByTestId('login-submit').click();
    await page.goto(`${base}/admin/settings`);
    // The browser's own checks would stop 10 (min 30); a script or an old browser would not: the server says why.
    await page.locator('form[action="/admin/settings/credentials"]').evaluate((f) => f.setAttribute('novalidate', ''));
    await page.getByTestId('settings-max-days').fill('10');
    await page.getByTestId('settings-credentials-submit').click();
    expect(await page.getByTestId('settings-errors').textContent()).toContain('Longest credential lifetime must be a whole number of days from 30 to 36600');
    expect((await h.services.portal.settings.get()).credentialMaxDays).toBeNull();
    await page.getByTestId('settings-max-days').fill('90');
    await page.getByTestId('settings-idle-days').fill('180');
    await page.getByTestId('settings-credentials-submit').click();
    await page.getByText('Settings saved.').waitFor();
    expect(await page.getByTestId('settings-max-days').inputValue()).toBe('90');
    expect(await axe(page)).toEqual([]);
    await shot(page, '11-admin-settings-credential-limits');
    await context.close();

    const patient = await browser.newContext();
    const pp = await patient.newPage();
    await signIn(pp);
    await pp.getByTestId('generate-credentials').click();
    expect(await pp.getByTestId('credential-expiry').locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['30', '90']);
    expect(await pp.getByTestId('credential-expiry').inputValue()).toBe('90');
    await shot(pp, '12-generation-form-capped');
    await patient.close();
    await h.services.portal.settings.setCredentialLimits({ maxDays: null, idleDays: null }, 'test');
  }, 180_000);
});
