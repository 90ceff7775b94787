import type { Db, Queryable, SqlValue } from '../db/db.js';

/**
 * The audit trail: sign-ins, enablement, credential creation and deletion, settings
 * changes. Details are small JSON objects chosen by the caller; they never carry secrets
 * or passwords (only ids, usernames, names and outcomes).
 */
export type AuditAction =
  | 'signin.success'
  | 'signin.failure'
  | 'signin.throttled'
  | 'signout'
  | 'password.change'
  | 'portal.enable'
  | 'portal.invite'
  | 'portal.activate'
  | 'portal.disable'
  | 'credential.create'
  | 'credential.delete'
  | 'settings.change'
  | 'staff.create'
  | 'api.access'
  | 'app.register'
  | 'app.remove'
  | 'app.authorize'
  | 'app.deny'
  | 'app.revoke'
  | 'keys.rotate';

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'signin.success', 'signin.failure', 'signin.throttled', 'signout', 'password.change', 'portal.enable', 'portal.invite',
  'portal.activate', 'portal.disable', 'credential.create', 'credential.delete', 'settings.change', 'staff.create', 'api.access',
  'app.register', 'app.remove', 'app.authorize', 'app.deny', 'app.revoke', 'keys.rotate',
];

export interface AuditInput {
  actorKind: 'patient' | 'staff' | 'system' | 'anonymous' | 'credential';
  actorId?: string | null;
  action: AuditAction;
  patientId?: string | null;
  credentialId?: string | null;
  ip?: string | null;
  detail?: Record<string, string | number | boolean | null>;
}

export interface AuditEvent extends Required<Omit<AuditInput, 'detail'>> {
  seq: number;
  at: number;
  detail: Record<string, unknown>;
}

export interface AuditFilter {
  patientId?: string;
  action?: string;
  /** Show events older than this seq (paging backwards in time). */
  before?: number;
  limit?: number;
}

interface Row {
  seq: number;
  at: number;
  actor_kind: AuditInput['actorKind'];
  actor_id: string | null;
  action: AuditAction;
  patient_id: string | null;
  credential_id: string | null;
  ip: string | null;
  detail: string | null;
}

export function auditLog(db: Db, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  return {
    async record(e: AuditInput, q: Queryable = db): Promise<void> {
      await q.run(
        'INSERT INTO audit_events (at, actor_kind, actor_id, action, patient_id, credential_id, ip, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [now(), e.actorKind, e.actorId ?? null, e.action, e.patientId ?? null, e.credentialId ?? null, e.ip ?? null, e.detail ? JSON.stringify(e.detail) : null],
      );
    },

    /** Newest first; `before` pages back. Returns one page and whether there is more. */
    async list(filter: AuditFilter = {}): Promise<{ events: AuditEvent[]; more: boolean }> {
      const limit = Math.min(Math.max(filter.limit ?? 50, 1), 200);
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (filter.patientId) (where.push('patient_id = ?'), params.push(filter.patientId));
      if (filter.action) (where.push('action = ?'), params.push(filter.action));
      if (filter.before) (where.push('seq < ?'), params.push(filter.before));
      const rows = await db.all<Row>(
        `SELECT seq, at, actor_kind, actor_id, action, patient_id, credential_id, ip, detail FROM audit_events
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq DESC LIMIT ?`,
        [...params, limit + 1],
      );
      return { events: rows.slice(0, limit).map(toEvent), more: rows.length > limit };
    },
  };
}

function toEvent(r: Row): AuditEvent {
  return {
    seq: Number(r.seq),
    at: Number(r.at),
    actorKind: r.actor_kind,
    actorId: r.actor_id,
    action: r.action,
    patientId: r.patient_id,
    credentialId: r.credential_id,
    ip: r.ip,
    detail: r.detail ? (JSON.parse(r.detail) as Record<string, unknown>) : {},
  };
}

export type AuditLog = ReturnType<typeof auditLog>;
