import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enablePortal } from '../../src/accounts/enablement.js';
import { loadConfig } from '../../src/config/config.js';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open.js';
import { createLogger } from '../../src/logger.js';
import { createServices } from '../../src/services.js';
import { basic } from '../helpers/app.js';
import { type ChartkeyProcess, spawnChartkey } from '../helpers/child.js';
import { backends, createTestDb, type TestDb } from '../helpers/db.js';
import { ackCounts, createWriter, emptyWrites, putWriter, SYSTEM, transactionWriter, type Writes } from './crash-writes.js';

/**
 * Issue 13, crashes: `kill -9` of the server (a real child process) while writes arrive —
 * FHIR transactions, PUTs and creates (test/ops/crash-writes.ts), portal sign-ins, and in
 * the first round an import in another process, killed at the same moment. Two rounds
 * of kill and restart; after each: every write answered 2xx is present (read by id, and
 * by version for PUTs), each transaction is whole or absent, searches return exactly
 * what the stored content says (no torn or orphaned index rows, no stale rows of an
 * earlier version), and the database passes its integrity check (SQLite PRAGMA
 * integrity_check; PostgreSQL amcheck over every B-tree index) plus a consistency query
 * over the index and history tables. The expected values come from what the test sent
 * and from the stored JSON of the `resources` table, never from the index tables.
 */
