/**
 * The sync scenario's client, in its own process: what apps do when each syncs a
 * different patient. Every virtual app gets a token with its own patient's credential
 * (POST /oauth/token, client_credentials, HTTP Basic), reads the Patient, runs one US Core
 * first search per type (`[type]?patient=ID`) and follows every `next` link; `connections`
 * apps run at once (one connection each), until every app has synced once.
 *
 * Usage: tsx bench/sync.ts JSON_OPTIONS → prints a JSON summary.
 *   { base, apps: [{ patientId, key, secret }], connections, record?: FILE }
 * `record` writes every response (method, path, status, body) to FILE as JSON, for the
 * same-bytes ceiling (bench/ceiling-multi.ts), which then answers the same request stream.
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { SYNC_TYPES } from './sync-types.js';

interface App {
  patientId: string;
  key: string;
  secret: string;
}

interface Options {
  base: string;
  apps: App[];
  connections: number;
  record?: string;
}


const options = JSON.parse(process.argv[2]) as Options;
const url = new URL(options.base);
const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
const latencies: number[] = [];
let requests = 0;
let errors = 0;
let bytes = 0;
const recorded = new Map<string, { method: string; path: string; status: number; body: string }>();

function request(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = http.request({ host: url.hostname, port: url.port, method, path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
        const out = Buffer.concat(chunks);
        requests++;
        bytes += out.length;
        if ((res.statusCode ?? 0) >= 400) errors++;
        if (options.record) recorded.set(`${method} ${path}`, { method, path, status: res.statusCode ?? 0, body: out.toString('base64') });
        resolve({ status: res.statusCode ?? 0, body: out });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined) req.end(body);
    else req.end();
  });
}

const NEXT = /"relation":"next","url":"([^"]+)"/;

async function syncOne(app: App): Promise<void> {
  const basic = `Basic ${Buffer.from(`${app.key}:${app.secret}`).toString('base64')}`;
  const token = await request('POST', '/oauth/token', { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials');
  if (token.status !== 200) return;
  const m = /"access_token":"([^"]+)"/.exec(token.body.toString());
  if (!m) return;
  const headers = { authorization: `Bearer ${m[1]}`, accept: 'application/fhir+json' };
  await request('GET', `/fhir/Patient/${app.patientId}`, headers);
  for (const type of SYNC_TYPES) {
    let path: string | undefined = `/fhir/${type}?patient=${app.patientId}`;
    while (path) {
      const res = await request('GET', path, headers);
      if (res.status !== 200) break;
      // The link is near the start of the Bundle (before the entries).
      const next = NEXT.exec(res.body.subarray(0, 4096).toString());
      path = next ? pathOf(next[1]) : undefined;
    }
  }
}

/** The path and query of a next link (its origin is the server's public URL). */
function pathOf(link: string): string {
  const u = new URL(link);
  return u.pathname + u.search;
}

const queue = [...options.apps];
const started = process.hrtime.bigint();
let syncs = 0;
await Promise.all(
  Array.from({ length: Math.min(options.connections, queue.length) }, async () => {
    for (let app = queue.shift(); app; app = queue.shift()) {
      await syncOne(app);
      syncs++;
    }
  }),
);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
agent.destroy();
if (options.record) writeFileSync(options.record, JSON.stringify([...recorded.values()]));
latencies.sort((a, b) => a - b);
const pct = (p: number) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] : 0);
process.stdout.write(
  JSON.stringify({ syncs, requests, errors, bytes, seconds, syncsPerSecond: syncs / seconds, rps: requests / seconds, p50: pct(50), p99: pct(99) }),
);
