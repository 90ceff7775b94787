import { afterEach, describe, expect, it } from 'vitest';
import { basic } from '../helpers/app.js';
import { backends, postgresAvailable } from '../helpers/db.js';
import { download, keyOf, kickOff, pathOf, waitForManifest } from './bulk-client.js';
import { freshDatabase, startInstance, type Instance } from './instances.js';

const STAFF = basic('alice', 'correct horse battery');

/** 1,200 resources over 40 patients: several pages per export. */
function records() {
  const out: Array<{ resourceType: string; id: string; [k: string]: unknown }> = [];
  for (let p = 0; p < 40; p++) {
    out.push({ resourceType: 'Patient', id: `pt-${p}`, name: [{ family: `Family${p}` }] });
    for (let o = 0; o < 29; o++) out.push({ resourceType: 'Observation', id: `ob-${p}-${o}`, status: 'final', code: { text: `obs ${o}` }, subject: { reference: `Patient/pt-${p}` } });
  }
  return out;
}
const EXPECTED = records().map(keyOf).sort();

const open: Array<{ close(): Promise<void> }> = [];
const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const i of open.splice(0).reverse()) await i.close().catch(() => undefined);
  for (const d of drops.splice(0)) await d();
});

async function setup(kind: 'sqlite' | 'postgres') {
  const database = await freshDatabase(kind);
  drops.push(() => database.drop());
  const start = async (options: Parameters<typeof startInstance>[2] = {}) => {
    const i = await startInstance(database.url, database.dir, options);
    open.push(i);
    return i;
  };
  const seed = await start({ worker: false });
  await seed.services.staff.create('alice', 'correct horse battery');
  await seed.services.store.transaction(async (tx) => {
    await tx.putMany(records());
  });
  return { database, start, seed };
}

const stop = async (i: Instance) => {
  open.splice(open.indexOf(i), 1);
  await i.close();
};

describe.each(await backends())('Bulk export jobs across restarts on %s', (kind) => {
  it('a job kicked off before a restart is finished and downloaded after it', async () => {
    const { start, seed } = await setup(kind);
    // The first instance only queues the job (no worker), then goes away.
    const status = await kickOff(seed.app, '/fhir/$export', STAFF);
    const queued = await seed.app.inject({ method: 'GET', url: pathOf(status), headers: { authorization: STAFF } });
    expect(queued.statusCode).toBe(202);
    expect(queued.headers['x-progress']).toBe('queued');
    expect(queued.headers['retry-after']).toMatch(/^\d+$/);
    await stop(seed);
    const next = await start();
    const manifest = await waitForManifest(next.app, status, STAFF);
    expect((await download(next.app, manifest, STAFF)).map(keyOf).sort()).toEqual(EXPECTED);
  });

  it('a finished export survives a restart', async () => {
    const { start, seed } = await setup(kind);
    const worker = await start();
    const status = await kickOff(worker.app, '/fhir/$export', STAFF);
    await waitForManifest(worker.app, status, STAFF);
    await stop(worker);
    await stop(seed);
    const next = await start({ worker: false });
    const manifest = await waitForManifest(next.app, status, STAFF);
    expect((await download(next.app, manifest, STAFF)).map(keyOf).sort()).toEqual(EXPECTED);
  });

  it('a job whose instance died while holding it is taken over once its lease runs out', async () => {
    const { start, seed } = await setup(kind);
    const status = await kickOff(seed.app, '/fhir/$export', STAFF);
    // A worker that claims the job and is never heard of again (lease 300 ms).
    const crashed = await start({ worker: false, leaseMs: 300 });
    const claimed = await crashed.services.bulk.jobs.claim('crashed-instance');
    expect(claimed?.status).toBe('running');
    await crashed.services.bulk.jobs.writeChunk(claimed!.id, 'Patient.ndjson', 0, Buffer.from('{"resourceType":"Patient","id":"half-written"}\n'));
    const running = await seed.app.inject({ method: 'GET', url: pathOf(status), headers: { authorization: STAFF } });
    expect(running.statusCode).toBe(202);
    const rescuer = await start();
    const manifest = await waitForManifest(rescuer.app, status, STAFF);
    expect((await download(rescuer.app, manifest, STAFF)).map(keyOf).sort()).toEqual(EXPECTED);
  });
});

describe.skipIf(!(await postgresAvailable()))('Bulk export on two instances sharing PostgreSQL', () => {
  it('a job started on one instance is polled and downloaded on the other, and cancelled from either', async () => {
    const { start, seed } = await setup('postgres');
    const a = seed; // no worker: the job can only be done by the other instance
    const b = await start();
    const status = await kickOff(a.app, '/fhir/$export', STAFF);
    const manifest = await waitForManifest(b.app, status, STAFF);
    expect((await download(b.app, manifest, STAFF)).map(keyOf).sort()).toEqual(EXPECTED);
    expect((await download(a.app, await waitForManifest(a.app, status, STAFF), STAFF)).length).toBe(EXPECTED.length);
    expect((await a.app.inject({ method: 'DELETE', url: pathOf(status), headers: { authorization: STAFF } })).statusCode).toBe(202);
    expect((await b.app.inject({ method: 'GET', url: pathOf(status), headers: { authorization: STAFF } })).statusCode).toBe(404);
  });

  it('two workers share the queue: every job is done exactly once and completely', async () => {
    const { start } = await setup('postgres');
    const a = await start();
    const b = await start();
    const statuses = [];
    for (let n = 0; n < 4; n++) statuses.push(await kickOff(n % 2 ? a.app : b.app, '/fhir/$export', STAFF));
    for (const s of statuses) {
      const manifest = await waitForManifest(a.app, s, STAFF);
      expect((await download(b.app, manifest, STAFF)).map(keyOf).sort()).toEqual(EXPECTED);
    }
  });
});
