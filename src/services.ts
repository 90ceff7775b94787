import type { Logger } from 'pino';
import { Redis } from 'ioredis';
import { createAccountServices, type PortalServiceOptions, type PortalServices } from './accounts/portal-services.js';
import { staffService, type StaffService } from './accounts/staff.js';
import { accessSubjectKind, type ApiAccessLog } from './audit/api-access-log.js';
import type { AuditLog } from './audit/audit-log.js';
import { type BulkExports, type BulkOptions, createBulkExports } from './bulk/service.js';
import { bearerStrategy, credentialBasicStrategy, withFailureThrottle } from './auth/api-auth.js';
import { withAuthCache, withClientVerifyCache } from './auth/auth-cache.js';
import { composeAuthenticate, staffBasicStrategy } from './auth/authenticate.js';
import { type FailureThrottle, fallbackFailureThrottle, memoryFailureThrottle, redisFailureThrottle } from './auth/failure-throttle.js';
import type { CredentialService, VerifiedCredential } from './auth/credentials.js';
import type { Authenticate } from './auth/principal.js';
import { subjectKind } from './auth/subject.js';
import { TOKEN_KEY_PURPOSE, tokenService, type TokenService } from './auth/tokens.js';
import type { Config } from './config/config.js';
import type { Db } from './db/db.js';
import { migrate } from './db/migrate.js';
import { type BulkLoadOptions, openDb } from './db/open.js';
import { createFhirCache, type FhirCache } from './fhir/cache/fhir-cache.js';
import { loadRegistry } from './fhir/search/registry.js';
import { searchIds } from './fhir/search/search-ids.js';
import type { SearchRegistry } from './fhir/search/types.js';
import { createStore, type FhirStore } from './fhir/store/store.js';
import { createWrites, type Writes } from './fhir/write/index.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './ops/metrics.js';
import { createOAuthServices, type OAuthServices } from './oauth/services.js';
import { controlsJob, type ControlsJob } from './notices/controls-job.js';
import { noticeService, type NoticeService } from './notices/notices.js';

/** Everything the surfaces need, built once from the config and passed in (no globals). */
export interface Services {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Db;
  readonly registry: SearchRegistry;
  readonly store: FhirStore;
  /** Read and search results, exact at all times (src/fhir/cache/). */
  readonly fhirCache: FhirCache;
  /** FHIR create/update/delete/transaction/batch for staff and system clients (src/fhir/write/). */
  readonly writes: Writes;
  readonly staff: StaffService;
  /** Resolves a FHIR request's Authorization to a principal (patient credential, token, or staff). */
  readonly authenticate: Authenticate;
  readonly metrics: Metrics;
  /** Patient API credentials: create/list/revoke/verify/touch, suspend on portal disable. */
  readonly credentials: CredentialService;
  /** OAuth access tokens issued from credentials (signed, self-contained; checked against the credential on use). */
  readonly tokens: TokenService;
  /**
   * Client authentication at the token endpoint: credentials.verify behind a one-second
   * trust cache that a delete or suspension in this process empties at once.
   */
  readonly verifyClient: (key: string, secret: string) => Promise<VerifiedCredential | undefined>;
  /** Failed-authentication throttle shared by the FHIR API and the token endpoint. */
  readonly authThrottle: FailureThrottle;
  /** Audit trail (sign-ins, enablement, credential changes). */
  readonly audit: AuditLog;
  /** API access log: recordApiAccess (batched) and per-credential history. */
  readonly accessLog: ApiAccessLog;
  /** Portal accounts, sessions, settings, throttling, mail, server keys. */
  readonly portal: PortalServices;
  /** Patient notices: banners and (Premium) e-mails when access is created, first used, used from a new network, or expiring. */
  readonly notices: NoticeService;
  /** Expiry reminders, idle expiry and access-log retention (run by the maintenance timer). */
  readonly controlsJob: ControlsJob;
  /** The clock every service uses (injected by tests): access-log times must agree with expiry and idle checks. */
  readonly now: () => number;
  /** SMART App Launch and Backend Services: clients, grants, signing keys, client assertions (src/oauth/). */
  readonly oauth: OAuthServices;
  /** Present when REDIS_URL is set: shared throttling across instances. */
  readonly redis?: Redis;
  /** Bulk Data export jobs shared through the database, and the worker each instance runs (src/bulk/). */
  readonly bulk: BulkExports;
  close(): Promise<void>;
}

export interface ServiceOptions {
  logger?: Logger;
  db?: Db;
  /** Database settings for a bulk load (import, generate, bench); ignored when `db` is given. */
  bulkLoad?: BulkLoadOptions;
  now?: () => number;
  /** Portal/credential options (sessions, throttling, mailer, access-log batching); secretKey defaults to CHARTKEY_SECRET_KEY. */
  portal?: PortalServiceOptions;
  /** Overrides the failed-authentication throttle (tests). */
  authThrottle?: FailureThrottle;
  /** Bulk export worker timings (tests); the output lifetime comes from the config. */
  bulk?: Omit<BulkOptions, 'ttlMs' | 'now'>;
}

/**
 * Redis never makes a request wait: without a connection commands fail at once (no
 * offline queue), a stalled connection fails them after `commandTimeout`, and ioredis
 * reconnects in the background (its default retry strategy).
 */
function openRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, enableOfflineQueue: false, commandTimeout: 500, connectTimeout: 2000 });
  let lastLogged = 0;
  redis.on('error', (err: Error) => {
    // One line a minute at most while Redis is away.
    if (Date.now() - lastLogged < 60_000) return;
    lastLogged = Date.now();
    logger.warn({ reason: err.message }, 'Redis connection error');
  });
  return redis;
}

export async function createServices(config: Config, options: ServiceOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? openDb(config.databaseUrl, { bulkLoad: options.bulkLoad, warn: (message) => logger.warn(message) });
  await migrate(db);
  const registry = loadRegistry();
  const store = createStore(db, registry, { now: options.now, searchIds });
  const staff = staffService(db);
  const metrics = createMetrics();
  const accountServices = await createAccountServices(
    { db, config, logger, store },
    { now: options.now, secretKey: process.env.CHARTKEY_SECRET_KEY || undefined, ...options.portal },
  );
  const { credentials } = accountServices;
  const oauth = createOAuthServices({ db, config, credentials, keys: accountServices.portal.keys, now: options.now });
  const tokens = tokenService({
    key: accountServices.portal.keys.derive(TOKEN_KEY_PURPOSE),
    isLive: (subject, patientId, issuedAt) => oauth.isLive(subject, patientId, issuedAt),
    now: options.now,
  });
  // Revoking a grant drops cached trust in its tokens at once, as deleting a credential does.
  const onAccessChange = (listener: Parameters<typeof credentials.onChange>[0]) => {
    const a = credentials.onChange(listener);
    const b = oauth.grants.onChange(listener);
    return () => (a(), b());
  };
  const verifyClient = withClientVerifyCache((key, secret) => credentials.verify(key, secret), credentials.onChange, { now: options.now });
  const notices = noticeService({
    db, accounts: accountServices.portal.accounts, mailer: accountServices.portal.mailer, logger, publicUrl: config.publicUrl, now: options.now,
  });
  accountServices.accessLog.onWritten(async (batch) => {
    for (const a of batch) {
      // A subject is a generated credential or a SMART grant: an app the patient connected.
      if (accessSubjectKind(a) === 'grant') await notices.recordUse({ patientId: a.patientId, subjectId: a.credentialId, kind: 'app' }, a.ip, async () => (await oauth.grants.get(a.credentialId))?.clientName);
      else await notices.recordUse({ patientId: a.patientId, subjectId: a.credentialId, kind: 'credential' }, a.ip, async () => (await credentials.get(a.credentialId))?.name);
    }
  });
  // Whether a token's subject shares sensitive records: a generated credential's choice, or
  // a SMART grant's consent-page choice — capped by the credential's when the app signs in
  // with the patient's own credentials (Patient controls; docs/security.md).
  const includesSensitive = async (subject: string, patientId: string): Promise<boolean> => {
    if (subjectKind(subject) !== 'grant') return (await credentials.liveState(subject, patientId))?.includeSensitive ?? false;
    const grant = await oauth.grants.get(subject);
    if (!grant?.includeSensitive || grant.patientId !== patientId) return false;
    return grant.credentialId === null || ((await credentials.liveState(grant.credentialId, patientId))?.includeSensitive ?? false);
  };
  const redis = config.redisUrl ? openRedis(config.redisUrl, logger) : undefined;
  const authThrottle =
    options.authThrottle ??
    (redis
      ? fallbackFailureThrottle(redisFailureThrottle(redis), memoryFailureThrottle(), {
          onFallback: (err) => logger.warn({ reason: (err as Error)?.message }, 'Redis unavailable: failed-authentication throttling uses this instance\'s memory'),
          onRecover: () => logger.info('Redis is back: failed-authentication throttling is shared again'),
        })
      : memoryFailureThrottle());
  const authenticate = withFailureThrottle(
    withAuthCache(
      composeAuthenticate([credentialBasicStrategy(accountServices.credentials), bearerStrategy(tokens, undefined, includesSensitive), staffBasicStrategy(staff)]),
      onAccessChange,
      { now: options.now },
    ),
    authThrottle,
    (reason) => metrics.authFailures.inc({ reason }),
  );
  return {
    now: options.now ?? Date.now,
    config,
    logger,
    db,
    registry,
    store,
    fhirCache: createFhirCache(store, config.cacheMb * 1024 * 1024, (hit) => metrics.fhirCache.inc({ result: hit ? 'hit' : 'miss' }), (bytes) => metrics.fhirCacheBytes.set(bytes)),
    writes: createWrites({ store, audit: accountServices.audit }),
    staff,
    authenticate,
    metrics,
    tokens,
    verifyClient,
    authThrottle,
    oauth,
    redis,
    bulk: createBulkExports(db, logger, { ttlMs: config.exportTtlHours * 3_600_000, now: options.now, ...options.bulk }),
    notices,
    controlsJob: controlsJob({ db, settings: accountServices.portal.settings, notices, accessLog: accountServices.accessLog, now: options.now }),
    ...accountServices,
    async close() {
      // Pending access-log entries reach the database before it closes.
      await accountServices.accessLog.close();
      redis?.disconnect();
      await db.close();
    },
  };
}
