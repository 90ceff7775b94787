import { generatePatients, generateProviders } from '../../src/generate/index.js';
import { importBundle } from '../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../helpers/app.js';
import { type BoundaryDetector, boundaryDetector, reach } from '../helpers/boundary.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * The fuzz suite's server: two synthetic patients of the same seed (so they share
 * practitioners and organisations), A with credentials and tokens, B with data A must
 * never see. Everything the generators may aim at (ids, names, codes of both patients)
 * is collected here, from the bundles, independently of the server.
 */
type Json = Record<string, any>;

export const DATA_SEED = 13;

export interface World {
  t: TestApp;
  patientA: string;
  patientB: string;
  /** `Type/id` of A's and B's resources (B's include what only B reaches). */
  idsA: string[];
  idsB: string[];
  /** Strings found in the records (names, codes, systems, dates): search values that match something. */
  words: string[];
  /** Everything A may see; grows when a write made with A's credential creates something. */
  allowedA: Set<string>;
  detector: BoundaryDetector;
  /** Values substituted for `{{NAME}}` placeholders in generated requests. */
  secrets: Record<string, string>;
}

export async function createWorld(kind: 'sqlite' | 'postgres'): Promise<World> {
  const t = await createTestApp(kind);
  const providers = generateProviders(DATA_SEED) as Json;
  const [a, b] = [...generatePatients({ count: 2, seed: DATA_SEED })] as Json[];
  for (const bundle of [providers, a, b]) await importBundle(t.services.store, bundle);
  // B is made unmistakable: a marker name and note nobody else has.
  const patientB = b.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource;
  await t.services.store.transaction(async (tx) => {
    await tx.put({ ...patientB, name: [...patientB.name, { family: 'Bravoleak', given: ['Zulu'] }] });
  });
  const patientA = a.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource.id as string;

  const reachA = reach(a);
  const reachB = reach(b);
  const allowedA = new Set(reachA.all);
  const onlyB = [...reachB.all].filter((k) => !allowedA.has(k));

  const words = new Set<string>(['Bravoleak', 'Zulu']);
  const collect = (v: unknown, key = ''): void => {
    if (Array.isArray(v)) return v.forEach((x) => collect(x, key));
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) collect(x, k);
      return;
    }
    if (typeof v === 'string' && ['code', 'system', 'family', 'given', 'value', 'birthDate', 'effectiveDateTime', 'status', 'gender', 'city', 'postalCode', 'unit'].includes(key)) {
      if (v.length < 80) words.add(v);
    }
  };
  for (const bundle of [a, b]) collect(bundle.entry.slice(0, 120).map((e: Json) => e.resource));

  const main = await credentialFor(t.services, patientA);
  // Wrong secrets are only ever tried with this one, so A's key is never throttled.
  const spare = await credentialFor(t.services, patientA, 'Spare');
  const token = async (scope?: string) => {
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: main.key, client_secret: main.secret, ...(scope ? { scope } : {}) });
    const res = await t.app.inject({ method: 'POST', url: '/oauth/token', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: form.toString() });
    if (res.statusCode !== 200) throw new Error(`token request failed: ${res.body}`);
    return res.json().access_token as string;
  };
  const login = await t.app.inject({ method: 'GET', url: '/portal/login' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)?.[1];
  const cookie = login.cookies.find((c) => c.name === 'ck_csrf');
  if (!csrf || !cookie) throw new Error('no CSRF token on /portal/login');

  const bearer = await token();
  const mid = bearer.length >> 1;
  return {
    t,
    patientA,
    patientB: patientB.id,
    idsA: [...reachA.own],
    idsB: [...reachB.own],
    words: [...words],
    allowedA,
    detector: boundaryDetector(allowedA, onlyB),
    secrets: {
      KEY_A: main.key,
      SECRET_A: main.secret,
      KEY_SPARE: spare.key,
      BASIC_A: basic(main.key, main.secret),
      BEARER_A: `Bearer ${bearer}`,
      BEARER_TOKEN_A: bearer,
      BASIC_A_CREDS: basic(main.key, main.secret).slice(6),
      BEARER_A_TAMPERED: bearer.slice(0, mid) + (bearer[mid] === 'A' ? 'B' : 'A') + bearer.slice(mid + 1),
      BEARER_A_NONE: `eyJhbGciOiJub25lIn0.${Buffer.from(JSON.stringify({ sub: patientA })).toString('base64url')}.`,
      BEARER_A_NARROW: `Bearer ${await token('patient/Observation.rs patient/Patient.r')}`,
      CSRF: csrf,
      CSRF_COOKIE: `ck_csrf=${cookie.value}`,
    },
  };
}
