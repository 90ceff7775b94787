import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromium, type Page } from 'playwright-core';
import { addPatient, enabledPatient, type Harness, startHarness } from '../portal/harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

async function axe(page: Page): Promise<string[]> {
  // Injected through the DevTools protocol: the page's own CSP (rightly) forbids inline scripts.
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run: () => Promise<{ violations: Array<{ id: string; impact: string }> }> } }).axe.run();
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact})`);
  });
  return result;
}

describe.skipIf(!existsSync(CHROMIUM))('seed flow in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  let base: string;
  beforeAll(async () => {
    h = await startHarness('sqlite');
    await addPatient(h.services, 'e2e');
    await enabledPatient(h.services, 'e2e', 'jane', 'correct horse battery');
    base = await h.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  it('generates, reveals, lists and deletes credentials as the seed describes', async () => {
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('dialog', (d) => void d.dismiss().then(() => errors.push(`alert: ${d.message()}`)));

    await page.goto(`${base}/portal/login`);
    expect(await axe(page)).toEqual([]);
    await page.getByTestId('login-username').fill('jane');
    await page.getByTestId('login-password').fill('correct horse battery');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('nav-my-history').click();
    await expect.poll(() => page.url()).toContain('/portal/history');
    await page.getByTestId('fhir-api-access').waitFor();
    expect(await axe(page)).toEqual([]);
    await page.screenshot({ path: `${ARTIFACTS}/my-history.png`, fullPage: true });

    await page.getByTestId('generate-credentials').click();
    await page.getByTestId('credential-name').fill('Health App');
    await page.getByTestId('credential-submit').click();
    const key = (await page.getByTestId('credential-key').textContent())!.trim();
    const secret = (await page.getByTestId('credential-secret').textContent())!.trim();
    expect(key).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(await axe(page)).toEqual([]);
    await page.getByTestId('copy-secret').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.screenshot({ path: `${ARTIFACTS}/reveal.png`, fullPage: true });

    await page.getByTestId('credential-done').click();
    await page.getByTestId('credential-row').first().waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.goBack();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    expect(await page.content()).not.toContain(secret);

    await page.goto(`${base}/portal/credentials/new`);
    await page.getByTestId('credential-name').fill('<img src=x onerror=alert(1)>');
    await page.getByTestId('credential-submit').click();
    await page.getByTestId('credential-done').click();
    await expect.poll(() => page.getByTestId('credential-row').count()).toBe(2);
    await expect.poll(() => page.getByText('<img src=x onerror=alert(1)>').count()).toBeGreaterThan(0);

    const row = page.getByTestId('credential-row').filter({ hasText: 'Health App' });
    await row.getByTestId('delete-credential').click();
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('toast').waitFor();
    expect(await page.getByTestId('toast').textContent()).toContain('deleted');
    await expect.poll(() => page.getByTestId('credential-row').count()).toBe(1);
    expect(await h.services.credentials.verify(key, secret)).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });

  it('works without JavaScript: the trash icon leads to a confirmation page', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${base}/portal/login`);
    await page.getByTestId('login-username').fill('jane');
    await page.getByTestId('login-password').fill('correct horse battery');
    await page.getByTestId('login-submit').click();
    await page.getByTestId('generate-credentials').click();
    await page.getByTestId('credential-name').fill('No JS app');
    await page.getByTestId('credential-submit').click();
    await page.getByTestId('credential-done').click();
    const rows = await page.getByTestId('credential-row').count();
    await page.getByTestId('credential-row').filter({ hasText: 'No JS app' }).getByTestId('delete-credential').click();
    await page.getByTestId('confirm-delete').click();
    await page.getByTestId('toast').waitFor();
    await expect.poll(() => page.getByTestId('credential-row').count()).toBe(rows - 1);
    await context.close();
  });
});
