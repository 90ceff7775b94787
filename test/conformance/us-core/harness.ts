/**
 * An Inferno-like client for the US Core conformance suite: imports the generated
 * providers and two patients, signs in as patient 0 through /oauth/token with a patient
 * credential, and searches with `Authorization: Bearer`, following `next` links the way
 * Inferno does (conformance/inferno-checklist.md §0).
 */
import { generatePatients, generateProviders, type Bundle } from '../../../src/generate/index.js';
import { importBundle } from '../../../src/importer/index.js';
import { basic, createTestApp, type TestApp } from '../../helpers/app.js';
import { credentialFor } from '../../helpers/patients.js';

export type Json = Record<string, any>;
export const PUBLIC_URL = 'http://chartkey.test';
export const BASE = `${PUBLIC_URL}/fhir`;
/** Inferno follows at most 20 pages (inferno-core fetch_all_bundled_resources). */
const MAX_PAGES = 20;

export interface SearchOutcome {
  status: number;
  /** Every entry's resource across all pages, in order. */
  resources: Json[];
  pages: number;
  /** The first page's body when the status is not 200. */
  body?: Json;
}

export interface UsCoreClient {
  t: TestApp;
  patientId: string;
  otherPatientId: string;
  /** Patient 0's generated bundle, for sanity checks only: the suite works from API responses. */
  bundle: Bundle;
  search(type: string, params: Array<[string, string]>, options?: { count?: number }): Promise<SearchOutcome>;
  /** POST [type]/_search with a form body. */
  postSearch(type: string, params: Array<[string, string]>): Promise<SearchOutcome>;
  /** GET with a raw, already-encoded query string. */
  searchRaw(type: string, query: string): Promise<SearchOutcome>;
  read(type: string, id: string): Promise<{ status: number; body: Json }>;
  close(): Promise<void>;
}

/** `?a=1&b=2` the way a Ruby FHIR client sends it: every value percent-encoded (`+` → %2B). */
export function queryString(params: Array<[string, string]>): string {
  return params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
}

export async function usCoreClient(kind: 'sqlite' | 'postgres'): Promise<UsCoreClient> {
  const t = await createTestApp(kind, { publicUrl: PUBLIC_URL });
  const [p0, p1] = [...generatePatients({ count: 2, seed: 1 })];
  await importBundle(t.services.store, generateProviders(1), { source: 'providers' });
  await importBundle(t.services.store, p0, { source: 'patient 0' });
  await importBundle(t.services.store, p1, { source: 'patient 1' });
  const patientId = String(p0.entry[0].resource.id);
  const otherPatientId = String(p1.entry[0].resource.id);
  const c = await credentialFor(t.services, patientId, 'Inferno');
  const tokenRes = await t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { authorization: basic(c.key, c.secret), 'content-type': 'application/x-www-form-urlencoded' },
    payload: 'grant_type=client_credentials',
  });
  if (tokenRes.statusCode !== 200) throw new Error(`token: ${tokenRes.statusCode} ${tokenRes.body}`);
  const token = tokenRes.json().access_token as string;
  if (tokenRes.json().patient !== patientId) throw new Error('token response names another patient');
  const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers });

  /** Follows next links from a first response, as Inferno does. */
  async function collect(first: { statusCode: number; body: string }): Promise<SearchOutcome> {
    if (first.statusCode !== 200) return { status: first.statusCode, resources: [], pages: 1, body: safeJson(first.body) };
    let page = JSON.parse(first.body) as Json;
    const resources: Json[] = [];
    let pages = 1;
    for (;;) {
      if (page.resourceType !== 'Bundle') throw new Error(`search answered a ${page.resourceType}, not a Bundle`);
      for (const e of page.entry ?? []) if (e.resource) resources.push(e.resource);
      const next = (page.link ?? []).find((l: Json) => l.relation === 'next')?.url as string | undefined;
      if (!next || pages >= MAX_PAGES) break;
      if (!next.startsWith(PUBLIC_URL)) throw new Error(`next link is not absolute under ${PUBLIC_URL}: ${next}`);
      const res = await get(next.slice(PUBLIC_URL.length));
      if (res.statusCode !== 200) throw new Error(`next page ${next}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      page = JSON.parse(res.body);
      pages++;
    }
    return { status: 200, resources, pages };
  }

  return {
    t,
    patientId,
    otherPatientId,
    bundle: p0,
    search: async (type, params, options = {}) => {
      const all: Array<[string, string]> = options.count ? [...params, ['_count', String(options.count)]] : params;
      return collect(await get(`/fhir/${type}?${queryString(all)}`));
    },
    searchRaw: async (type, query) => collect(await get(`/fhir/${type}?${query}`)),
    postSearch: async (type, params) =>
      collect(
        await t.app.inject({
          method: 'POST',
          url: `/fhir/${type}/_search`,
          headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload: queryString(params),
        }),
      ),
    read: async (type, id) => {
      const res = await get(`/fhir/${type}/${encodeURIComponent(id)}`);
      return { status: res.statusCode, body: safeJson(res.body) };
    },
    close: () => t.close(),
  };
}

function safeJson(text: string): Json {
  try {
    return JSON.parse(text) as Json;
  } catch {
    return { unparsable: text.slice(0, 200) };
  }
}
