/**
 * A full SMART standalone launch against a running ChartKey (e.g. `npm start`'s demo
 * practice), by two clients nobody here wrote, with Debian's Chromium playing the patient:
 *
 *   npx tsx scripts/smart-demo.ts --base http://localhost:8080 --username U --password P [--new-password N] \
 *     --client-id ID --client-secret SECRET --public-client-id ID2
 *
 * 1. openid-client 6 with a confidential client: discovery, PKCE, the patient signs in and
 *    allows, code exchange (id_token checked against /oauth/jwks), Patient read, refresh,
 *    introspection, revocation — then the revoked token is refused.
 * 2. fhirclient 2.6 (SMART's JS client) in an app page on another origin, with a public
 *    client: launch, consent, token, Patient read and an Observation search from the browser.
 *
 * Register the clients first (redirect URIs on 127.0.0.1:18080, this script's app server):
 *   npx chartkey app add "Demo OIDC app" --redirect-uri http://127.0.0.1:18080/oidc-callback --json
 *   npx chartkey app add "Demo browser app" --type public --redirect-uri http://127.0.0.1:18080/callback.html --json
 */
import * as oidc from 'openid-client';
import type { Page } from 'playwright-core';
import { parseArgs } from '../src/cli/args.js';
import { launchChromium, smartAppServer } from '../test/helpers/smart-app.js';

const { flags } = parseArgs(process.argv.slice(2), ['base', 'username', 'password', 'new-password', 'client-id', 'client-secret', 'public-client-id'], []);
const need = (name: string) => {
  const v = flags.get(name);
  if (typeof v !== 'string' || !v) throw new Error(`--${name} is required`);
  return v;
};
const base = need('base').replace(/\/+$/, '');
const user = { username: need('username'), password: need('password') };
const APP = 'http://127.0.0.1:18080';
const say = (s: string) => process.stdout.write(`${s}\n`);

// The app's pages, shared with test/oauth/real-clients.test.ts.
const app = smartAppServer(`${base}/fhir`);
await new Promise<void>((r) => app.listen(18080, '127.0.0.1', () => r()));
const browser = await launchChromium();

async function patientAllows(p: Page) {
  await p.waitForSelector('[data-testid="login-username"], [data-testid="consent-allow"]');
  if (await p.$('[data-testid="login-username"]')) {
    await p.fill('[data-testid="login-username"]', user.username);
    await p.fill('[data-testid="login-password"]', user.password);
    await p.click('[data-testid="login-submit"]');
    // A temporary password (Basic enablement) is replaced first; the launch then continues.
    await p.waitForSelector('[data-testid="password-new"], [data-testid="consent-allow"]');
    if (await p.$('[data-testid="password-new"]')) {
      const fresh = need('new-password');
      await p.fill('[data-testid="password-new"]', fresh);
      await p.fill('[data-testid="password-confirm"]', fresh);
      await p.click('[data-testid="password-submit"]');
      user.password = fresh;
      say('  (temporary password replaced at first sign-in; the launch continued)');
    }
  }
  await p.waitForSelector('[data-testid="consent-allow"]');
  say(`  consent page: "${await p.textContent('[data-testid="consent-app-name"]')}", ${(await p.$$('[data-testid="consent-scope"]')).length} checkboxes, offline notice: ${Boolean(await p.$('[data-testid="consent-offline-notice"]'))}`);
  await p.click('[data-testid="consent-allow"]');
}

try {
  say('openid-client 6, confidential client:');
  const config = await oidc.discovery(new URL(base), need('client-id'), undefined, oidc.ClientSecretBasic(need('client-secret')), { execute: [oidc.allowInsecureRequests] });
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${APP}/oidc-callback`, scope: 'launch/patient openid fhirUser offline_access patient/*.rs',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state, aud: `${base}/fhir`,
  });
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto(url.href);
  await patientAllows(p);
  await p.waitForURL((u) => u.href.startsWith(`${APP}/oidc-callback`));
  const tokens = await oidc.authorizationCodeGrant(config, new URL(p.url()), { pkceCodeVerifier: verifier, expectedState: state, idTokenExpected: true });
  await ctx.close();
  const patientId = (tokens as unknown as { patient: string }).patient;
  say(`  token: patient ${patientId}, scope "${tokens.scope}", id_token fhirUser ${tokens.claims()?.fhirUser}, refresh token: ${Boolean(tokens.refresh_token)}`);
  const read = async (t: string) => (await fetch(`${base}/fhir/Patient/${patientId}`, { headers: { authorization: `Bearer ${t}` } })).status;
  say(`  GET Patient/${patientId} → ${await read(tokens.access_token)}`);
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  say(`  refresh → new refresh token: ${refreshed.refresh_token !== tokens.refresh_token}; GET Patient with the new access token → ${await read(refreshed.access_token)}`);
  say(`  introspect → ${JSON.stringify(await oidc.tokenIntrospection(config, refreshed.access_token))}`);
  await oidc.tokenRevocation(config, refreshed.refresh_token!);
  say(`  revoked; GET Patient → ${await read(refreshed.access_token)}; introspect → ${JSON.stringify(await oidc.tokenIntrospection(config, refreshed.access_token))}`);

  say('fhirclient 2.6 in a browser app page, public client:');
  const ctx2 = await browser.newContext();
  const p2 = await ctx2.newPage();
  await p2.goto(`${APP}/launch.html?client_id=${encodeURIComponent(need('public-client-id'))}`);
  await patientAllows(p2);
  await p2.waitForURL((u) => u.href.startsWith(`${APP}/callback.html`));
  await p2.waitForFunction(() => document.getElementById('out')?.textContent !== 'waiting', undefined, { timeout: 30_000 });
  say(`  app page shows: ${await p2.textContent('#out')}`);
  await ctx2.close();
} finally {
  await browser.close();
  app.close();
}
