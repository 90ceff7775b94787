import type { SettingsService } from '../accounts/settings.js';
import type { ApiAccessLog } from '../audit/api-access-log.js';
import type { Db } from '../db/db.js';
import type { NoticeService } from './notices.js';

const DAY = 86_400_000;
/** The expiry reminder goes out this long before (SPEC "Patient controls"). */
export const REMINDER_BEFORE_MS = 7 * DAY;

/**
 * The periodic part of patient controls, run by the server's maintenance timer: expiry
 * reminders (each credential gets one: the row is claimed by the UPDATE that sets
 * reminder_sent_at, so two instances never both send it), credentials expired for being
 * unused longer than the practice allows, and access-log entries past the retention time.
 */
export function controlsJob(deps: { db: Db; settings: SettingsService; notices: NoticeService; accessLog: Pick<ApiAccessLog, 'purgeOlderThan'>; now?: () => number }) {
  const now = deps.now ?? Date.now;
  return {
    async runDue(): Promise<{ reminders: number; idleExpired: number; logPurged: number }> {
      const at = now();
      const settings = await deps.settings.get();
      let idleExpired = 0;
      if (settings.credentialIdleDays !== null) {
        idleExpired = await deps.db.run(
          `UPDATE api_credentials SET expires_at = ? WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
           AND COALESCE(last_used_at, created_at) < ?`,
          [at, at, at - settings.credentialIdleDays * DAY],
        );
      }
      const due = await deps.db.all<{ id: string; patient_id: string; name: string; expires_at: number }>(
        `SELECT id, patient_id, name, expires_at FROM api_credentials
         WHERE revoked_at IS NULL AND reminder_sent_at IS NULL AND expires_at > ? AND expires_at <= ? ORDER BY expires_at`,
        [at, at + REMINDER_BEFORE_MS],
      );
      let reminders = 0;
      for (const c of due) {
        const claimed = await deps.db.run('UPDATE api_credentials SET reminder_sent_at = ? WHERE id = ? AND reminder_sent_at IS NULL', [at, c.id]);
        if (!claimed) continue;
        await deps.notices.expiringSoon({ patientId: c.patient_id, subjectId: c.id, name: c.name, kind: 'credential' }, Number(c.expires_at));
        reminders++;
      }
      const logPurged = await deps.accessLog.purgeOlderThan(at - settings.accessLogRetentionDays * DAY);
      return { reminders, idleExpired, logPurged };
    },
  };
}

export type ControlsJob = ReturnType<typeof controlsJob>;
