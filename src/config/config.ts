/**
 * Configuration: the environment parsed once into a validated, frozen Config that is
 * passed in wherever it is needed (no global getConfig()). One error lists every bad
 * variable.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** `sqlite:PATH` or `postgres://…`. */
  readonly databaseUrl: string;
  readonly redisUrl?: string;
  /** Absolute base URL for links (no trailing slash), e.g. http://localhost:8080. */
  readonly publicUrl: string;
  readonly smtpUrl?: string;
  readonly logLevel: LogLevel;
  /** Folder for the embedded database, outbox and server keys. */
  readonly dataDir: string;
  /** Seed a demo practice on an empty database (npm start). */
  readonly demo: boolean;
  /** Trust X-Forwarded-For from a proxy in front (TRUST_PROXY=1), for client addresses in logs and throttling. */
  readonly trustProxy: boolean;
  /** MiB of memory for cached read and search results (CHARTKEY_CACHE_MB, default 16; 0 turns the cache off). */
  readonly cacheMb: number;
  /** Hours a Bulk Data export's files are kept after it finishes (CHARTKEY_EXPORT_TTL_HOURS, default 24). */
  readonly exportTtlHours: number;
  /** PEM certificate chain and private key (TLS_CERT_FILE, TLS_KEY_FILE): the server speaks HTTPS itself (TLS 1.2+). */
  readonly tlsCertFile?: string;
  readonly tlsKeyFile?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const problems: string[] = [];
  const port = overrides.port ?? parsePort(env.PORT ?? '8080', problems);
  const host = overrides.host ?? (env.HOST || '0.0.0.0');
  const dataDir = overrides.dataDir ?? (env.CHARTKEY_DATA_DIR || './data');
  const databaseUrl = overrides.databaseUrl ?? (env.DATABASE_URL || `sqlite:${dataDir}/chartkey.sqlite`);
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) problems.push('DATABASE_URL must start with sqlite: or postgres://');
  const redisUrl = overrides.redisUrl ?? (env.REDIS_URL || undefined);
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) problems.push('REDIS_URL must start with redis:// or rediss://');
  const publicUrl = (overrides.publicUrl ?? (env.PUBLIC_URL || `http://localhost:${port}`)).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicUrl)) problems.push('PUBLIC_URL must be an absolute http(s) URL');
  const smtpUrl = overrides.smtpUrl ?? (env.SMTP_URL || undefined);
  if (smtpUrl && !/^smtps?:\/\//.test(smtpUrl)) problems.push('SMTP_URL must start with smtp:// or smtps://');
  const logLevel = (overrides.logLevel ?? env.LOG_LEVEL ?? 'info') as LogLevel;
  if (!LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`);
  const demo = overrides.demo ?? env.CHARTKEY_DEMO !== '0';
  const trustProxy = overrides.trustProxy ?? env.TRUST_PROXY === '1';
  const cacheMb = overrides.cacheMb ?? Number(env.CHARTKEY_CACHE_MB ?? '16');
  if (!Number.isInteger(cacheMb) || cacheMb < 0 || cacheMb > 4096) problems.push('CHARTKEY_CACHE_MB must be an integer between 0 and 4096');
  const exportTtlHours = overrides.exportTtlHours ?? Number(env.CHARTKEY_EXPORT_TTL_HOURS ?? '24');
  if (!Number.isFinite(exportTtlHours) || exportTtlHours <= 0 || exportTtlHours > 24 * 365) problems.push('CHARTKEY_EXPORT_TTL_HOURS must be a number of hours between 0 and 8760');
  const tlsCertFile = overrides.tlsCertFile ?? (env.TLS_CERT_FILE || undefined);
  const tlsKeyFile = overrides.tlsKeyFile ?? (env.TLS_KEY_FILE || undefined);
  if (Boolean(tlsCertFile) !== Boolean(tlsKeyFile)) problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({ port, host, databaseUrl, redisUrl, publicUrl, smtpUrl, logLevel, dataDir, demo, trustProxy, cacheMb, exportTtlHours, tlsCertFile, tlsKeyFile });
}

function parsePort(value: string, problems: string[]): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    problems.push('PORT must be an integer between 0 and 65535');
    return 0;
  }
  return n;
}
