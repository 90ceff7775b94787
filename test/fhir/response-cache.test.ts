import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { coalesced, coalescedKeys } from '../../src/fhir/cache/fhir-cache.js';
import { ResponseCache } from '../../src/fhir/cache/response-cache.js';
import { createServices, type Services } from '../../src/services.js';
import { basic } from '../helpers/app.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';
import { credentialFor } from '../helpers/patients.js';

describe('ResponseCache', () => {
  it('serves an entry only under the versions it was computed under', () => {
    const c = new ResponseCache<string>(1024);
    c.set('k', '0:3', 'v3', 10);
    expect(c.get('k', '0:3')).toBe('v3');
    expect(c.get('k', '0:4')).toBeUndefined();
    expect(c.get('k', '0:3')).toBeUndefined(); // an out-of-date entry is dropped for good
    expect(c.size).toBe(0);
  });

  it('keeps entries of other stamps when one entry goes out of date', () => {
    const c = new ResponseCache<string>(1024);
    c.set('x', '0:5', 'x5', 10); // patient X
    c.set('y', '0:2', 'y2', 10); // patient Y
    expect(c.get('x', '0:6')).toBeUndefined(); // X was written to
    expect(c.get('y', '0:2')).toBe('y2');
  });

  it('evicts the least recently used entries beyond its byte budget', () => {
    const c = new ResponseCache<string>(100);
    c.set('a', '1', 'a', 20);
    c.set('b', '1', 'b', 20);
    c.set('c', '1', 'c', 20);
    expect(c.get('a', '1')).toBe('a'); // a is now the most recently used
    c.set('d', '1', 'd', 20);
    c.set('e', '1', 'e', 25); // 105 bytes: b goes
    expect(c.get('b', '1')).toBeUndefined();
    expect(['a', 'c', 'd', 'e'].map((k) => c.get(k, '1'))).toEqual(['a', 'c', 'd', 'e']);
    c.set('big', '1', 'x', 26); // more than a quarter of the budget: never cached
    expect(c.get('big', '1')).toBeUndefined();
  });

  it('caches nothing with a budget of 0', () => {
    const c = new ResponseCache<string>(0);
    c.set('a', '1', 'a', 1);
    expect(c.enabled).toBe(false);
    expect(c.get('a', '1')).toBeUndefined();
  });
});

describe('coalesced version reads', () => {
  it('reads the keys of every call sharing a read in one go, and only those', async () => {
    const reads: string[][] = [];
    const fresh = coalescedKeys(async (keys) => {
      reads.push([...keys].sort());
      return new Map([...keys].map((k) => [k, reads.length]));
    });
    const [one, two] = await Promise.all([fresh('p1'), fresh('p2')]);
    expect(one).toBe(two);
    expect(reads).toEqual([['*', 'p1', 'p2']]);
    await fresh();
    expect(reads[1]).toEqual(['*']);
  });

  it('never answers a call with a read that began before the call', async () => {
    const pending: Array<(v: number) => void> = [];
    let version = 0;
    const tick = () => new Promise((r) => setImmediate(r));
    const started = async (n: number) => {
      for (let i = 0; i < 10 && pending.length < n; i++) await tick();
      return pending.length;
    };
    const fresh = coalesced(() => new Promise<number>((resolve) => pending.push(resolve)));
    const first = fresh();
    const alsoFirst = fresh(); // made before read 1 started: may share it
    expect(await started(1)).toBe(1); // read 1 has started
    version = 1; // a write commits while read 1 runs (read 1 may or may not see it)
    const second = fresh(); // made after the write: must not get read 1's answer
    const third = fresh(); // shares read 2 with `second`
    pending[0](0);
    expect(await first).toBe(0);
    expect(await alsoFirst).toBe(0);
    expect(await started(2)).toBe(2); // read 2 started once read 1 was done
    pending[1](version);
    expect(await second).toBe(1);
    expect(await third).toBe(1);
  });

  it('passes a failed read to its callers and recovers', async () => {
    let fail = true;
    const fresh = coalesced(async () => {
      if (fail) throw new Error('db down');
      return 7;
    });
    await expect(fresh()).rejects.toThrow('db down');
    fail = false;
    expect(await fresh()).toBe(7);
  });
});

/**
 * The cache must never serve stale data: instance A answers HTTP with every cache warm
 * while instance B — its own connection to the same database, as another process or
 * server would be — writes. A's very next call shows B's write.
 */
