import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';

/**
 * A minimal Bulk Data client over inject(): kick-off, poll until the manifest, download.
 * Written from the Bulk Data Access IG (https://hl7.org/fhir/uv/bulkdata/export.html).
 */
export const BASE = 'http://chartkey.test';

export interface Manifest {
  transactionTime: string;
  request: string;
  requiresAccessToken: boolean;
  output: Array<{ type: string; url: string; count?: number }>;
  error: Array<{ type: string; url: string; count?: number }>;
}

export const pathOf = (url: string) => {
  expect(url.startsWith(`${BASE}/fhir/`)).toBe(true);
  return url.slice(BASE.length);
};

export async function kickOff(app: FastifyInstance, path: string, auth: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await app.inject({ method: 'GET', url: path, headers: { authorization: auth, accept: 'application/fhir+json', prefer: 'respond-async', ...headers } });
  expect(res.statusCode, res.body).toBe(202);
  const location = String(res.headers['content-location']);
  expect(location).toMatch(/^http:\/\/chartkey\.test\/fhir\//);
  return location;
}

export async function waitForManifest(app: FastifyInstance, statusUrl: string, auth: string, timeoutMs = 60_000): Promise<Manifest> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ method: 'GET', url: pathOf(statusUrl), headers: { authorization: auth, accept: 'application/json' } });
    if (res.statusCode === 200) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      return res.json() as Manifest;
    }
    expect(res.statusCode, res.body).toBe(202);
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(res.headers['x-progress']).toBeTruthy();
    if (Date.now() > until) throw new Error('export did not finish in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every resource of every output file, parsed, with the file's type checked. */
export async function download(app: FastifyInstance, manifest: Manifest, auth: string): Promise<Array<Record<string, unknown> & { resourceType: string; id: string }>> {
  const out: Array<Record<string, unknown> & { resourceType: string; id: string }> = [];
  for (const file of manifest.output) {
    const res = await app.inject({ method: 'GET', url: pathOf(file.url), headers: { authorization: auth, accept: 'application/fhir+ndjson' } });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+ndjson/);
    const lines = res.body.split('\n').filter((l) => l.length > 0);
    if (file.count !== undefined) expect(lines.length).toBe(file.count);
    for (const line of lines) {
      const r = JSON.parse(line) as Record<string, unknown> & { resourceType: string; id: string };
      expect(r.resourceType).toBe(file.type);
      out.push(r);
    }
  }
  return out;
}

export async function exportAll(app: FastifyInstance, path: string, auth: string, headers: Record<string, string> = {}) {
  const status = await kickOff(app, path, auth, headers);
  const manifest = await waitForManifest(app, status, auth);
  return { status, manifest, resources: await download(app, manifest, auth) };
}

export const keyOf = (r: { resourceType: string; id: string }) => `${r.resourceType}/${r.id}`;
