import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { generatePatients, generateProviders } from '../../src/generate/index.js';
import { importBundles } from '../../src/importer/index.js';
import { basic } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { enabledPatient, type Harness, startHarness } from '../portal/harness.js';

/**
 * Patient controls in Chromium (SPEC "Patient controls"): categories, sensitive, expiry,
 * banners, activity + CSV download, replace secret with both choices. The app is checked
 * through its FHIR API with the revealed key and secret; expected data from the generated bundle.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
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
    mkdirSync(ARTIFACTS, { recursive: true });
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
    if (kind === 'sqlite') await page.screenshot({ path: `${ARTIFACTS}/controls-form.png`, fullPage: true });
    await page.getByTestId('credential-submit').click();
    const { key, secret } = await reveal(page);
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
    if (kind === 'sqlite') await page.screenshot({ path: `${ARTIFACTS}/controls-banners.png`, fullPage: true });
    const banners = await page.getByTestId('notice-banner').count();
    await page.getByTestId('dismiss-notice').first().click();
    await expect.poll(() => page.getByTestId('notice-banner').count()).toBe(banners - 1);

    // Activity, and its CSV download.
    await row.getByTestId('credential-activity').click();
    await expect.poll(() => page.locator('[data-testid="activity-row"]').count()).toBe(2);
    if (kind === 'sqlite') await page.screenshot({ path: `${ARTIFACTS}/controls-activity.png`, fullPage: true });
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
    await page.getByTestId('replace-submit').click();
    const second = await reveal(page);
    expect(second.key).toBe(first.key);
    expect(second.secret).not.toBe(first.secret);
    expect((await api(first.key, first.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
    expect((await api(second.key, second.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
    if (kind === 'sqlite') await page.screenshot({ path: `${ARTIFACTS}/controls-replaced.png`, fullPage: true });
    await page.getByTestId('credential-done').click();

    await row().getByTestId('replace-secret').click();
    await page.getByTestId('replace-cut-old').check();
    await page.getByTestId('replace-submit').click();
    const third = await reveal(page);
    expect((await api(second.key, second.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(401);
    expect((await api(first.key, first.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(401);
    expect((await api(third.key, third.secret, `/fhir/Patient/${patientId}`)).statusCode).toBe(200);
    await context.close();
  }, 180_000);
});
