import { readFileSync } from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { SAMPLE_DATA, syntheaFile } from '../helpers/sample-data.js';
import { addPatient, enabledPatient } from '../portal/harness.js';
import { PageClient } from '../portal/browser-client.js';
import { authorizeQuery, consentItems, form, launch, pkce } from './smart-helpers.js';

/**
 * SMART App Launch over HTTP (standalone patient launch): the authorization request, the
 * patient's sign-in and consent, the code exchange with PKCE, refresh, id_token,
 * introspection and revocation — and every negative case of the Inferno checklist
 * §3.2/§3.3, the limited-scope launch of §3.5 and the granular-scope replay of §2.
 * Expected data comes from the Synthea bundles themselves.
 */
const FILE_A = 'Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json';
const A = '1f456f0a-acb1-4728-82af-01ca57083c7b';
const REDIRECT = 'https://app.example.org/callback';
const PATIENT = { username: 'kermit', password: 'correct horse battery' };

type Json = Record<string, any>;
const bundleOf = (file: string) => JSON.parse(readFileSync(syntheaFile(file), 'utf8')) as Json;
const hasCategory = (r: Json, system: string, code: string) =>
  (r.category ?? []).some((c: Json) => (c.coding ?? []).some((k: Json) => k.system === system && k.code === code));
const OBS_CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';

