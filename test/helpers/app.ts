import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Writable } from 'node:stream';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createServices, type ServiceOptions, type Services } from '../../src/services.js';
import { createTestDb, type TestDb } from './db.js';

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  testDb: TestDb;
  /** Every log line the server wrote, as text (for "no secret in the log" checks). */
  logText(): string;
  close(): Promise<void>;
}

/**
 * A ChartKey app over a fresh database of the given kind, with logs captured in memory.
 * `publicUrl` defaults to http://chartkey.test so links are predictable.
 */
export async function createTestApp(
  kind: 'sqlite' | 'postgres',
  options: Omit<ServiceOptions, 'db' | 'logger'> & { publicUrl?: string } = {},
): Promise<TestApp> {
  const testDb = await createTestDb(kind);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level: 'debug' }, sink);
  const config = loadConfig({}, { databaseUrl: testDb.url, publicUrl: options.publicUrl ?? 'http://chartkey.test', demo: false, dataDir: `/tmp/chartkey-test-${process.pid}` });
  const services = await createServices(config, {
    ...options,
    db: testDb.db,
    logger,
    portal: { ...options.portal, accessLog: { flushIntervalMs: 0, ...options.portal?.accessLog } },
  });
  const app = await buildApp(config, services);
  await app.ready();
  return {
    app,
    services,
    testDb,
    logText: () => lines.join(''),
    async close() {
      await app.close();
      await services.accessLog.close();
      await testDb.drop();
    },
  };
}

/** HTTP Basic header value. */
export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
