import type { Logger } from 'pino';
import { staffService, type StaffService } from './accounts/staff.js';
import { composeAuthenticate, staffBasicStrategy } from './auth/authenticate.js';
import type { Authenticate } from './auth/principal.js';
import type { Config } from './config/config.js';
import type { Db } from './db/db.js';
import { migrate } from './db/migrate.js';
import { openDb } from './db/open.js';
import { loadRegistry } from './fhir/search/registry.js';
import { searchIds } from './fhir/search/search-ids.js';
import type { SearchRegistry } from './fhir/search/types.js';
import { createStore, type FhirStore } from './fhir/store/store.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';

/** Everything the surfaces need, built once from the config and passed in (no globals). */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly registry: SearchRegistry;
  readonly store: FhirStore;
  readonly staff: StaffService;
  readonly authenticate: Authenticate;
  readonly metrics: Metrics;
  close(): Promise<void>;
}

export interface ServiceOptions {
  logger?: Logger;
  db?: Db;
  now?: () => number;
}

export async function createServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? openDb(config.databaseUrl);
  await migrate(db);
  const registry = loadRegistry();
  const store = createStore(db, registry, { now: options.now, searchIds });
  const staff = staffService(db);
  const authenticate = composeAuthenticate([staffBasicStrategy(staff)]);
  const metrics = createMetrics();
  return {
    config,
    logger,
    db,
    registry,
    store,
    staff,
    authenticate,
    metrics,
    async close() {
      await db.close();
    },
  };
}