describe.runIf(SAMPLE_DATA).each(await backends())('SMART standalone launch on %s', (kind) => {
  let t: TestApp;
  let aud: string;
  let confidential: { id: string; secret: string };
  let publicClient: string;
  let bId: string;
  const resourcesA = (bundleOf(FILE_A).entry as Json[]).map((e) => e.resource as Json);

  beforeAll(async () => {
    t = await createTestApp(kind, { publicUrl: 'http://chartkey.test' });
    aud = 'http://chartkey.test/fhir';
    await importFiles(t.services.store, [syntheaFile(FILE_A)]);
    bId = 'patient-b';
    await addPatient(t.services, bId, 'Otherfamily');
    await enabledPatient(t.services, A, PATIENT.username, PATIENT.password);
    await enabledPatient(t.services, bId, 'emory', 'another good password');
    const reg = await t.services.oauth.clients.register({ name: 'Confidential App', type: 'confidential', redirectUris: [REDIRECT], createdBy: 'test' });
    confidential = { id: reg.client.clientId, secret: reg.clientSecret! };
    publicClient = (await t.services.oauth.clients.register({ name: 'Public App', type: 'public', redirectUris: [REDIRECT], createdBy: 'test' })).client.clientId;
  }, 120_000);
  afterAll(async () => t?.close());

  const token = (body: Record<string, string>, auth?: string) =>
    t.app.inject({ method: 'POST', url: '/oauth/token', ...form(body), headers: { ...form(body).headers, ...(auth ? { authorization: auth } : {}) } });
  const fhir = (url: string, accessToken: string) => t.app.inject({ method: 'GET', url: `/fhir/${url}`, headers: { authorization: `Bearer ${accessToken}` } });
  const confidentialAuth = () => basic(confidential.id, confidential.secret);

  async function codeFor(scope: string, opts: { clientId?: string; choose?: (items: Array<{ scope: string; checked: boolean }>) => string[]; state?: string } = {}) {
    const p = pkce();
    const r = await launch(t.app, { clientId: opts.clientId ?? confidential.id, redirectUri: REDIRECT, scope, aud, challenge: p.challenge, state: opts.state }, PATIENT, { choose: opts.choose });
    expect(r.status).toBe(303);
    expect(r.location!.origin + r.location!.pathname).toBe(REDIRECT);
    return { code: r.location!.searchParams.get('code')!, state: r.location!.searchParams.get('state'), verifier: p.verifier, location: r.location!, consent: r.consent! };
  }

  it('full launch: consent, code + PKCE, token response per SPEC, id_token verified against the JWKS, Patient read', async () => {
    const { code, verifier, state, location, consent } = await codeFor('launch/patient openid fhirUser offline_access patient/*.rs', { state: 'xyz' });
    expect(state).toBe('xyz');
    expect(location.searchParams.get('iss')).toBe('http://chartkey.test');
    expect(consent).toContain('data-testid="consent-offline-notice"');
    expect(consent).toContain('data-testid="consent-app-name"');
    const res = await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, confidentialAuth());
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers.pragma).toBe('no-cache');
    const body = res.json();
    expect(body).toMatchObject({ token_type: 'Bearer', patient: A, expires_in: 3600 });
    expect(body.scope.split(' ')).toEqual(expect.arrayContaining(['launch/patient', 'openid', 'fhirUser', 'offline_access', 'patient/*.rs']));
    expect(typeof body.refresh_token).toBe('string');
    const jwks = (await t.app.inject({ method: 'GET', url: '/oauth/jwks' })).json();
    const { payload, protectedHeader } = await jwtVerify(body.id_token, createLocalJWKSet(jwks), { issuer: 'http://chartkey.test', audience: confidential.id });
    expect(protectedHeader.alg).toBe('RS256');
    expect(protectedHeader.kid).toBeTruthy();
    expect(payload.fhirUser).toBe(`http://chartkey.test/fhir/Patient/${A}`);
    expect(typeof payload.sub).toBe('string');
    const read = await fhir(`Patient/${A}`, body.access_token);
    expect(read.statusCode).toBe(200);
    expect(read.json().id).toBe(A);
    // The patient is told an app was given access (a portal banner; e-mail for Premium).
    const notices = await t.services.notices.active(A);
    expect(notices.some((n) => n.kind === 'created' && n.subjectKind === 'app' && n.subjectName === 'Confidential App')).toBe(true);
    // fhirUser is readable with the token (Inferno 3.1)

    expect((await fhir(String(payload.fhirUser).replace('http://chartkey.test/fhir/', ''), body.access_token)).statusCode).toBe(200);
  });

  it('refresh rotates, the new access token reads; a rotated refresh token replayed revokes the whole grant', async () => {
    const { code, verifier } = await codeFor('launch/patient offline_access patient/*.rs');
    const first = (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier }, confidentialAuth())).json();
    const refreshed = await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, confidentialAuth());
    expect(refreshed.statusCode).toBe(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
    const second = refreshed.json();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.patient).toBe(A);
    expect((await fhir(`Patient/${A}`, second.access_token)).statusCode).toBe(200);
    // Replay of the rotated token: refused, and everything of the grant dies.
    expect((await token({ grant_type: 'refresh_token', refresh_token: first.refresh_token }, confidentialAuth())).statusCode).toBe(400);
    expect((await fhir(`Patient/${A}`, second.access_token)).statusCode).toBe(401);
    expect((await token({ grant_type: 'refresh_token', refresh_token: second.refresh_token }, confidentialAuth())).statusCode).toBe(400);
  });

  it('token endpoint negatives (checklist §3.2): bad code, reused code, bad client, PKCE missing/blank/wrong/equal to challenge, random refresh token', async () => {
    const bad = await token({ grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: REDIRECT, code_verifier: 'v'.repeat(43) }, confidentialAuth());
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_grant');

    const badClient = await token({ grant_type: 'authorization_code', code: 'x'.repeat(43), redirect_uri: REDIRECT }, basic('app_doesnotexist0000000000', 'nope'));
    expect([400, 401]).toContain(badClient.statusCode);
    expect(badClient.json().error).toBe('invalid_client');

    for (const verifier of [undefined, '', 'wrong'.repeat(10)]) {
      const c = await codeFor('launch/patient patient/*.rs');
      const body: Record<string, string> = { grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT };
      if (verifier !== undefined) body.code_verifier = verifier;
      const res = await token(body, confidentialAuth());
      expect([400, 401]).toContain(res.statusCode);
    }
    // The verifier equal to the challenge (a client that sent the challenge twice).
    const p = pkce();
    const r = await launch(t.app, { clientId: confidential.id, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: p.challenge }, PATIENT);
    const code = r.location!.searchParams.get('code')!;
    expect((await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.challenge }, confidentialAuth())).statusCode).toBe(400);

    // Reused code: the second exchange fails and revokes what the first issued.
    const c2 = await codeFor('launch/patient patient/*.rs');
    const ok = await token({ grant_type: 'authorization_code', code: c2.code, redirect_uri: REDIRECT, code_verifier: c2.verifier }, confidentialAuth());
    expect(ok.statusCode).toBe(200);
    const again = await token({ grant_type: 'authorization_code', code: c2.code, redirect_uri: REDIRECT, code_verifier: c2.verifier }, confidentialAuth());
    expect(again.statusCode).toBe(400);
    expect((await fhir(`Patient/${A}`, ok.json().access_token)).statusCode).toBe(401);

    const randomRefresh = await token({ grant_type: 'refresh_token', refresh_token: 'r'.repeat(43) }, confidentialAuth());
    expect([400, 401]).toContain(randomRefresh.statusCode);
    const unsupported = await token({ grant_type: 'password', username: 'a', password: 'b' }, confidentialAuth());
    expect(unsupported.json().error).toBe('unsupported_grant_type');
  });

  it('a code is bound to its client and redirect URI; a public client must use PKCE and cannot skip it', async () => {
    const other = await t.services.oauth.clients.register({ name: 'Other', type: 'confidential', redirectUris: [REDIRECT], createdBy: 'test' });
    const c = await codeFor('patient/*.rs');
    expect((await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, basic(other.client.clientId, other.clientSecret!))).statusCode).toBe(400);
    const c3 = await codeFor('patient/*.rs');
    expect((await token({ grant_type: 'authorization_code', code: c3.code, redirect_uri: `${REDIRECT}/other`, code_verifier: c3.verifier }, confidentialAuth())).statusCode).toBe(400);

    // Public client without PKCE: refused at /authorize (redirect with error, no code).
    const noPkce = await launch(t.app, { clientId: publicClient, redirectUri: REDIRECT, scope: 'patient/*.rs', aud }, PATIENT);
    expect(noPkce.location!.searchParams.get('error')).toBe('invalid_request');
    expect(noPkce.location!.searchParams.get('code')).toBeNull();
    const plain = await launch(t.app, { clientId: publicClient, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: 'a'.repeat(43), method: 'plain' }, PATIENT);
    expect(plain.location!.searchParams.get('error')).toBe('invalid_request');
    // With PKCE: code exchanged with client_id only.
    const pc = await codeFor('patient/*.rs', { clientId: publicClient });
    const res = await token({ grant_type: 'authorization_code', code: pc.code, redirect_uri: REDIRECT, code_verifier: pc.verifier, client_id: publicClient });
    expect(res.statusCode).toBe(200);
  });

  it('bad aud never yields a code; an unknown client or redirect URI is an error page, never a redirect; deny → access_denied with state', async () => {
    const p = pkce();
    const badAud = await launch(t.app, { clientId: confidential.id, redirectUri: REDIRECT, scope: 'patient/*.rs', aud: 'https://evil.example/fhir', challenge: p.challenge }, PATIENT);
    expect(badAud.location?.searchParams.get('code') ?? null).toBeNull();
    expect(badAud.location?.searchParams.get('error')).toBe('invalid_request');

    for (const q of [
      authorizeQuery({ clientId: 'app_unknown0000000000000000', redirectUri: REDIRECT, scope: 'patient/*.rs', aud }),
      authorizeQuery({ clientId: confidential.id, redirectUri: 'https://evil.example/cb', scope: 'patient/*.rs', aud }),
    ]) {
      const res = await t.app.inject({ method: 'GET', url: q });
      expect(res.statusCode).toBe(400);
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['content-type']).toContain('text/html');
    }

    const denied = await launch(t.app, { clientId: confidential.id, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: p.challenge, state: 's-deny' }, PATIENT, { decision: 'deny' });
    expect(denied.location!.searchParams.get('error')).toBe('access_denied');
    expect(denied.location!.searchParams.get('state')).toBe('s-deny');
    expect(denied.location!.searchParams.get('code')).toBeNull();
  });

  it('the consent page: not frameable, CSRF-protected decision, escaped app name', async () => {
    const evil = await t.services.oauth.clients.register({ name: '<img src=x onerror=alert(1)>"Evil"', type: 'public', redirectUris: [REDIRECT], createdBy: 'test' });
    const p = pkce();
    const r = await launch(t.app, { clientId: evil.client.clientId, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: p.challenge }, PATIENT, { decision: 'deny' });
    expect(r.consent).not.toContain('<img src=x');
    expect(r.consent).toContain('&lt;img src=x onerror=alert(1)>');
    const handOff = await r.client.get(authorizeQuery({ clientId: evil.client.clientId, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: p.challenge }));
    const page = await r.client.get(String(handOff.headers.location));
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['x-frame-options']).toBe('DENY');
    // A decision without the form's token is refused.
    const forged = await t.app.inject({
      method: 'POST', url: '/portal/authorize/decision',
      ...form({ client_id: evil.client.clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'patient/*.rs', aud, decision: 'allow', grant: 'patient/*.rs' }),
    });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers.location).toBeUndefined();
  });

  it('limited scope (checklist §3.5): the patient grants Patient, Condition, Observation only → denied types 403, granted 200', async () => {
    const keep = ['patient/Patient.rs', 'patient/Condition.rs', 'patient/Observation.rs'];
    const c = await codeFor('launch/patient patient/*.rs', { choose: (items) => items.map((i) => i.scope).filter((s) => keep.includes(s)) });
    const body = (await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, confidentialAuth())).json();
    expect(body.scope.split(' ').sort()).toEqual(['launch/patient', ...keep].sort());
    expect((await fhir(`Patient?_id=${A}`, body.access_token)).statusCode).toBe(200);
    expect((await fhir(`Condition?patient=${A}`, body.access_token)).statusCode).toBe(200);
    expect((await fhir(`Observation?patient=${A}&code=2708-6`, body.access_token)).statusCode).toBe(200);
    for (const denied of ['AllergyIntolerance', 'Immunization', 'Encounter', 'Procedure', 'MedicationRequest', 'DiagnosticReport']) {
      const res = await fhir(`${denied}?patient=${A}`, body.access_token);
      expect(res.statusCode).toBe(403);
      expect(res.json().resourceType).toBe('OperationOutcome');
    }
    // Not through _revinclude or $everything either.
    const everything = await fhir(`Patient/${A}/$everything`, body.access_token);
    const types = new Set(((everything.json().entry ?? []) as Json[]).map((e) => e.resource.resourceType));
    expect([...types].every((ty) => ['Patient', 'Condition', 'Observation'].includes(ty))).toBe(true);
  });

  it('granular scopes (checklist §2): only the granted categories, exactly the ids of the input filtered by category; a non-matching read is refused', async () => {
    const granted = [`patient/Observation.rs?category=${OBS_CAT}|laboratory`, `patient/Observation.rs?category=${OBS_CAT}|vital-signs`];
    const c = await codeFor(`launch/patient patient/Patient.rs ${granted.join(' ')}`);
    const body = (await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, confidentialAuth())).json();
    expect(body.scope.split(' ')).toEqual(expect.arrayContaining(granted));
    expect(body.scope).not.toMatch(/patient\/Observation\.rs(\s|$)/);
    const obs = resourcesA.filter((r) => r.resourceType === 'Observation');
    const labs = obs.filter((r) => hasCategory(r, OBS_CAT, 'laboratory')).map((r) => r.id).sort();
    const vitals = obs.filter((r) => hasCategory(r, OBS_CAT, 'vital-signs')).map((r) => r.id).sort();
    const other = obs.filter((r) => !hasCategory(r, OBS_CAT, 'laboratory') && !hasCategory(r, OBS_CAT, 'vital-signs'));
    expect(labs.length).toBeGreaterThan(0);
    expect(other.length).toBeGreaterThan(0);

    const all = async (url: string) => {
      const ids: string[] = [];
      let next: string | undefined = url;
      while (next) {
        const res = await fhir(next.replace('http://chartkey.test/fhir/', ''), body.access_token);
        expect(res.statusCode).toBe(200);
        const b = res.json();
        ids.push(...((b.entry ?? []) as Json[]).filter((e) => e.search?.mode !== 'include').map((e) => e.resource.id));
        next = (b.link as Json[]).find((l) => l.relation === 'next')?.url;
      }
      return ids.sort();
    };
    expect(await all(`Observation?patient=${A}&category=laboratory&_count=50`)).toEqual(labs);
    expect(await all(`Observation?patient=${A}&category=${OBS_CAT}|vital-signs&_count=50`)).toEqual(vitals);
    expect(await all(`Observation?patient=${A}&_count=100`)).toEqual([...labs, ...vitals].sort());
    expect(await all(`Observation?patient=${A}&category=survey`)).toEqual([]);
    const counted = (await fhir(`Observation?patient=${A}&_summary=count`, body.access_token)).json();
    expect(counted.total).toBe(labs.length + vitals.length);
    expect((await fhir(`Observation/${labs[0]}`, body.access_token)).statusCode).toBe(200);
    const refused = await fhir(`Observation/${other[0].id}`, body.access_token);
    expect(refused.statusCode).toBe(404);
    expect(refused.json().resourceType).toBe('OperationOutcome');
    expect((await fhir(`Condition?patient=${A}`, body.access_token)).statusCode).toBe(403);
    const everything = ((await fhir(`Patient/${A}/$everything`, body.access_token)).json().entry as Json[]).map((e) => e.resource);
    expect(everything.filter((r) => r.resourceType === 'Observation').map((r) => r.id).sort()).toEqual([...labs, ...vitals].sort());
  });

  it('granular selection: asked for whole Condition/Observation, the patient narrows to categories at the consent page', async () => {
    const c = await codeFor('launch/patient patient/Patient.rs patient/Condition.rs patient/Observation.rs', {
      choose: (items) => {
        expect(items.find((i) => i.scope === 'patient/Observation.rs')?.checked).toBe(true);
        return ['patient/Patient.rs', ...items.map((i) => i.scope).filter((s) => s.includes('?category=') && /laboratory|encounter-diagnosis/.test(s))];
      },
    });
    const scope: string = (await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, confidentialAuth())).json().scope;
    expect(scope.split(' ')).not.toContain('patient/Observation.rs');
    expect(scope.split(' ')).not.toContain('patient/Condition.rs');
    expect(scope).toMatch(/patient\/Observation\.rs\?category=\S+\|laboratory/);
    expect(scope).toMatch(/patient\/Condition\.rs\?category=\S+\|encounter-diagnosis/);
    expect(scope.split(' ')).toContain('patient/Patient.rs');
  });

  it('introspection: active token per SMART 2; dead or unknown exactly {"active":false}; revocation (RFC 7009) kills access and refresh tokens', async () => {
    const c = await codeFor('launch/patient openid fhirUser offline_access patient/*.rs');
    const body = (await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, confidentialAuth())).json();
    const introspect = (tok: string) =>
      t.app.inject({ method: 'POST', url: '/oauth/introspect', ...form({ token: tok }), headers: { ...form({}).headers, authorization: confidentialAuth() } });
    const active = (await introspect(body.access_token)).json();
    expect(active).toMatchObject({ active: true, client_id: confidential.id, patient: A, scope: body.scope, iss: 'http://chartkey.test', fhirUser: `http://chartkey.test/fhir/Patient/${A}` });
    expect(typeof active.exp).toBe('number');
    expect((await introspect('ck1_garbage')).json()).toStrictEqual({ active: false });
    expect((await introspect('r'.repeat(43))).json()).toStrictEqual({ active: false });
    // Without client authentication: refused.
    expect((await t.app.inject({ method: 'POST', url: '/oauth/introspect', ...form({ token: body.access_token }) })).statusCode).toBe(401);

    const revoked = await t.app.inject({ method: 'POST', url: '/oauth/revoke', ...form({ token: body.refresh_token }), headers: { ...form({}).headers, authorization: confidentialAuth() } });
    expect(revoked.statusCode).toBe(200);
    expect((await fhir(`Patient/${A}`, body.access_token)).statusCode).toBe(401);
    expect([400, 401]).toContain((await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token }, confidentialAuth())).statusCode);
    expect((await introspect(body.access_token)).json()).toStrictEqual({ active: false });
  });

  it('the patient boundary: a grant for A never reaches B, and no launch/patient parameter switches patient', async () => {
    const c = await codeFor('launch/patient patient/*.rs', {});
    const body = (await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier, patient: bId }, confidentialAuth())).json();
    expect(body.patient).toBe(A);
    expect((await fhir(`Patient/${bId}`, body.access_token)).statusCode).toBe(404);
    const search = (await fhir(`Observation?patient=${bId}`, body.access_token)).json();
    expect(search.entry ?? []).toEqual([]);
    const launchParam = await launch(t.app, { clientId: confidential.id, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: pkce().challenge, extra: { launch: bId } }, PATIENT);
    expect(launchParam.location?.searchParams.get('code') ?? null).toBeNull();
  });

  it("a patient's generated credential is a confidential SMART client: its redirect URIs, its own patient only; deleting it kills its grants", async () => {
    const account = (await t.services.portal.accounts.getByPatient(A))!;
    const cred = await t.services.credentials.create(A, account.id, 'My app', [REDIRECT]);
    const p = pkce();
    const r = await launch(t.app, { clientId: cred.key, redirectUri: REDIRECT, scope: 'launch/patient offline_access patient/*.rs', aud, challenge: p.challenge }, PATIENT);
    const code = r.location!.searchParams.get('code')!;
    const body = (await token({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: p.verifier }, basic(cred.key, cred.secret))).json();
    expect(body.patient).toBe(A);
    expect((await fhir(`Patient/${A}`, body.access_token)).statusCode).toBe(200);
    // Another patient signing in cannot use A's credential as an app.
    const other = await launch(t.app, { clientId: cred.key, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: p.challenge }, { username: 'emory', password: 'another good password' });
    expect(other.status).toBe(403);
    // An unregistered redirect URI for the credential: error page.
    expect((await t.app.inject({ method: 'GET', url: authorizeQuery({ clientId: cred.key, redirectUri: 'https://elsewhere.example/cb', scope: 'patient/*.rs', aud }) })).statusCode).toBe(400);
    await t.services.credentials.revoke(cred.credential.id, 'test', A);
    expect((await fhir(`Patient/${A}`, body.access_token)).statusCode).toBe(401);
    expect([400, 401]).toContain((await token({ grant_type: 'refresh_token', refresh_token: body.refresh_token }, basic(cred.key, cred.secret))).statusCode);
  });

  it('discovery documents list what works; CORS for browser apps on token, FHIR, metadata and discovery', async () => {
    const smart = (await t.app.inject({ method: 'GET', url: '/fhir/.well-known/smart-configuration', headers: { origin: 'https://app.example.org' } }));
    expect(smart.headers['access-control-allow-origin']).toBe('https://app.example.org');
    const s = smart.json();
    for (const cap of ['launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric', 'sso-openid-connect', 'context-standalone-patient', 'permission-offline', 'permission-patient', 'authorize-post', 'permission-v2', 'permission-v1']) {
      expect(s.capabilities).toContain(cap);
    }
    expect(s.grant_types_supported).toContain('authorization_code');
    expect(s.code_challenge_methods_supported).toEqual(['S256']);
    const oidc = (await t.app.inject({ method: 'GET', url: '/.well-known/openid-configuration' })).json();
    for (const f of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri', 'response_types_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) expect(oidc[f]).toBeTruthy();
    const meta = await t.app.inject({ method: 'GET', url: '/fhir/metadata', headers: { origin: 'https://app.example.org' } });
    expect(meta.headers['access-control-allow-origin']).toBe('https://app.example.org');
    const pre = await t.app.inject({ method: 'OPTIONS', url: '/oauth/token', headers: { origin: 'https://app.example.org', 'access-control-request-method': 'POST' } });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://app.example.org');
    const oauthUris = meta.json().rest[0].security.extension.find((e: Json) => e.url.endsWith('oauth-uris'));
    const uris = Object.fromEntries(oauthUris.extension.map((e: Json) => [e.url, e.valueUri]));
    expect(uris).toMatchObject({ authorize: s.authorization_endpoint, token: s.token_endpoint, introspect: s.introspection_endpoint, revoke: s.revocation_endpoint });
  });

  it('codes, refresh tokens and secrets never reach the log or the database in the clear', async () => {
    const c = await codeFor('launch/patient offline_access patient/*.rs');
    const body = (await token({ grant_type: 'authorization_code', code: c.code, redirect_uri: REDIRECT, code_verifier: c.verifier }, confidentialAuth())).json();
    const log = t.logText();
    for (const secret of [c.code, body.refresh_token, body.access_token, confidential.secret, c.verifier]) expect(log).not.toContain(secret);
    const dump = JSON.stringify([
      await t.services.db.all('SELECT * FROM oauth_codes'),
      await t.services.db.all('SELECT * FROM oauth_refresh_tokens'),
      await t.services.db.all('SELECT * FROM oauth_clients'),
      await t.services.db.all('SELECT * FROM oauth_signing_keys'),
    ]);
    for (const secret of [c.code, body.refresh_token, confidential.secret]) expect(dump).not.toContain(secret);
    expect(dump).not.toContain('"d":"');
  });

  it('a patient signing in with a temporary password sets a new one and comes back to the consent page', async () => {
    const { enablePortal } = await import('../../src/accounts/enablement.js');
    await addPatient(t.services, 'temp-pw', 'Temporary');
    await enablePortal(t.services, { patientId: 'temp-pw', username: 'tempuser', password: 'temporary-pass-1', by: { kind: 'system', id: 'test' } });
    const client = new PageClient(t.app);
    let res = await client.get(authorizeQuery({ clientId: confidential.id, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: pkce().challenge }));
    res = await client.get(String(res.headers.location)); // → /portal/authorize → sign-in
    const next = new URL(String(res.headers.location), 'http://x').searchParams.get('next')!;
    await client.get(String(res.headers.location));
    res = await client.post('/portal/login', { username: 'tempuser', password: 'temporary-pass-1', next });
    expect(String(res.headers.location)).toMatch(/^\/portal\/password\/new\?next=/);
    const page = await client.get(String(res.headers.location));
    expect(page.body).toContain('name="next"');
    res = await client.post('/portal/password/new', { password: 'a brand new passphrase', confirm: 'a brand new passphrase', next });
    expect(res.statusCode).toBe(303);
    expect(String(res.headers.location)).toBe(next);
    const consent = await client.get(next);
    expect(consent.statusCode).toBe(200);
    expect(consent.body).toContain('data-testid="consent-allow"');
    // An outside address as `next` is ignored (never an open redirect).
    const evil = await client.post('/portal/password/new', { password: 'x', confirm: 'x', next: 'https://evil.example/' });
    expect(evil.headers.location ?? '').not.toContain('evil.example');
  });

  it('consent items: one checkbox per US Core type for patient/*.rs, plus Condition/Observation categories', async () => {
    const client = (await launch(t.app, { clientId: confidential.id, redirectUri: REDIRECT, scope: 'patient/*.rs', aud, challenge: pkce().challenge }, PATIENT, { decision: 'deny' })).consent!;
    const items = consentItems(client);
    for (const type of ['Patient', 'AllergyIntolerance', 'CarePlan', 'CareTeam', 'Condition', 'Coverage', 'Device', 'DiagnosticReport', 'DocumentReference', 'Encounter', 'Goal', 'Immunization', 'MedicationDispense', 'MedicationRequest', 'Observation', 'Procedure', 'Provenance', 'ServiceRequest', 'Specimen', 'Practitioner', 'Organization']) {
      expect(items.some((i) => i.scope === `patient/${type}.rs` && i.checked)).toBe(true);
    }
    expect(items.some((i) => i.scope === `patient/Observation.rs?category=${OBS_CAT}|laboratory`)).toBe(true);
    expect(items.some((i) => i.scope === 'patient/Condition.rs?category=http://terminology.hl7.org/CodeSystem/condition-category|encounter-diagnosis')).toBe(true);
  });
});