const dir = mkdtempSync(join(tmpdir(), 'chartkey-crash-server-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PASSWORD = 'correct horse battery';
const STAFF = basic('crashadmin', 'staff password 123');
const SUBJECT = 'Patient/k1';
/** Acknowledged writes of each kind a round waits for before it kills the server. */
const ENOUGH = 6;
let bundles = '';

beforeAll(async () => {
  bundles = join(dir, 'bundles');
  const gen = spawnChartkey(['generate', '--patients', '6', '--seed', '21', '--out', bundles], {});
  expect(await gen.exited, gen.stderr()).toBe(0);
});

/** Cookies of a response as name=value pairs. */
const cookiesOf = (res: Response) => res.headers.getSetCookie().map((c) => c.split(';')[0]);

/** Signs in through the form: returns the session's cookies when the server acknowledged it (303). */
async function signIn(base: string): Promise<string | undefined> {
  const page = await fetch(`${base}/portal/login`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  const jar = cookiesOf(page);
  const res = await fetch(`${base}/portal/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: jar.join('; ') },
    body: new URLSearchParams({ username: 'jane', password: PASSWORD, _csrf: csrf ?? '' }).toString(),
  });
  if (res.status !== 303 || res.headers.get('location') !== '/portal/history') return undefined;
  return [...jar, ...cookiesOf(res)].join('; ');
}

async function startServer(url: string): Promise<{ server: ChartkeyProcess; base: string }> {
  const server = spawnChartkey(['serve', '--port', '0', '--host', '127.0.0.1'], { DATABASE_URL: url, CHARTKEY_DATA_DIR: dir });
  const port = Number((await server.waitFor(/Listening on:\s+http:\/\/127\.0\.0\.1:(\d+)/))[1]);
  return { server, base: `http://127.0.0.1:${port}` };
}

const getJson = async (base: string, path: string) => {
  const res = await fetch(`${base}${path}`, { headers: { authorization: STAFF } });
  expect(res.status, path).toBe(200);
  return res.json();
};

/** Ids of every match of a search, following `next` links. */
async function searchIds(base: string, path: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = `${base}${path}${path.includes('?') ? '&' : '?'}_count=1000&_elements=id`;
  while (next) {
    const page = await getJson('', next);
    ids.push(...(page.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id));
    next = page.link?.find((l: { relation: string }) => l.relation === 'next')?.url;
  }
  return ids.sort();
}

interface Stored {
  type: string;
  id: string;
  version: number;
  json: {
    identifier?: Array<{ system?: string; value?: string }>;
    subject?: { reference?: string };
    valueQuantity?: { value?: number };
    meta?: { versionId?: string };
  };
}

/** The current resources as their stored JSON says (the `resources` table, not the index). */
async function storedContent(db: Db): Promise<Stored[]> {
  const rows = await db.all<{ type: string; id: string; version: number; content: string }>('SELECT type, id, version, content FROM resources WHERE deleted = 0');
  return rows.map((r) => ({ type: r.type, id: r.id, version: Number(r.version), json: JSON.parse(r.content) as Stored['json'] }));
}

/** The identifier value this test gave a resource (some types have a single identifier, not a list). */
const keyOf = (s: Stored) => [s.json.identifier ?? []].flat().find((i) => i.system === SYSTEM)?.value;

/**
 * Rows the store's invariants forbid, per check (all must be 0): index, compartment and
 * reference rows of no resource or of another type, history rows of no resource, and
 * resources whose history does not hold exactly their versions 1..version-1.
 */
async function inconsistencies(db: Db): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const count = async (name: string, sql: string) => (out[name] = Number((await db.get<{ n: number | string }>(sql))!.n));
  for (const t of ['idx_token', 'idx_string', 'idx_date', 'idx_number', 'idx_quantity', 'idx_reference', 'idx_uri']) {
    await count(`${t} rows of no resource or of another type`, `SELECT COUNT(*) AS n FROM ${t} x WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.seq = x.res AND r.type = x.type AND r.deleted = 0)`);
  }
  for (const t of ['compartment', 'refs', 'resource_history']) {
    await count(`${t} rows of no resource`, `SELECT COUNT(*) AS n FROM ${t} x WHERE NOT EXISTS (SELECT 1 FROM resources r WHERE r.seq = x.res)`);
  }
  await count(
    'resources whose history is not versions 1..version-1',
    'SELECT COUNT(*) AS n FROM resources r WHERE (SELECT COUNT(*) FROM resource_history h WHERE h.res = r.seq AND h.version BETWEEN 1 AND r.version - 1) <> r.version - 1' +
      ' OR EXISTS (SELECT 1 FROM resource_history h WHERE h.res = r.seq AND h.version >= r.version)',
  );
  return out;
}

for (const kind of await backends()) {
  describe(`kill -9 of the server while writes arrive (${kind})`, () => {
    let url: string;
    let testDb: TestDb | undefined;
    let db: Db;
    let running: { server: ChartkeyProcess; base: string } | undefined;
    const writes: Writes = emptyWrites(2);
    const sessions: string[] = [];

    beforeAll(async () => {
      if (kind === 'sqlite') url = `sqlite:${join(dir, 'server.sqlite')}`;
      else url = (testDb = await createTestDb('postgres')).url;
      const services = await createServices(loadConfig({}, { databaseUrl: url, dataDir: dir, demo: false }), { logger: createLogger('silent') });
      await services.store.transaction((tx) => tx.put({ resourceType: 'Patient', id: 'k1', name: [{ family: 'Killed' }] }));
      const { account } = await enablePortal(services, { patientId: 'k1', username: 'jane', password: 'temporary-pass-1', by: { kind: 'system', id: 'test' } });
      await services.portal.accounts.changePassword(account.id, PASSWORD);
      await services.staff.create('crashadmin', 'staff password 123');
      await services.close();
      db = openDb(url);
    });
    afterAll(async () => {
      if (running) {
        running.server.proc.kill('SIGKILL');
        await running.server.exited;
      }
      await db?.close();
      await testDb?.drop();
    });

    for (const round of [1, 2]) {
      it(`round ${round}: is killed with transactions, PUTs, creates and sign-ins in flight${round === 1 ? ', and an import' : ''}`, { timeout: 120_000 }, async () => {
        const { server, base } = running ?? (await startServer(url));
        running = undefined;
        const importer = round === 1 ? spawnChartkey(['import', bundles], { DATABASE_URL: url }) : undefined;
        let stop = false;
        const target = { base, auth: STAFF, stopped: () => stop };
        const before = ackCounts(writes);
        const signIns = sessions.length;
        const writers = [
          transactionWriter(target, writes, `r${round}-tx-a`),
          transactionWriter(target, writes, `r${round}-tx-b`),
          ...writes.puts.map((p) => putWriter(target, p, SUBJECT)),
          createWriter(target, writes.creates, `r${round}-create-a`, SUBJECT),
          createWriter(target, writes.creates, `r${round}-create-b`, SUBJECT),
          (async () => {
            while (!stop) {
              const cookie = await signIn(base).catch(() => undefined);
              if (!cookie && !stop) throw new Error('the live server refused a sign-in');
              if (!cookie) return;
              if (!stop) sessions.push(cookie);
            }
          })(),
        ];
        // A writer that fails (a non-2xx from the live server) ends the round at once.
        let failed: unknown;
        for (const w of writers) w.catch((err: unknown) => (failed ??= err));
        const imported = async () => Number((await db.get<{ n: number | string }>("SELECT COUNT(*) AS n FROM resources WHERE type = 'Patient' AND content NOT LIKE '%crash-test%'"))!.n) > 1;
        const enough = async () => {
          const now = ackCounts(writes);
          return now.tx - before.tx >= ENOUGH && now.put - before.put >= ENOUGH && now.create - before.create >= ENOUGH && sessions.length - signIns >= 2 && (!importer || (await imported()));
        };
        while (!failed && !(await enough())) {
          if (server.proc.exitCode !== null) failed = new Error(`the server exited by itself (${server.proc.exitCode}):\n${server.stderr()}`);
          await new Promise((r) => setTimeout(r, 20));
        }
        server.proc.kill('SIGKILL');
        importer?.proc.kill('SIGKILL');
        stop = true;
        await Promise.allSettled(writers);
        if (failed) throw failed;
        const now = ackCounts(writes);
        console.log(`crash ${kind} round ${round}: killed after ${now.tx - before.tx} transactions, ${now.put - before.put} PUTs, ${now.create - before.create} creates and ${sessions.length - signIns} sign-ins were acknowledged`);
        expect(await server.exited).toBe('SIGKILL');
        if (importer) await importer.exited;
      });

      it(`round ${round}: the database passes its integrity check and the store's consistency query`, async () => {
        if (kind === 'sqlite') {
          const check = new Database(join(dir, 'server.sqlite'));
          try {
            expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
          } finally {
            check.close();
          }
        } else {
          // amcheck (contrib): every B-tree index agrees with its table, every heap tuple indexed.
          await db.exec('CREATE EXTENSION IF NOT EXISTS amcheck');
          const indexes = await db.all<{ name: string }>(
            "SELECT c.relname AS name FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam WHERE am.amname = 'btree' AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())",
          );
          expect(indexes.length).toBeGreaterThan(10);
          for (const { name } of indexes) await db.all(`SELECT bt_index_check('"${name}"'::regclass, true)`);
        }
        const bad = await inconsistencies(db);
        expect(Object.keys(bad).length).toBeGreaterThan(10);
        expect(Object.entries(bad).filter(([, n]) => n > 0)).toEqual([]);
      });

      it(`round ${round}: after a restart every acknowledged write is there, each transaction whole or absent, and searches agree with the stored content`, { timeout: 120_000 }, async () => {
        running = await startServer(url);
        const { base } = running;
        const content = await storedContent(db);
        const byKey = new Map<string, Stored[]>();
        for (const s of content) {
          const key = keyOf(s);
          if (key) byKey.set(key, [...(byKey.get(key) ?? []), s]);
        }
        // Nothing was stored twice (a create or a transaction entry is one resource).
        expect([...byKey].filter(([, list]) => list.length > 1).map(([k]) => k)).toEqual([]);
        const one = (key: string) => byKey.get(key)?.[0];

        // Transactions: acknowledged → all three resources, under the ids the server gave; any other → all or none.
        for (const t of writes.tx) {
          const parts = [t.key, `${t.key}-0`, `${t.key}-1`].map(one);
          const present = parts.filter(Boolean).length;
          expect([0, 3], `transaction ${t.key}: ${present} of 3 resources stored`).toContain(present);
          if (t.ack) expect(parts.map((p) => p?.id), `acknowledged transaction ${t.key}`).toEqual([t.ack.patient, ...t.ack.observations]);
          if (present) {
            const [patient, ...obs] = parts as Stored[];
            for (const o of obs) expect(o.json.subject?.reference).toBe(`Patient/${patient.id}`);
            // The index agrees with the content: the patient's Observations are exactly these two.
            expect(await searchIds(base, `/fhir/Observation?subject=Patient/${patient.id}`), `Observations of ${t.key}`).toEqual(obs.map((o) => o.id).sort());
          }
        }
        for (const t of writes.tx.filter((x) => x.ack)) {
          for (const [type, id] of [['Patient', t.ack!.patient], ...t.ack!.observations.map((o) => ['Observation', o])]) {
            expect((await fetch(`${base}/fhir/${type}/${id}`, { headers: { authorization: STAFF } })).status, `${type}/${id} of ${t.key}`).toBe(200);
          }
        }

        // PUTs: the current version is the last acknowledged one, or a later one that was sent;
        // every acknowledged version reads back with its value.
        for (const p of writes.puts) {
          const current = one(p.id);
          if (!current) {
            expect(p.acked.size, `${p.id} was acknowledged but is not stored`).toBe(0);
            continue;
          }
          const [lastValue, lastVersion] = [...p.acked].sort((a, b) => a[0] - b[0]).at(-1) ?? [0, 0];
          const value = current.json.valueQuantity!.value!;
          // Sent one at a time: only the one in flight at the kill (or one answered 503) can follow the last acknowledged.
          expect(value, `${p.id}: value ${value}, last acknowledged ${lastValue}`).toBeGreaterThanOrEqual(lastValue);
          expect(value, `${p.id}: value ${value}, last sent ${p.sent}`).toBeLessThanOrEqual(p.sent);
          if (value === lastValue) expect(current.version, p.id).toBe(lastVersion);
          else expect(current.version - lastVersion, p.id).toBeOneOf(Array.from({ length: value - lastValue }, (_, i) => i + 1));
          const read = await getJson(base, `/fhir/Observation/${p.id}`);
          expect([read.meta.versionId, read.valueQuantity.value]).toEqual([String(current.version), value]);
          for (const [v, version] of p.acked) {
            const old = await getJson(base, `/fhir/Observation/${p.id}/_history/${version}`);
            expect(old.valueQuantity.value, `${p.id} version ${version}`).toBe(v);
          }
          // The index holds the current version's rows only: its value finds it, the previous value does not.
          expect(await searchIds(base, `/fhir/Observation?identifier=${SYSTEM}|${p.id}&value-quantity=${value}`)).toEqual([p.id]);
          expect(await searchIds(base, `/fhir/Observation?identifier=${SYSTEM}|${p.id}&value-quantity=${value - 1}`)).toEqual([]);
        }

        // Creates: every acknowledged one is there under its id.
        for (const [key, id] of writes.creates.acked) {
          expect(one(key)?.id, `create ${key}`).toBe(id);
          expect((await fetch(`${base}/fhir/Observation/${id}`, { headers: { authorization: STAFF } })).status, `create ${key}`).toBe(200);
        }

        // Searches return exactly what the content holds, by identifier system, by subject and by type.
        const ours = (type: string) => content.filter((s) => s.type === type && keyOf(s)).map((s) => s.id).sort();
        expect(await searchIds(base, `/fhir/Observation?identifier=${SYSTEM}|`)).toEqual(ours('Observation'));
        expect(await searchIds(base, `/fhir/Patient?identifier=${SYSTEM}|`)).toEqual(ours('Patient'));
        const ofK1 = content.filter((s) => s.type === 'Observation' && s.json.subject?.reference === SUBJECT).map((s) => s.id).sort();
        expect(await searchIds(base, `/fhir/Observation?subject=${SUBJECT}`)).toEqual(ofK1);
        expect(ofK1.length).toBeGreaterThanOrEqual(writes.creates.acked.size + writes.puts.filter((p) => p.acked.size > 0).length);
        const patients = content.filter((s) => s.type === 'Patient').map((s) => s.id).sort();
        expect(await searchIds(base, '/fhir/Patient')).toEqual(patients);
        // The imported patients (the generated bundles, whole or absent: test/ops/crash-import.test.ts).
        const written = new Set(ours('Patient'));
        for (const id of patients.filter((p) => p !== 'k1' && !written.has(p))) {
          const expected = content.filter((s) => s.type === 'Observation' && s.json.subject?.reference === `Patient/${id}`).length;
          expect((await getJson(base, `/fhir/Observation?subject=Patient/${id}&_summary=count`)).total, `Observations of Patient/${id}`).toBe(expected);
        }

        // Portal sign-ins: every acknowledged session still signs its holder in.
        for (const cookie of sessions) {
          const res = await fetch(`${base}/portal/history`, { headers: { cookie }, redirect: 'manual' });
          expect(res.status, 'an acknowledged session was lost').toBe(200);
        }
        expect((await getJson(base, '/fhir/Patient?name=killed')).total).toBe(1);
      });
    }
  });
}
