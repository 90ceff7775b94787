import type { Logger } from 'pino';
import { apiAccessLog, type AccessLogOptions, type ApiAccessLog } from '../audit/api-access-log.js';
import { auditLog, type AuditLog } from '../audit/audit-log.js';
import { credentialService, type CredentialService } from '../auth/credentials.js';
import { loadServerKeys, type ServerKeys } from '../auth/server-key.js';
import { signinThrottle, type SigninThrottle, type ThrottleOptions } from '../auth/signin-throttle.js';
import type { Config } from '../config/config.js';
import type { Db } from '../db/db.js';
import type { FhirStore } from '../fhir/store/store.js';
import { createMailer, type Mailer } from '../mail/mailer.js';
import { portalAccounts, type PortalAccounts } from './portal-accounts.js';
import { sessionService, type SessionOptions, type SessionService } from './sessions.js';
import { settingsService, type SettingsService } from './settings.js';

/** What the portal and admin surfaces use besides the FHIR store (Services.portal). */
export interface PortalServices {
  readonly keys: ServerKeys;
  readonly accounts: PortalAccounts;
  readonly sessions: SessionService;
  readonly settings: SettingsService;
  readonly throttle: SigninThrottle;
  readonly mailer: Mailer;
}

export interface PortalServiceOptions {
  now?: () => number;
  /** CHARTKEY_SECRET_KEY; when absent a key is generated once and kept in the database. */
  secretKey?: string;
  sessions?: SessionOptions;
  throttle?: ThrottleOptions;
  accessLog?: AccessLogOptions;
  mailer?: Mailer;
}

export interface AccountServices {
  portal: PortalServices;
  credentials: CredentialService;
  audit: AuditLog;
  accessLog: ApiAccessLog;
}

export async function createAccountServices(
  deps: { db: Db; config: Config; logger: Logger; store: FhirStore },
  options: PortalServiceOptions = {},
): Promise<AccountServices> {
  const { db, config, logger } = deps;
  const now = options.now;
  const keys = await loadServerKeys(db, options.secretKey);
  return {
    portal: {
      keys,
      accounts: portalAccounts(db, { now }),
      sessions: sessionService(db, { now, ...options.sessions }),
      settings: settingsService(db, { now }),
      throttle: signinThrottle(db, { now, ...options.throttle }),
      mailer: options.mailer ?? createMailer({ smtpUrl: config.smtpUrl, dataDir: config.dataDir, logger }),
    },
    credentials: credentialService(db, keys.credentialSecret, { now }),
    audit: auditLog(db, { now }),
    accessLog: apiAccessLog(db, { onError: (err) => logger.error({ err }, 'API access log write failed'), ...options.accessLog }),
  };
}
