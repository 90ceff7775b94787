import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type Config, loadConfig } from '../../src/config/config.js';
import type { Db } from '../../src/db/db.js';
import { openDb } from '../../src/db/open.js';
import { createLogger } from '../../src/logger.js';
import { createServices, type ServiceOptions, type Services } from '../../src/services.js';
import { createTestDb, type TestDb } from '../helpers/db.js';

/**
 * A ChartKey app whose database connection (and optionally Redis) goes through whatever
 * URL the test chooses — a fault proxy's — while the test keeps a direct connection to
 * the same database to look at what was stored.
 */
export interface OutageApp {
  app: FastifyInstance;
  services: Services;
  /** Direct connection, bypassing the proxy. */
  direct: Db;
  logLines: string[];
  close(): Promise<void>;
}

export async function startOutageApp(
  kind: 'sqlite' | 'postgres',
  opts: { dbUrl?: (url: string) => string; redisUrl?: string; sqliteFile?: string; services?: Omit<ServiceOptions, 'db' | 'logger'> } = {},
): Promise<OutageApp> {
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  // What the database works around by itself (a failed background checkpoint) goes to the same log.
  const testDb: TestDb = opts.sqliteFile ? fileDb(opts.sqliteFile, (message) => logLines.push(message)) : await createTestDb(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'chartkey-outage-'));
  const db = kind === 'postgres' && opts.dbUrl ? openDb(opts.dbUrl(testDb.url)) : testDb.db;
  const config: Config = loadConfig({}, { databaseUrl: testDb.url, dataDir, publicUrl: 'http://127.0.0.1:8080', demo: false, redisUrl: opts.redisUrl });
  const services = await createServices(config, { ...opts.services, db, logger: createLogger('debug', sink) });
  const app = await buildApp(config, services);
  await app.ready();
  return {
    app,
    services,
    direct: testDb.db,
    logLines,
    async close() {
      await app.close();
      await services.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true or `ms` pass; returns whether it became true. */
export async function eventually(check: () => Promise<boolean>, ms: number, every = 100): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A SQLite database in a file of the test's choosing (a small file system, say). */
function fileDb(file: string, warn: (message: string) => void): TestDb {
  const url = `sqlite:${file}`;
  const db = openDb(url, { warn });
  return { db, url, drop: () => db.close().catch(() => undefined) };
}
