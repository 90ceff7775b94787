import type { Db } from '../db/db.js';

/** The practice's portal edition (SPEC "Portal editions"): how staff enable patients. */
export type PortalEdition = 'basic' | 'premium';

export const EDITIONS: readonly PortalEdition[] = ['basic', 'premium'];

export interface PracticeSettings {
  edition: PortalEdition;
  practiceName: string;
}

const DEFAULTS: PracticeSettings = { edition: 'basic', practiceName: 'ChartKey Practice' };

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
      };
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
