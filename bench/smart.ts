/**
 * SMART App Launch in the bench (issue 9): the code exchange (`authorization_code` with
 * PKCE and a confidential client, what every app launch ends with) and a Patient read with
 * an access token that came from a refresh (a grant's token: checked against the grant,
 * its credential-less client and the portal account on every use).
 *
 * The patient's part of a launch (sign-in, consent page) is a person clicking; the bench
 * mints the grant and its codes in the database as the consent decision does
 * (grants.create + grants.issueCode), then times only what the server does for the app.
 */
import { createHash, randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config/config.js';
import type { Grant } from '../src/oauth/grants.js';
import { createServices } from '../src/services.js';

export interface SmartBench {
  /** Authorization header of the confidential client. */
  clientAuth: string;
  redirectUri: string;
  /** The patient's grant the codes are issued under. */
  grant: Grant;
  /** An access token issued by a refresh_token grant. */
  refreshedToken: string;
}

/** A code lives 60 s: they are minted right before the exchange (mintCodes), not with the grant. */
export interface MintedCodes {
  codes: Array<{ code: string; verifier: string }>;
}

async function withServices<T>(databaseUrl: string, base: string, work: (services: Awaited<ReturnType<typeof createServices>>) => Promise<T>): Promise<T> {
  const services = await createServices(loadConfig({}, { databaseUrl, demo: false, logLevel: 'warn', publicUrl: base }));
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}

function mint(services: Awaited<ReturnType<typeof createServices>>, grant: Grant, redirectUri: string) {
  const verifier = randomBytes(32).toString('base64url');
  return services.oauth.grants
    .issueCode(grant, { redirectUri, codeChallenge: createHash('sha256').update(verifier).digest('base64url') })
    .then((code) => ({ code, verifier }));
}

/** `count` single-use codes with their PKCE verifiers, issued now. */
export function mintCodes(databaseUrl: string, base: string, s: SmartBench, count: number): Promise<MintedCodes> {
  return withServices(databaseUrl, base, async (services) => {
    const codes: MintedCodes['codes'] = [];
    for (let i = 0; i < count; i++) codes.push(await mint(services, s.grant, s.redirectUri));
    return { codes };
  });
}

export async function prepareSmart(databaseUrl: string, base: string, patientId: string): Promise<SmartBench> {
  return withServices(databaseUrl, base, async (services) => {
    const redirectUri = 'https://bench.example/callback';
    const { client, clientSecret } = await services.oauth.clients.register({ name: 'Bench app', type: 'confidential', redirectUris: [redirectUri], createdBy: 'bench' });
    const account = (await services.portal.accounts.getByPatient(patientId))!;
    const grant = await services.oauth.grants.create({
      clientId: client.clientId, clientName: client.name, patientId, accountId: account.id, scope: 'launch/patient openid fhirUser offline_access patient/*.rs',
    });
    const clientAuth = `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`;
    // One code for the refreshed token: exchange, then refresh.
    const first = await mint(services, grant, redirectUri);
    const exchanged = (await tokenCall(base, clientAuth, { grant_type: 'authorization_code', code: first.code, redirect_uri: redirectUri, code_verifier: first.verifier })) as { refresh_token: string };
    const refreshed = (await tokenCall(base, clientAuth, { grant_type: 'refresh_token', refresh_token: exchanged.refresh_token })) as { access_token: string };
    return { clientAuth, redirectUri, grant, refreshedToken: refreshed.access_token };
  });
}

async function tokenCall(base: string, auth: string, form: Record<string, string>): Promise<unknown> {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/**
 * Exchanges every minted code, `connections` at a time (each code works once, so this is
 * a closed loop over distinct requests, not autocannon's repeated one). Returns req/s and
 * latency percentiles; every exchange must succeed.
 */
export async function benchCodeExchange(base: string, s: SmartBench & MintedCodes, connections: number): Promise<{ requests: number; rps: number; p50: number; p99: number; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (next < s.codes.length) {
        const { code, verifier } = s.codes[next++];
        const t0 = performance.now();
        const res = await fetch(`${base}/oauth/token`, {
          method: 'POST',
          headers: { authorization: s.clientAuth, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: s.redirectUri, code_verifier: verifier }),
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== 200) errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] * 10) / 10;
  return { requests: latencies.length, rps: latencies.length / seconds, p50: pct(50), p99: pct(99), errors };
}
