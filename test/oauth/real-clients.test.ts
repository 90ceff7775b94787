import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/importer/index.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { SAMPLE_DATA, syntheaFile } from '../helpers/sample-data.js';
import { CHROMIUM, launchChromium, smartAppServer } from '../helpers/smart-app.js';
import { enabledPatient } from '../portal/harness.js';

/**
 * Full standalone launches driven by clients nobody here wrote, in Debian's Chromium:
 *
 * - openid-client 6 (PKCE, code exchange, id_token validation against our JWKS, refresh,
 *   introspection, revocation) — the browser does the patient's part: sign in, consent;
 * - fhirclient 2.6 (SMART's JS client) running in a small app page on another origin,
 *   served by this test: discovery, authorize with PKCE, token exchange and FHIR calls
 *   from the browser (so CORS is exercised for real).
 */
const FILE = 'Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json';
const PATIENT_ID = '1f456f0a-acb1-4728-82af-01ca57083c7b';
const USER = { username: 'kermit', password: 'correct horse battery' };

type Json = Record<string, any>;

describe.runIf(SAMPLE_DATA && existsSync(CHROMIUM)).each(await backends())('real SMART clients in Chromium on %s', (kind) => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let appServer: Server;
  let appOrigin: string;
  const expectedObservations = (JSON.parse(readFileSync(syntheaFile(FILE), 'utf8')).entry as Json[]).filter((e) => e.resource.resourceType === 'Observation').length;

  beforeAll(async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    base = `http://127.0.0.1:${port}`;
    t = await createTestApp(kind, { publicUrl: base });
    await t.app.listen({ port, host: '127.0.0.1' });
    await importFiles(t.services.store, [syntheaFile(FILE)]);
    await enabledPatient(t.services, PATIENT_ID, USER.username, USER.password);
    // The third-party app: another origin, serving fhirclient's launch and redirect pages.
    appServer = smartAppServer(`${base}/fhir`);
    await new Promise<void>((r) => appServer.listen(0, '127.0.0.1', () => r()));
    appOrigin = `http://127.0.0.1:${(appServer.address() as AddressInfo).port}`;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    appServer?.close();
    await t?.close();
  });

  /** The patient's part of a launch: sign in if asked, untick nothing, Allow. */
  async function signInAndAllow(page: Page) {
    await page.waitForSelector('[data-testid="login-username"], [data-testid="consent-allow"]');
    if (await page.$('[data-testid="login-username"]')) {
      await page.fill('[data-testid="login-username"]', USER.username);
      await page.fill('[data-testid="login-password"]', USER.password);
      await page.click('[data-testid="login-submit"]');
    }
    await page.waitForSelector('[data-testid="consent-allow"]');
    expect(await page.textContent('[data-testid="consent-app-name"]')).toBeTruthy();
    await page.click('[data-testid="consent-allow"]');
  }

  it('openid-client 6: discovery, PKCE launch, code exchange with id_token validation, Patient read, refresh, introspection, revocation', async () => {
    const reg = await t.services.oauth.clients.register({ name: 'OIDC Test App', type: 'confidential', redirectUris: [`${appOrigin}/oidc-callback`], createdBy: 'test' });
    const config = await oidc.discovery(new URL(base), reg.client.clientId, undefined, oidc.ClientSecretBasic(reg.clientSecret!), { execute: [oidc.allowInsecureRequests] });
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${appOrigin}/oidc-callback`,
      scope: 'launch/patient openid fhirUser offline_access patient/*.rs',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      aud: `${base}/fhir`,
    });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url.href);
    await signInAndAllow(page);
    await page.waitForURL((u) => u.href.startsWith(`${appOrigin}/oidc-callback`));
    const callback = new URL(page.url());
    await context.close();

    const tokens = await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
    expect(tokens.token_type.toLowerCase()).toBe('bearer');
    expect((tokens as Json).patient).toBe(PATIENT_ID);
    const claims = tokens.claims()!;
    expect(claims.fhirUser).toBe(`${base}/fhir/Patient/${PATIENT_ID}`);
    expect(claims.iss).toBe(base);

    const read = async (accessToken: string) => fetch(`${base}/fhir/Patient/${PATIENT_ID}`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect((await read(tokens.access_token)).status).toBe(200);

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect((await read(refreshed.access_token)).status).toBe(200);

    const active = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(active).toMatchObject({ active: true, client_id: reg.client.clientId, patient: PATIENT_ID });
    const dead = await oidc.tokenIntrospection(config, tokens.access_token + 'x');
    expect(dead).toEqual({ active: false });

    await oidc.tokenRevocation(config, refreshed.refresh_token!);
    expect((await read(refreshed.access_token)).status).toBe(401);
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toThrow();
  });

  it('fhirclient 2.6 in an app page on another origin: launch, consent, patient read and searches with every page, from the browser', async () => {
    const reg = await t.services.oauth.clients.register({ name: 'Browser App', type: 'public', redirectUris: [`${appOrigin}/callback.html`], createdBy: 'test' });
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${appOrigin}/launch.html?client_id=${reg.client.clientId}`);
    await signInAndAllow(page);
    await page.waitForURL((u) => u.href.startsWith(`${appOrigin}/callback.html`));
    await page.waitForFunction(() => document.getElementById('out')?.textContent !== 'waiting', undefined, { timeout: 30_000 });
    const out = (await page.textContent('#out'))!;
    await context.close();
    expect(out).not.toMatch(/^ERROR/);
    const result = JSON.parse(out);
    expect(result.patient).toBe(PATIENT_ID);
    expect(result.observations).toBe(expectedObservations);
    expect(result.fhirUser).toBe(`Patient/${PATIENT_ID}`);
  });
});
