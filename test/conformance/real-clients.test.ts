import type FhirKitClient from 'fhir-kit-client';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFiles } from '../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';
import { SAMPLE_DATA, syntheaFile } from '../helpers/sample-data.js';

/**
 * Stock clients against a listening server: fhir-kit-client with a token from
 * /oauth/token, and plain fetch with HTTP Basic — reading, searching, following `next`
 * links to the end, and being refused after the credential is deleted.
 */
const FILE = 'Kermit_Trantow_f1a650a5-737e-4fd7-828e-03c3348b9524.json';
const PATIENT = '1f456f0a-acb1-4728-82af-01ca57083c7b';

type Json = Record<string, any>;
// fhir-kit-client is CommonJS; require() gives the class itself.
const Client = createRequire(import.meta.url)('fhir-kit-client') as new (config: { baseUrl: string; bearerToken?: string }) => InstanceType<typeof FhirKitClient.default>;

describe.runIf(SAMPLE_DATA).each(await backends())('real FHIR clients on %s', (kind) => {
  let t: TestApp;
  let base: string;
  let key: string;
  let secret: string;
  let credentialId: string;
  const observations = (JSON.parse(readFileSync(syntheaFile(FILE), 'utf8')).entry as Json[]).filter((e) => e.resource.resourceType === 'Observation');

  beforeAll(async () => {
    // A real port, so the clients speak HTTP; links must point at it.
    const port = 20000 + Math.floor(Math.random() * 20000);
    t = await createTestApp(kind, { publicUrl: `http://127.0.0.1:${port}` });
    await t.app.listen({ port, host: '127.0.0.1' });
    base = `http://127.0.0.1:${port}`;
    await importFiles(t.services.store, [syntheaFile(FILE)]);
    const c = await credentialFor(t.services, PATIENT, 'Real client');
    ({ key, secret } = c);
    credentialId = c.credential.id;
  }, 120_000);
  afterAll(async () => t?.close());

  it('fhir-kit-client: token, read, search and every next page, then refused after deletion', async () => {
    const tokenRes = await fetch(`${base}/oauth/token`, {
      method: 'POST',
      headers: { authorization: basic(key, secret), 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = (await tokenRes.json()) as Json;
    expect(token.patient).toBe(PATIENT);
    const client = new Client({ baseUrl: `${base}/fhir`, bearerToken: token.access_token });
    const patient = (await client.read({ resourceType: 'Patient', id: PATIENT })) as Json;
    expect(patient.id).toBe(PATIENT);

    const seen: string[] = [];
    let bundle = (await client.search({ resourceType: 'Observation', searchParams: { patient: PATIENT, _count: 7 } })) as Json;
    for (;;) {
      seen.push(...(bundle.entry ?? []).map((e: Json) => e.resource.id));
      if (!bundle.link?.some((l: Json) => l.relation === 'next')) break;
      bundle = (await client.nextPage({ bundle: bundle as never })) as Json;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.sort()).toEqual(observations.map((e) => e.resource.id).sort());

    await t.services.credentials.revoke(credentialId, 'test', PATIENT);
    await expect(client.read({ resourceType: 'Patient', id: PATIENT })).rejects.toMatchObject({ response: { status: 401 } });
  });

  it('fetch with HTTP Basic: metadata, SMART discovery, read and search', async () => {
    const c = await credentialFor(t.services, PATIENT, 'curl');
    const auth = { authorization: basic(c.key, c.secret), accept: 'application/fhir+json' };
    const meta = (await (await fetch(`${base}/fhir/metadata`)).json()) as Json;
    expect(meta.resourceType).toBe('CapabilityStatement');
    for (const path of ['/.well-known/smart-configuration', '/fhir/.well-known/smart-configuration']) {
      const smart = (await (await fetch(base + path)).json()) as Json;
      expect(smart.token_endpoint).toBe(`${base}/oauth/token`);
      expect(smart.grant_types_supported).toContain('client_credentials');
      expect(smart.token_endpoint_auth_methods_supported).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
    }
    const read = await fetch(`${base}/fhir/Patient/${PATIENT}`, { headers: auth });
    expect(read.status).toBe(200);
    const conditions = (await (await fetch(`${base}/fhir/Condition?patient=${PATIENT}`, { headers: auth })).json()) as Json;
    const expected = JSON.parse(readFileSync(syntheaFile(FILE), 'utf8')).entry.filter((e: Json) => e.resource.resourceType === 'Condition').length;
    expect(conditions.entry.length).toBe(expected);
  });
});
