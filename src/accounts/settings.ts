import type { Db } from '../db/db.js';

/** The practice's portal edition (SPEC "Portal editions"): how staff enable patients. */
export type PortalEdition = 'basic' | 'premium';

export const EDITIONS: readonly PortalEdition[] = ['basic', 'premium'];

export interface PracticeSettings {
  edition: PortalEdition;
  practiceName: string;
  /** Longest lifetime a patient may give API credentials, in days; null = no cap ("never" allowed). */
  credentialMaxDays: number | null;
  /** Credentials unused for this many days expire by themselves; null = never. */
  credentialIdleDays: number | null;
  /** How long the API access log is kept, in days (HIPAA's six-year horizon by default). */
  accessLogRetentionDays: number;
}

const DEFAULTS: PracticeSettings = {
  edition: 'basic', practiceName: 'ChartKey Practice', credentialMaxDays: null, credentialIdleDays: null, accessLogRetentionDays: 6 * 366,
};

/** A positive whole number of days from a stored setting, or undefined. */
function days(value: string | undefined): number | undefined {
  const n = value === undefined ? NaN : Number(value);
  return Number.isInteger(n) && n > 0 && n <= 100 * 366 ? n : undefined;
}

export function settingsService(db: Db, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  return {
    async get(): Promise<PracticeSettings> {
      const rows = await db.all<{ name: string; value: string }>('SELECT name, value FROM practice_settings');
      const map = new Map(rows.map((r) => [r.name, r.value]));
      const edition = map.get('edition');
      return {
        edition: EDITIONS.includes(edition as PortalEdition) ? (edition as PortalEdition) : DEFAULTS.edition,
        practiceName: map.get('practice_name') || DEFAULTS.practiceName,
        credentialMaxDays: days(map.get('credential_max_days')) ?? DEFAULTS.credentialMaxDays,
        credentialIdleDays: days(map.get('credential_idle_days')) ?? DEFAULTS.credentialIdleDays,
        accessLogRetentionDays: days(map.get('access_log_retention_days')) ?? DEFAULTS.accessLogRetentionDays,
      };
    },

    /** Patient-control limits (null clears a cap). */
    async setCredentialLimits(limits: { maxDays?: number | null; idleDays?: number | null; retentionDays?: number }, by: string): Promise<void> {
      const at = now();
      if (limits.maxDays !== undefined) await put(db, 'credential_max_days', String(limits.maxDays ?? ''), by, at);
      if (limits.idleDays !== undefined) await put(db, 'credential_idle_days', String(limits.idleDays ?? ''), by, at);
      if (limits.retentionDays !== undefined) await put(db, 'access_log_retention_days', String(limits.retentionDays), by, at);
    },

    async setEdition(edition: PortalEdition, by: string): Promise<void> {
      if (!EDITIONS.includes(edition)) throw new Error(`Unknown portal edition "${String(edition)}"`);
      await put(db, 'edition', edition, by, now());
    },

    async setPracticeName(name: string, by: string): Promise<void> {
      const clean = name.trim().slice(0, 120);
      if (clean) await put(db, 'practice_name', clean, by, now());
    },
  };
}

async function put(db: Db, name: string, value: string, by: string, at: number): Promise<void> {
  await db.run(
    `INSERT INTO practice_settings (name, value, updated_at, updated_by) VALUES (?, ?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [name, value, at, by],
  );
}

export type SettingsService = ReturnType<typeof settingsService>;