describe.each(await backends())('cached reads and searches on %s', (kind) => {
  let testDb: TestDb | undefined;
  let dir: string | undefined;
  let a: Services;
  let b: Services;
  let app: FastifyInstance;
  let p1: string;
  let p2: string;

  beforeAll(async () => {
    let url: string;
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'chartkey-cache-'));
      url = `sqlite:${join(dir, 'db.sqlite')}`;
    } else {
      testDb = await createTestDb('postgres');
      url = testDb.url;
    }
    const config = loadConfig({}, { databaseUrl: url, demo: false, logLevel: 'silent', publicUrl: 'http://chartkey.test' });
    a = await createServices(config);
    b = await createServices(config);
    app = await buildApp(config, a);
    await app.ready();
    await b.store.transaction((tx) =>
      tx.putMany([
        { resourceType: 'Patient', id: 'c1', name: [{ family: 'First' }] },
        { resourceType: 'Patient', id: 'c2', name: [{ family: 'Other' }] },
        obs('o1', 'c1', '8867-4'),
        obs('o2', 'c1', '8867-4'),
        obs('o3', 'c2', '8867-4'),
      ]),
    );
    const c1 = await credentialFor(a, 'c1');
    const c2 = await credentialFor(a, 'c2');
    p1 = basic(c1.key, c1.secret);
    p2 = basic(c2.key, c2.secret);
  });

  afterAll(async () => {
    await app?.close();
    await a?.close();
    await b?.close();
    if (testDb) await testDb.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string, authorization: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization } });
    return { status: res.statusCode, body: res.json() as Record<string, any>, etag: res.headers.etag };
  };
  const ids = (bundle: Record<string, any>) => (bundle.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();

  it('shows a change made by another instance on the very next read', async () => {
    for (let i = 0; i < 3; i++) expect((await get('/fhir/Patient/c1', p1)).body.name[0].family).toBe('First');
    await b.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'c1', name: [{ family: 'Renamed' }] }));
    const after = await get('/fhir/Patient/c1', p1);
    expect(after.body.name[0].family).toBe('Renamed');
    expect(after.body.meta.versionId).toBe('2');
    expect(after.etag).toBe('W/"2"');
  });

  it('shows a resource added or deleted by another instance on the very next search', async () => {
    const url = '/fhir/Observation?patient=c1&code=http://loinc.org|8867-4';
    for (let i = 0; i < 3; i++) expect(ids((await get(url, p1)).body)).toEqual(['Observation/o1', 'Observation/o2']);
    await b.store.transaction((tx) => tx.put(obs('o4', 'c1', '8867-4')));
    expect(ids((await get(url, p1)).body)).toEqual(['Observation/o1', 'Observation/o2', 'Observation/o4']);
    await b.store.transaction((tx) => tx.delete('Observation', 'o1'));
    expect(ids((await get(url, p1)).body)).toEqual(['Observation/o2', 'Observation/o4']);
    expect((await get('/fhir/Observation/o1', p1)).status).toBe(410);
  });

  it('keeps each patient to their own results for the same URL, in any order', async () => {
    for (let i = 0; i < 2; i++) {
      expect(ids((await get('/fhir/Observation', p1)).body)).toEqual(['Observation/o2', 'Observation/o4']);
      expect(ids((await get('/fhir/Observation', p2)).body)).toEqual(['Observation/o3']);
      expect((await get('/fhir/Patient/c1', p2)).status).toBe(404);
      expect((await get('/fhir/Patient/c2', p2)).status).toBe(200);
    }
  });

  it('keeps a token limited to Observation from results cached for a full-scope caller', async () => {
    const url = '/fhir/Observation?patient=c2&_include=Observation:patient';
    expect(ids((await get(url, p2)).body)).toEqual(['Observation/o3', 'Patient/c2']);
    const token = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: p2, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials&scope=patient/Observation.rs',
    });
    const bearer = `Bearer ${token.json().access_token}`;
    expect(ids((await get(url, bearer)).body)).toEqual(['Observation/o3']);
    expect(ids((await get(url, p2)).body)).toEqual(['Observation/o3', 'Patient/c2']);
  });

  it('sends a repeated search over unchanged data as the same Bundle, and a new one after a write', async () => {
    const url = '/fhir/Observation?patient=c2';
    const one = (await get(url, p2)).body;
    const two = (await get(url, p2)).body;
    expect(two).toEqual(one);
    await b.store.transaction((tx) => tx.put(obs('o5', 'c2', '8867-4')));
    const three = (await get(url, p2)).body;
    expect(ids(three)).toEqual(['Observation/o3', 'Observation/o5']);
    expect(three.id).not.toBe(one.id);
    expect(Date.parse(three.meta.lastUpdated)).toBeGreaterThanOrEqual(Date.parse(one.meta.lastUpdated));
  });
});

