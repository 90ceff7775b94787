import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { openDb } from '../../src/db/open.js';
import { createLogger } from '../../src/logger.js';
import { createServices } from '../../src/services.js';
import { basic } from '../helpers/app.js';
import { spawnChartkey } from '../helpers/child.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

/**
 * SPEC Operations, tested on a real `chartkey serve` process: "SIGTERM stops taking new
 * requests, finishes those in flight, flushes every log and exits within 10 seconds", and
 * "TLS_CERT_FILE and TLS_KEY_FILE make the server speak HTTPS itself (TLS 1.2 or later)".
 */
const dir = mkdtempSync(join(tmpdir(), 'chartkey-serve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database with patient s1 and one credential, made before the server starts. */
async function prepare(kind: 'sqlite' | 'postgres'): Promise<{ url: string; auth: string; testDb?: TestDb }> {
  let testDb: TestDb | undefined;
  let url: string;
  if (kind === 'sqlite') url = `sqlite:${join(dir, `serve-${Date.now()}.sqlite`)}`;
  else url = (testDb = await createTestDb('postgres')).url;
  const services = await createServices(loadConfig({}, { databaseUrl: url, dataDir: dir, demo: false }), { logger: createLogger('silent') });
  await services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 's1', name: [{ family: 'Serve' }] }));
  const c = await credentialFor(services, 's1');
  await services.close();
  return { url, auth: basic(c.key, c.secret), testDb };
}

/** Sends a request's head and half its body, and the rest after `delayMs`: a request in flight. */
function slowRequest(port: number, path: string, headers: Record<string, string>, body: string, delayMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ port, host: '127.0.0.1', path, method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
    });
    req.on('error', reject);
    req.write(body.slice(0, 5));
    setTimeout(() => req.end(body.slice(5)), delayMs);
  });
}

const connectRefused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => (s.destroy(), resolve(false)));
    s.on('error', () => resolve(true));
  });

for (const kind of await backends()) {
  describe(`SIGTERM (${kind})`, () => {
    let setup: Awaited<ReturnType<typeof prepare>>;
    beforeAll(async () => {
      setup = await prepare(kind);
    });
    afterAll(async () => setup?.testDb?.drop());

    it('finishes the requests in flight, refuses new connections, writes the access log and exits 0 within 10 s', async () => {
      const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { DATABASE_URL: setup.url, CHARTKEY_DATA_DIR: dir });
      const port = Number((await server.waitFor(/Listening on:\s+http:\/\/127\.0\.0\.1:(\d+)/))[1]);
      const get = () =>
        fetch(`http://127.0.0.1:${port}/fhir/Patient/s1`, { headers: { authorization: setup.auth } }).then((r) => r.status);
      expect(await get()).toBe(200);

      // Three searches in flight: their bodies arrive 1.5 s after SIGTERM.
      const inFlight = Array.from({ length: 3 }, () =>
        slowRequest(port, '/fhir/Patient/_search', { authorization: setup.auth, 'content-type': 'application/x-www-form-urlencoded' }, 'name=serve', 1500),
      );
      await new Promise((r) => setTimeout(r, 300));
      const signalled = Date.now();
      server.proc.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      expect(await connectRefused(port)).toBe(true);

      const answers = await Promise.all(inFlight);
      for (const a of answers) {
        expect(a.status).toBe(200);
        expect(JSON.parse(a.body)).toMatchObject({ resourceType: 'Bundle', total: 1 });
      }
      expect(await server.exited).toBe(0);
      expect(Date.now() - signalled).toBeLessThan(10_000);
      expect(server.stdout()).toContain('"msg":"shutting down: draining requests in flight"');
      expect(server.stdout()).toContain('"msg":"shut down cleanly"');

      // Every call made with the credential is in the access log: the first read and the three searches.
      const db = openDb(setup.url);
      const rows = await db.all<{ interaction: string }>('SELECT interaction FROM api_access_log ORDER BY seq');
      await db.close();
      expect(rows.map((r) => r.interaction).sort()).toEqual(['read', 'search-type', 'search-type', 'search-type']);
    });
  });
}

describe('TLS_CERT_FILE and TLS_KEY_FILE', () => {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  let port = 0;
  let server: ReturnType<typeof spawnChartkey>;
  beforeAll(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], {
      DATABASE_URL: `sqlite:${join(dir, 'tls.sqlite')}`, CHARTKEY_DATA_DIR: dir, TLS_CERT_FILE: cert, TLS_KEY_FILE: key,
    });
    port = Number((await server.waitFor(/Listening on:\s+https:\/\/127\.0\.0\.1:(\d+)/))[1]);
  });
  afterAll(async () => {
    server?.proc.kill('SIGTERM');
    await server?.exited;
  });

  const handshake = (options: tls.ConnectionOptions) =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: execFileSync('cat', [cert]), servername: 'localhost', ...options }, () => {
        const protocol = s.getProtocol() ?? '';
        s.end();
        resolve(protocol);
      });
      s.on('error', reject);
    });

  it('serves HTTPS with the given certificate', async () => {
    const body = await new Promise<{ status: number; text: string; subject: string }>((resolve, reject) => {
      https
        .get({ host: '127.0.0.1', port, path: '/healthz', ca: execFileSync('cat', [cert]), servername: 'localhost' }, (res) => {
          let text = '';
          const subject = String((res.socket as tls.TLSSocket).getPeerCertificate().subject.CN);
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text, subject }));
        })
        .on('error', reject);
    });
    expect(body).toEqual({ status: 200, text: '{"status":"ok"}', subject: 'localhost' });
    expect(server.stdout()).toContain('running on https://localhost:');
  });

  it('accepts TLS 1.2 and TLS 1.3', async () => {
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toBe('TLSv1.2');
    expect(await handshake({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' })).toBe('TLSv1.3');
  });

  it('refuses TLS 1.0 and 1.1 (a client that allows them, SECLEVEL=0, still fails the handshake)', async () => {
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      await expect(handshake({ minVersion: version, maxVersion: version, ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
    }
  });

  it('refuses plain HTTP on the TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)).rejects.toThrow();
  });
});
