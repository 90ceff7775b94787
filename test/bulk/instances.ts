import pino from 'pino';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { BulkOptions } from '../../src/bulk/service.js';
import { loadConfig } from '../../src/config/config.js';
import { openDb } from '../../src/db/open.js';
import { createServices, type Services } from '../../src/services.js';
import { createPgDatabase } from '../helpers/db.js';
import { BASE } from './bulk-client.js';

/**
 * Databases that outlive one app (a SQLite file, a PostgreSQL database), so a test can stop
 * an instance and start another on the same data, run two at once, or run a CLI command on it.
 */
export async function freshDatabase(kind: 'sqlite' | 'postgres'): Promise<{ url: string; dir: string; drop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'chartkey-bulk-'));
  if (kind === 'sqlite') return { url: `sqlite:${join(dir, 'db.sqlite')}`, dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  const pgDatabase = await createPgDatabase();
  return {
    url: pgDatabase.url,
    dir,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
      await pgDatabase.drop();
    },
  };
}

export interface Instance {
  app: FastifyInstance;
  services: Services;
  close(): Promise<void>;
}

/** One ChartKey instance (its own connections and export worker) on a database. */
export async function startInstance(url: string, dir: string, bulk: Omit<BulkOptions, 'ttlMs' | 'now'> = {}): Promise<Instance> {
  const config = loadConfig({}, { databaseUrl: url, publicUrl: BASE, demo: false, dataDir: dir });
  const services = await createServices(config, { db: openDb(url), logger: pino({ level: 'silent' }), bulk: { pollMs: 20, ...bulk } });
  const app = await buildApp(config, services);
  await app.ready();
  return {
    app,
    services,
    async close() {
      await app.close();
      await services.close();
    },
  };
}