/**
 * Per-patient invalidation: a write to patient X's compartment leaves patient Y's cached
 * results valid (served from memory: the same Bundle id, no query), while every write
 * that changes what a scope sees — a shared resource Y references, a Provenance, a
 * resource moving between compartments, anything for a staff scope — makes the next
 * call show it. Instance A serves, instance B writes (another process on the same database).
 */
describe.each(await backends())('per-patient cache invalidation on %s', (kind) => {
  let testDb: TestDb | undefined;
  let dir: string | undefined;
  let a: Services;
  let b: Services;
  let app: FastifyInstance;
  let px: string;
  let py: string;
  let staff: string;
  let resourceReads = 0;

  beforeAll(async () => {
    let url: string;
    if (kind === 'sqlite') {
      dir = mkdtempSync(join(tmpdir(), 'chartkey-cache-'));
      url = `sqlite:${join(dir, 'db.sqlite')}`;
    } else {
      testDb = await createTestDb('postgres');
      url = testDb.url;
    }
    const config = loadConfig({}, { databaseUrl: url, demo: false, logLevel: 'silent', publicUrl: 'http://chartkey.test' });
    a = await createServices(config);
    b = await createServices(config);
    // Counts A's point reads of resources (a cache hit makes none).
    const get = a.db.get.bind(a.db);
    a.db.get = (async (sql: string, params?: readonly unknown[]) => {
      if (sql.includes('FROM resources r WHERE r.type = ? AND r.id = ?')) resourceReads++;
      return get(sql, params as never);
    }) as typeof a.db.get;
    app = await buildApp(config, a);
    await app.ready();
    await b.store.transaction((tx) =>
      tx.putMany([
        { resourceType: 'Practitioner', id: 'dr', name: [{ family: 'Before' }] },
        { resourceType: 'Patient', id: 'x', name: [{ family: 'Ex' }] },
        { resourceType: 'Patient', id: 'y', name: [{ family: 'Why' }] },
        obs('x1', 'x', '8867-4'),
        { ...obs('y1', 'y', '8867-4'), performer: [{ reference: 'Practitioner/dr' }] },
        obs('y2', 'y', '8310-5'),
      ]),
    );
    const cx = await credentialFor(a, 'x');
    const cy = await credentialFor(a, 'y');
    px = basic(cx.key, cx.secret);
    py = basic(cy.key, cy.secret);
    await a.staff.create('nurse', 'correct horse battery');
    staff = basic('nurse', 'correct horse battery');
  });

  afterAll(async () => {
    await app?.close();
    await a?.close();
    await b?.close();
    if (testDb) await testDb.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (url: string, authorization: string) => {
    const res = await app.inject({ method: 'GET', url, headers: { authorization } });
    expect(res.statusCode).toBe(200);
    return res.json() as Record<string, any>;
  };
  const ids = (bundle: Record<string, any>) => (bundle.entry ?? []).map((e: any) => `${e.resource.resourceType}/${e.resource.id}`).sort();
  const write = (fn: Parameters<Services['store']['transaction']>[0]) => b.store.transaction(fn);
  const ySearch = '/fhir/Observation?patient=y&_include=Observation:performer&_revinclude=Provenance:target';

  it("keeps patient Y's cached search and read through writes to patient X (hits)", async () => {
    const search = await get(ySearch, py);
    await get('/fhir/Patient/y', py);
    const reads = resourceReads;
    expect(ids(search)).toEqual(['Observation/y1', 'Observation/y2', 'Practitioner/dr']);
    await write((tx) => tx.put(obs('x2', 'x', '8867-4'))); // create
    await write((tx) => tx.put({ ...obs('x1', 'x', '8867-4'), status: 'amended' })); // update
    await write((tx) => tx.delete('Observation', 'x2')); // delete
    await write((tx) => tx.put({ resourceType: 'Patient', id: 'x', name: [{ family: 'Renamed' }] }));
    expect((await get(ySearch, py)).id).toBe(search.id); // the same Bundle: served from the cache
    expect((await get('/fhir/Patient/y', py)).name[0].family).toBe('Why');
    expect(resourceReads).toBe(reads); // the read too
    // …while X sees every change at once.
    expect(ids(await get('/fhir/Observation?patient=x', px))).toEqual(['Observation/x1']);
    expect((await get('/fhir/Observation/x1', px)).status).toBe('amended');
    expect((await get('/fhir/Patient/x', px)).name[0].family).toBe('Renamed');
  });

  it("shows a write to Y's own compartment on Y's next call", async () => {
    await get(ySearch, py);
    await write((tx) => tx.put(obs('y3', 'y', '8867-4')));
    expect(ids(await get(ySearch, py))).toEqual(['Observation/y1', 'Observation/y2', 'Observation/y3', 'Practitioner/dr']);
  });

  it('shows a change to a shared resource a patient references', async () => {
    const before = await get(ySearch, py);
    expect(before.entry.find((e: any) => e.resource.id === 'dr').resource.name[0].family).toBe('Before');
    await write((tx) => tx.put({ resourceType: 'Practitioner', id: 'dr', name: [{ family: 'After' }] }));
    const after = await get(ySearch, py);
    expect(after.entry.find((e: any) => e.resource.id === 'dr').resource.name[0].family).toBe('After');
    expect((await get('/fhir/Practitioner/dr', py)).name[0].family).toBe('After');
  });

  it('shows a shared resource created after the reference to it', async () => {
    await write((tx) => tx.put({ ...obs('y4', 'y', '8867-4'), performer: [{ reference: 'Practitioner/later' }] }));
    expect(ids(await get('/fhir/Observation?patient=y&code=8867-4&_include=Observation:performer', py))).not.toContain('Practitioner/later');
    await write((tx) => tx.put({ resourceType: 'Practitioner', id: 'later', name: [{ family: 'Later' }] }));
    expect(ids(await get('/fhir/Observation?patient=y&code=8867-4&_include=Observation:performer', py))).toContain('Practitioner/later');
  });

  it('shows a Provenance of Y’s resources written, changed and deleted', async () => {
    await get(ySearch, py);
    const prov = (targets: string[]) => ({
      resourceType: 'Provenance',
      id: 'pv',
      target: targets.map((reference) => ({ reference })),
      recorded: '2024-01-01T00:00:00Z',
      agent: [{ who: { reference: 'Practitioner/dr' } }],
    });
    await write((tx) => tx.put(prov(['Observation/y1'])));
    expect(ids(await get(ySearch, py))).toContain('Provenance/pv');
    // Naming a resource that does not exist yet: visible to Y until that resource turns
    // out to be X's (a write to X's compartment that changes what Y sees).
    await write((tx) => tx.put(prov(['Observation/y1', 'Observation/ghost'])));
    expect(ids(await get(ySearch, py))).toContain('Provenance/pv');
    await write((tx) => tx.put(obs('ghost', 'x', '8867-4')));
    expect(ids(await get(ySearch, py))).not.toContain('Provenance/pv');
    await write((tx) => tx.put(prov(['Observation/y1'])));
    expect(ids(await get(ySearch, py))).toContain('Provenance/pv');
    await write((tx) => tx.delete('Provenance', 'pv'));
    expect(ids(await get(ySearch, py))).not.toContain('Provenance/pv');
  });

  it('moves a resource between compartments for both patients at once', async () => {
    const yBefore = ids(await get('/fhir/Observation?patient=y', py));
    expect(ids(await get('/fhir/Observation?patient=x', px))).toContain('Observation/x1');
    expect((await get('/fhir/Observation/x1', px)).id).toBe('x1');
    await write((tx) => tx.put({ ...obs('x1', 'y', '8867-4'), status: 'corrected' })); // misfiled: it was Y's
    expect(ids(await get('/fhir/Observation?patient=y', py))).toEqual([...yBefore, 'Observation/x1'].sort());
    expect(ids(await get('/fhir/Observation?patient=x', px))).not.toContain('Observation/x1');
    expect((await app.inject({ method: 'GET', url: '/fhir/Observation/x1', headers: { authorization: px } })).statusCode).toBe(404);
    expect((await get('/fhir/Observation/x1', py)).status).toBe('corrected');
  });

  it('shows any write to a staff (all) scope', async () => {
    const before = ids(await get('/fhir/Observation?code=8867-4', staff));
    await write((tx) => tx.put(obs('x5', 'x', '8867-4')));
    expect(ids(await get('/fhir/Observation?code=8867-4', staff))).toEqual([...before, 'Observation/x5'].sort());
    // A resource in nobody's compartment (invisible to patients) still reaches staff.
    await write((tx) => tx.put({ resourceType: 'Questionnaire', id: 'q1', status: 'active' }));
    expect(ids(await get('/fhir/Questionnaire', staff))).toEqual(['Questionnaire/q1']);
    await write((tx) => tx.put({ resourceType: 'Questionnaire', id: 'q1', status: 'retired' }));
    expect((await get('/fhir/Questionnaire/q1', staff)).status).toBe('retired');
  });
});

function obs(id: string, patient: string, code: string) {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] }],
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: '2024-01-01',
    valueQuantity: { value: 70, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}
