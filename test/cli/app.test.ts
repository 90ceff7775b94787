import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair } from 'jose';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import command from '../../src/cli/app.js';
import keysCommand from '../../src/cli/keys.js';
import type { CliContext } from '../../src/cli/types.js';
import { loadConfig } from '../../src/config/config.js';
import { openDb } from '../../src/db/open.js';
import { createServices, type Services } from '../../src/services.js';
import { basic } from '../helpers/app.js';
import { BIN, CHILD_PATH } from '../helpers/child.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';
import { addPatient, enabledPatient } from '../portal/harness.js';

/**
 * `chartkey app …` and `chartkey keys rotate` as an operator runs them: bin/chartkey.js in
 * a child process against the database a running server uses (here: in this process, on
 * the same SQLite file or PostgreSQL database). What they print is checked against the
 * server: the secret authenticates at /oauth/introspect, a removed app's token is refused,
 * the rotated key is published at /oauth/jwks.
 */
/** Each child process starts node and the services: slow on a busy machine, so these tests get room. */
const SLOW = { timeout: 300_000 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function chartkey(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { env: { ...process.env, PATH: CHILD_PATH, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

for (const kind of await backends()) {
  describe(`chartkey app and keys against a running server (${kind})`, () => {
    let dir: string;
    let testDb: TestDb | undefined;
    let services: Services;
    let app: FastifyInstance;
    let env: Record<string, string>;
    let jwksFile: string;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'chartkey-cli-app-'));
      let url: string;
      if (kind === 'postgres') {
        testDb = await createTestDb('postgres');
        url = testDb.url;
      } else {
        url = `sqlite:${join(dir, 'chartkey.sqlite')}`;
      }
      env = { DATABASE_URL: url, CHARTKEY_DATA_DIR: dir, CHARTKEY_DEMO: '0', PUBLIC_URL: 'http://chartkey.test', LOG_LEVEL: 'warn' };
      const config = loadConfig({}, { databaseUrl: url, dataDir: dir, publicUrl: 'http://chartkey.test', demo: false });
      services = await createServices(config, { db: testDb?.db ?? openDb(url), logger: pino({ level: 'silent' }), portal: { accessLog: { flushIntervalMs: 0 } } });
      app = await buildApp(config, services);
      await app.ready();
      await addPatient(services, 'cli1');
      await enabledPatient(services, 'cli1', 'cli.patient', 'patient password 1');
      const { publicKey } = await generateKeyPair('ES384', { extractable: true });
      jwksFile = join(dir, 'jwks.json');
      writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'es1', alg: 'ES384' }] }));
    });

    afterAll(async () => {
      await app?.close();
      await services?.accessLog.close();
      if (testDb) await testDb.drop();
      else await services?.db.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const account = async () => (await services.portal.accounts.getByPatient('cli1'))!;
    const fhirRead = (token: string) => app.inject({ method: 'GET', url: '/fhir/Patient/cli1', headers: { authorization: `Bearer ${token}` } });

    it('adds each type, prints the secret only for a confidential client, lists them, and refuses bad input with exit code 2', SLOW, async () => {
      const [conf, pub, asym, sys, bad] = await Promise.all([
        chartkey(env, 'app', 'add', 'Conf <b>app</b>', '--redirect-uri', 'https://conf.example/cb', '--redirect-uri', 'http://localhost:5000/cb', '--json'),
        chartkey(env, 'app', 'add', 'Phone', '--type', 'public', '--redirect-uri', 'https://phone.example/cb', '--json'),
        chartkey(env, 'app', 'add', 'Signed', '--type', 'asymmetric', '--jwks-file', jwksFile, '--redirect-uri', 'https://signed.example/cb'),
        chartkey(env, 'app', 'add', 'Lab system', '--system', '--jwks-url', 'https://lab.example/jwks.json', '--scope', 'system/*.rs system/Observation.cruds', '--json'),
        chartkey(env, 'app', 'add', 'Bad', '--redirect-uri', 'http://evil.example/cb'),
      ]);
      for (const r of [conf, pub, asym, sys]) expect(r, r.stderr).toMatchObject({ code: 0, stderr: '' });

      const confOut = JSON.parse(conf.stdout) as Record<string, string>;
      expect(Object.keys(confOut)).toEqual(['client_id', 'client_secret']);
      expect(confOut.client_id).toMatch(/^app_[A-Za-z0-9]{24}$/);
      expect(confOut.client_secret).toMatch(/^[A-Za-z0-9]{48}$/);
      expect(Object.keys(JSON.parse(pub.stdout))).toEqual(['client_id']);
      expect(Object.keys(JSON.parse(sys.stdout))).toEqual(['client_id']);
      expect(asym.stdout).toMatch(/^client_id: +app_[A-Za-z0-9]{24}$/m);
      expect(asym.stdout).not.toContain('client_secret');
      const asymId = /client_id: +(app_\w+)/.exec(asym.stdout)![1];

      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr).toBe('chartkey app: Redirect URI "http://evil.example/cb" must use https (http only on localhost), or a native app\'s reverse-domain scheme\n');

      // The running server sees them at once (database rows), as registered.
      const registered = await services.oauth.clients.list();
      expect(registered.map((c) => [c.name, c.type]).sort()).toEqual([['Conf <b>app</b>', 'confidential'], ['Lab system', 'system'], ['Phone', 'public'], ['Signed', 'asymmetric']]);
      expect(registered.find((c) => c.clientId === asymId)!.jwks!.keys[0].kid).toBe('es1');
      expect(registered.find((c) => c.type === 'system')!.scope).toBe('system/*.rs system/Observation.cruds');

      // The printed secret is the one the server accepts (introspection with HTTP Basic).
      const grant = await services.oauth.grants.create({ clientId: confOut.client_id, clientName: 'Conf <b>app</b>', patientId: 'cli1', accountId: (await account()).id, scope: 'patient/*.rs' });
      const token = services.tokens.issue(grant.id, 'cli1', grant.scope).accessToken;
      const introspect = await app.inject({
        method: 'POST', url: '/oauth/introspect', payload: `token=${token}`,
        headers: { authorization: basic(confOut.client_id, confOut.client_secret), 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(introspect.statusCode).toBe(200);
      expect(introspect.json()).toMatchObject({ active: true, client_id: confOut.client_id });

      const list = await chartkey(env, 'app', 'list');
      expect(list.code).toBe(0);
      const lines = list.stdout.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^CLIENT ID +NAME +TYPE +CREATED \(UTC\) +REDIRECT URIS \/ SCOPE$/);
      expect(lines).toHaveLength(5);
      const confLine = lines.find((l) => l.startsWith(confOut.client_id))!;
      expect(confLine).toMatch(/ Conf <b>app<\/b> +confidential +\d{4}-\d\d-\d\d \d\d:\d\d +https:\/\/conf\.example\/cb http:\/\/localhost:5000\/cb$/);
      expect(lines.find((l) => l.includes('Lab system'))).toMatch(/ system +.* scope: system\/\*\.rs system\/Observation\.cruds$/);
      expect(list.stdout).not.toContain(confOut.client_secret);

      const events = (await services.audit.list({ action: 'app.register' })).events;
      expect(events).toHaveLength(4);
      for (const e of events) expect(e).toMatchObject({ actorKind: 'system', actorId: 'cli' });
      expect(JSON.stringify(events)).not.toContain(confOut.client_secret);
    });

    it('removes an app: its patients\' grants are revoked and the running server refuses their tokens', SLOW, async () => {
      const { client } = await services.oauth.clients.register({ name: 'Leaving', type: 'public', redirectUris: ['https://leaving.example/cb'], createdBy: 'test' });
      const grant = await services.oauth.grants.create({ clientId: client.clientId, clientName: client.name, patientId: 'cli1', accountId: (await account()).id, scope: 'launch/patient patient/*.rs' });
      const token = services.tokens.issue(grant.id, 'cli1', grant.scope).accessToken;
      // Used once, so the server's one-second trust cache holds it: removal in another process must still win.
      expect((await fhirRead(token)).statusCode).toBe(200);

      const removed = await chartkey(env, 'app', 'remove', client.clientId);
      expect(removed).toMatchObject({ code: 0, stderr: '' });
      expect(removed.stdout).toBe(`Removed "Leaving" (${client.clientId}); 1 patient authorization revoked. Its tokens stop working at once.\n`);
      await expect.poll(async () => (await fhirRead(token)).statusCode, { timeout: 3000, interval: 200 }).toBe(401);
      expect(await services.oauth.clients.get(client.clientId)).toBeUndefined();
      expect((await services.audit.list({ action: 'app.remove' })).events[0]).toMatchObject({ actorKind: 'system', actorId: 'cli', detail: { client: client.clientId, grantsRevoked: 1 } });

      const again = await chartkey(env, 'app', 'remove', client.clientId);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe(`chartkey app: no registered app has the client_id "${client.clientId}" (see chartkey app list)\n`);
    });

    it('keys rotate adds a signing key and keeps the old one published', SLOW, async () => {
      const before = (await app.inject({ url: '/oauth/jwks' })).json() as { keys: Array<{ kid: string }> };
      if (before.keys.length === 0) await services.oauth.keys.ensure();
      const old = ((await app.inject({ url: '/oauth/jwks' })).json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
      expect(old.length).toBeGreaterThan(0);
      const r = await chartkey(env, 'keys', 'rotate', '--json');
      expect(r).toMatchObject({ code: 0, stderr: '' });
      const { kid } = JSON.parse(r.stdout) as { kid: string };
      const after = ((await app.inject({ url: '/oauth/jwks' })).json() as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
      expect(after).toEqual([kid, ...old]);
      expect((await services.audit.list({ action: 'keys.rotate' })).events[0]).toMatchObject({ actorKind: 'system', actorId: 'cli', detail: { kid } });
    });
  });
}

describe('chartkey app: usage errors (exit code 2, nothing touched)', () => {
  const context = () => {
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    let e = '';
    out.on('data', (d) => (o += d));
    err.on('data', (d) => (e += d));
    // A database path that cannot be opened: these must fail before any database work.
    const config = loadConfig({ DATABASE_URL: 'sqlite:/nonexistent/dir/db.sqlite', CHARTKEY_DEMO: '0' });
    const ctx: CliContext = { config, stdout: out, stderr: err, interactive: false };
    return { ctx, out: () => o, err: () => e };
  };
  for (const [args, message] of [
    [[], 'add, list or remove?'],
    [['rename'], 'unknown subcommand "rename" (add, list or remove)'],
    [['add'], "add needs the app's NAME"],
    [['add', 'A', 'B'], 'unexpected argument "B"'],
    [['add', 'A', '--type', 'sideways'], '--type must be public, confidential or asymmetric (or use --system), got "sideways"'],
    [['add', 'A', '--system', '--type', 'public'], '--system cannot be combined with --type'],
    [['add', 'A', '--jwks-url', 'https://a/j', '--jwks-file', 'f'], 'give either --jwks-url or --jwks-file, not both'],
    [['add', 'A', '--jwks-file', '/nonexistent/jwks.json'], 'cannot read the JWKS file "/nonexistent/jwks.json": ENOENT'],
    [['add', 'A', '--redirect-uri'], '--redirect-uri needs a value'],
    [['add', 'A', '--colour', 'red'], 'unknown option --colour'],
    [['remove'], 'remove needs the CLIENT_ID'],
  ] as Array<[string[], string]>) {
    it(`${JSON.stringify(args)} → "${message}"`, async () => {
      const c = context();
      expect(await command.run(args, c.ctx)).toBe(2);
      expect(c.err()).toContain(`chartkey app: ${message}\n`);
      expect(c.err()).toContain('Usage: chartkey app add NAME --redirect-uri URI');
      expect(c.out()).toBe('');
    });
  }

  it('keys: only rotate', async () => {
    const c = context();
    expect(await keysCommand.run(['spin'], c.ctx)).toBe(2);
    expect(c.err()).toContain('chartkey keys: usage: chartkey keys rotate');
  });
});
