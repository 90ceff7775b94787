import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config/config.js';
import { createServices, type Services } from '../../../src/services.js';
import { basic } from '../../helpers/app.js';
import { backends, createTestDb, type TestDb } from '../../helpers/db.js';
import { credentialFor } from '../../helpers/patients.js';
import { FHIR, observation, STAFF_PASSWORD, STAFF_USER } from './helpers.js';

/**
 * A write through the FHIR API is seen at once by the patient's own credential, with every
 * result cache warm: on the instance that took the write and on another instance sharing
 * the database (two app instances, each with its own services and cache).
 */
describe.each(await backends())('no stale read after a write on %s', (kind) => {
  let testDb: TestDb | undefined;
  let dir: string | undefined;
  let a: Services;
  let b: Services;
  let appA: FastifyInstance;
  let appB: FastifyInstance;
  let patient: string;
  const staff = basic(STAFF_USER, STAFF_PASSWORD);

  beforeAll(async () => {
    let url: string;
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'chartkey-writes-'));
      url = `sqlite:${join(dir, 'db.sqlite')}`;
    } else {
      testDb = await createTestDb('postgres');
      url = testDb.url;
    }
    const config = loadConfig({}, { databaseUrl: url, demo: false, logLevel: 'silent', publicUrl: 'http://chartkey.test' });
    a = await createServices(config);
    b = await createServices(config);
    appA = await buildApp(config, a);
    appB = await buildApp(config, b);
    await Promise.all([appA.ready(), appB.ready()]);
    await a.staff.create(STAFF_USER, STAFF_PASSWORD);
    await a.store.transaction((tx) => tx.putMany([{ resourceType: 'Patient', id: 'fw1', name: [{ family: 'Fresh' }] }, { ...observation('fw1'), id: 'obs-fw1' }]));
    const c = await credentialFor(a, 'fw1');
    patient = basic(c.key, c.secret);
  });

  afterAll(async () => {
    await appA?.close();
    await appB?.close();
    await a?.close();
    await b?.close();
    if (testDb) await testDb.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (app: FastifyInstance, url: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization: patient } });
    return res.json() as Record<string, any>;
  };
  const write = (app: FastifyInstance, method: 'POST' | 'PUT' | 'DELETE', url: string, body?: unknown) =>
    app.inject({ method, url, headers: { authorization: staff, ...(body ? FHIR : {}) }, payload: body ? JSON.stringify(body) : undefined });
  const values = (bundle: Record<string, any>) => (bundle.entry ?? []).map((e: any) => e.resource.valueQuantity.value).sort();

  for (const [label, writer, reader] of [
    ['the same instance', () => appA, () => appA],
    ['another instance', () => appB, () => appA],
  ] as const) {
    it(`an update, a create and a delete through ${label} show on the patient's next read and search`, async () => {
      const r = reader();
      const w = writer();
      // Warm every cache on the reading instance.
      const before = await get(r, '/fhir/Observation/obs-fw1');
      for (let i = 0; i < 3; i++) await get(r, '/fhir/Observation/obs-fw1');
      const search = '/fhir/Observation?patient=fw1&code=http://loinc.org|8867-4';
      const initial = values(await get(r, search));
      for (let i = 0; i < 3; i++) await get(r, search);

      const next = before.valueQuantity.value + 1;
      const put = await write(w, 'PUT', '/fhir/Observation/obs-fw1', { ...observation('fw1'), id: 'obs-fw1', valueQuantity: { ...before.valueQuantity, value: next } });
      expect(put.statusCode).toBe(200);
      const read = await get(r, '/fhir/Observation/obs-fw1');
      expect(read.valueQuantity.value).toBe(next);
      expect(read.meta.versionId).toBe(String(Number(before.meta.versionId) + 1));
      expect(values(await get(r, search))).toEqual([...initial.filter((v: number) => v !== before.valueQuantity.value), next].sort());

      const created = await write(w, 'POST', '/fhir/Observation', observation('fw1', { valueQuantity: { value: 999, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' } }));
      expect(created.statusCode).toBe(201);
      expect(values(await get(r, search))).toContain(999);
      expect((await write(w, 'DELETE', `/fhir/Observation/${created.json().id}`)).statusCode).toBe(204);
      expect(values(await get(r, search))).not.toContain(999);
      expect((await r.inject({ method: 'GET', url: `/fhir/Observation/${created.json().id}`, headers: { authorization: patient } })).statusCode).toBe(410);
    });
  }
});
