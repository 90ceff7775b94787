/**
 * PostgreSQL settings a practice's server should not run with, read once at start-up and
 * logged as warnings (docs/operations.md, "PostgreSQL settings"). ChartKey works either way;
 * these make it lose data on a crash or slow down as it ages.
 */

/** The settings read (pg_settings names). */
export const CHECKED_SETTINGS = ['autovacuum', 'fsync', 'full_page_writes', 'track_counts'] as const;

const SEE = '(docs/operations.md, "PostgreSQL settings")';

/** Warnings for `settings` (name → pg_settings.setting); empty when all is well. */
export function settingWarnings(settings: ReadonlyMap<string, string>): string[] {
  const off = (name: string) => settings.get(name) === 'off';
  const warnings: string[] = [];
  if (off('autovacuum') || off('track_counts')) {
    warnings.push(
      `PostgreSQL autovacuum is not running (autovacuum=${settings.get('autovacuum')}, track_counts=${settings.get('track_counts')}): ` +
        'rows left behind by writes, token refreshes and credential deletions are never cleared and the planner\'s statistics go stale, ' +
        `so requests slow down as the server ages; turn both on ${SEE}`,
    );
  }
  if (off('fsync')) warnings.push(`PostgreSQL fsync is off: a crash of the machine can lose or corrupt acknowledged writes; turn it on ${SEE}`);
  if (off('full_page_writes')) warnings.push(`PostgreSQL full_page_writes is off: a crash during a page write can corrupt the database; turn it on ${SEE}`);
  return warnings;
}
