import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../helpers/app.js';
import { backends } from '../helpers/db.js';
import { type FaultProxy, startFaultProxy } from '../helpers/fault-proxy.js';
import { credentialFor } from '../helpers/patients.js';
import { eventually, type OutageApp, startOutageApp } from './outage-harness.js';

/**
 * SPEC Operations: "When Redis goes away, throttling falls back to each instance's memory
 * and requests keep succeeding (revocation never depends on Redis)." Redis is reached
 * through a fault proxy; the shared Redis is never touched (a database number of its own,
 * keys that expire within a minute).
 */
const REDIS_HOST = '127.0.0.1';
const REDIS_PORT = 6379;
const REDIS_DB = 11;
const BOUND_MS = 5000;

async function redisAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(REDIS_PORT, REDIS_HOST);
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.on('connect', () => (s.end(), resolve(true)));
    s.on('error', () => resolve(false));
  });
}
const haveRedis = await redisAvailable();
if (!haveRedis) console.warn(`NOTICE: Redis not reachable at ${REDIS_HOST}:${REDIS_PORT}; Redis outage tests are skipped.`);

for (const kind of await backends()) {
  describe.skipIf(!haveRedis)(`Redis outage (${kind}, through a fault proxy)`, () => {
    let proxy: FaultProxy;
    let t: OutageApp;
    let direct: Redis;
    let good: { key: string; secret: string };
    // A key no other test uses: its failure counter lives in Redis as chartkey:authfail:key:<key>.
    const guessedKey = randomBytes(16).toString('hex');
    const counter = `chartkey:authfail:key:${guessedKey}`;

    beforeAll(async () => {
      proxy = await startFaultProxy(REDIS_HOST, REDIS_PORT);
      t = await startOutageApp(kind, { redisUrl: `redis://127.0.0.1:${proxy.port}/${REDIS_DB}` });
      direct = new Redis({ host: REDIS_HOST, port: REDIS_PORT, db: REDIS_DB, lazyConnect: true });
      await direct.connect();
      await t.services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'r1' }));
      good = await credentialFor(t.services, 'r1');
      expect(await eventually(async () => t.services.redis!.status === 'ready', 5000)).toBe(true);
    });
    afterAll(async () => {
      proxy?.restore();
      await direct?.del(counter).catch(() => undefined);
      direct?.disconnect();
      await t?.close();
      await proxy?.close();
    });

    const read = (key: string, secret: string) =>
      t.app.inject({ method: 'GET', url: '/fhir/Patient/r1', headers: { authorization: basic(key, secret) }, remoteAddress: `10.9.${kind === 'sqlite' ? 1 : 2}.7` });
    const wrong = () => read(guessedKey.slice(0, 32), 'wrong-secret-wrong-secret-wrong!');

    it('counts failed authentications in Redis while it is up', async () => {
      // The key must look like a key (32 alphanumerics) to reach the per-key bucket.
      for (let i = 0; i < 3; i++) expect((await wrong()).statusCode).toBe(401);
      const shared = `chartkey:authfail:key:${guessedKey.slice(0, 32)}`;
      expect(Number(await direct.get(shared))).toBe(3);
      await direct.del(shared);
    });

    for (const fault of ['cut', 'stall'] as const) {
      describe(`while Redis is ${fault === 'cut' ? 'cut off' : 'stalled'}`, () => {
        beforeAll(() => proxy[fault]());
        afterAll(() => proxy.restore());

        it('requests with a good credential keep succeeding, without waiting on Redis', async () => {
          const started = Date.now();
          const results = await Promise.all(Array.from({ length: 10 }, () => read(good.key, good.secret)));
          expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
          expect(Date.now() - started).toBeLessThan(BOUND_MS);
        });

        it('the token endpoint keeps issuing tokens', async () => {
          const res = await t.app.inject({
            method: 'POST', url: '/oauth/token', headers: { authorization: basic(good.key, good.secret), 'content-type': 'application/x-www-form-urlencoded' },
            payload: 'grant_type=client_credentials',
          });
          expect(res.statusCode).toBe(200);
        });

        it('throttling falls back to this instance\'s memory: the eleventh wrong secret for a key gets 429', async () => {
          const key = randomBytes(16).toString('hex');
          const statuses: number[] = [];
          for (let i = 0; i < 11; i++) statuses.push((await read(key, 'not-the-secret-not-the-secret-xx')).statusCode);
          // DEFAULT_LIMITS.perKey = 10 failures per minute per key, then 429 with Retry-After.
          expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
          expect(statuses[10]).toBe(429);
          expect(statuses.every((s) => s < 500)).toBe(true);
        });

        it('revocation still holds: a deleted credential is refused at once (the database decides)', async () => {
          const doomed = await credentialFor(t.services, 'r1', `Doomed ${fault}`);
          expect((await read(doomed.key, doomed.secret)).statusCode).toBe(200);
          await t.services.credentials.revoke(doomed.credential.id, 'test');
          expect((await read(doomed.key, doomed.secret)).statusCode).toBe(401);
        });

        it('/readyz stays ready (Redis is optional) and the log says throttling fell back', async () => {
          expect((await t.app.inject('/readyz')).statusCode).toBe(200);
          expect(t.logLines.join('')).toContain('Redis unavailable');
        });
      });
    }

    it('once Redis is back, failures are counted in Redis again', async () => {
      const key = randomBytes(16).toString('hex');
      expect(await eventually(async () => t.services.redis!.status === 'ready', 15_000)).toBe(true);
      expect(await eventually(async () => {
        await read(key, 'not-the-secret-not-the-secret-xx');
        return Number(await direct.get(`chartkey:authfail:key:${key}`)) >= 1;
      }, 10_000, 300)).toBe(true);
      await direct.del(`chartkey:authfail:key:${key}`);
    });
  });
}
