/**
 * `npx tsx bench/worker-reads.ts`: what a SQLite read costs the JavaScript thread in the
 * thread (better-sqlite3, synchronous) against on a worker thread with a connection of its
 * own (a message each way, rows structured-cloned back), for a one-row point read and a
 * 40-row page, one query in flight and eight. docs/performance.md, *SQLite checkpoints off
 * the JavaScript thread*, has the figures and what they decided.
 */
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { mainThreadCpuMillis } from './proc.js';

const file = join(tmpdir(), `chartkey-worker-reads-${process.pid}.sqlite`);
const QUERIES = 20_000;
const ROWS = 20_000;
const PATIENTS = 500;
const POINT = 'SELECT body FROM r WHERE id = ?';
const PAGE = 'SELECT body FROM r WHERE patient = ?';

const db = new Database(file);
db.pragma('journal_mode = WAL');
db.exec('CREATE TABLE r (id TEXT PRIMARY KEY, patient TEXT, body TEXT); CREATE INDEX r_patient ON r (patient)');
const body = JSON.stringify({ resourceType: 'Observation', text: 'x'.repeat(1500) });
const insert = db.prepare('INSERT INTO r VALUES (?, ?, ?)');
db.transaction(() => {
  for (let i = 0; i < ROWS; i++) insert.run(`id${i}`, `p${i % PATIENTS}`, body);
})();
const param = (sql: string, i: number) => (sql === POINT ? `id${i % ROWS}` : `p${i % PATIENTS}`);
const mainCpu = () => mainThreadCpuMillis(process.pid);

async function measure(label: string, inFlight: number, query: (sql: string, p: string) => Promise<unknown>) {
  for (const [name, sql] of [['one row', POINT], ['40 rows', PAGE]] as const) {
    const cpu0 = mainCpu();
    const t0 = performance.now();
    for (let i = 0; i < QUERIES; i += inFlight) await Promise.all(Array.from({ length: inFlight }, (_, j) => query(sql, param(sql, i + j))));
    const wall = ((performance.now() - t0) * 1000) / QUERIES;
    console.log(`${label}, ${inFlight} in flight, ${name}: main-thread CPU ${(((mainCpu() - cpu0) * 1000) / QUERIES).toFixed(1)} µs per query, wall ${wall.toFixed(1)} µs`);
  }
}

const statements = new Map<string, Database.Statement>();
await measure('in the thread', 1, async (sql, p) => {
  let stmt = statements.get(sql);
  if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
  return stmt.all(p);
});

const worker = new Worker(
  `const { parentPort, workerData } = require('node:worker_threads');
   const db = new (require(workerData.module))(workerData.file, { readonly: true });
   const statements = new Map();
   parentPort.on('message', ({ id, sql, p }) => {
     let stmt = statements.get(sql);
     if (!stmt) statements.set(sql, (stmt = db.prepare(sql)));
     parentPort.postMessage({ id, rows: stmt.all(p) });
   });`,
  { eval: true, workerData: { file, module: createRequire(import.meta.url).resolve('better-sqlite3') } },
);
const waiting = new Map<number, (rows: unknown) => void>();
worker.on('message', ({ id, rows }: { id: number; rows: unknown }) => {
  waiting.get(id)!(rows);
  waiting.delete(id);
});
let nextId = 0;
const ask = (sql: string, p: string) =>
  new Promise((resolve) => {
    const id = nextId++;
    waiting.set(id, resolve);
    worker.postMessage({ id, sql, p });
  });
await ask(POINT, 'id1');
await measure('on a worker', 1, ask);
await measure('on a worker', 8, ask);
await worker.terminate();
db.close();
for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
