import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/db.js';

/**
 * Server-side sessions. The browser holds a random 256-bit id in an HttpOnly cookie; the
 * database holds only its SHA-256, so a database leak yields no usable session. A session
 * ends after `idleMs` without use or `absoluteMs` after sign-in, whichever comes first
 * (OWASP Session Management Cheat Sheet). A new id is issued at every sign-in.
 */
export type SessionKind = 'patient' | 'staff';

export interface Session {
  kind: SessionKind;
  subjectId: string;
  createdAt: number;
  expiresAt: number;
}

export interface SessionOptions {
  now?: () => number;
  idleMs?: number;
  absoluteMs?: number;
}

const sha256 = (id: string) => createHash('sha256').update(id).digest('base64url');

export function sessionService(db: Db, options: SessionOptions = {}) {
  const now = options.now ?? Date.now;
  const idle = options.idleMs ?? 30 * 60_000;
  const absolute = options.absoluteMs ?? 12 * 60 * 60_000;
  // Refresh last_seen at most once a minute, so page views do not all write.
  const touchEvery = Math.min(60_000, idle / 4);

  return {
    idleMs: idle,

    /** Starts a session and returns the id to put in the cookie (the only copy). */
    async create(kind: SessionKind, subjectId: string): Promise<string> {
      const id = randomBytes(32).toString('base64url');
      const t = now();
      await db.run('INSERT INTO sessions (id_hash, kind, subject_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)', [
        sha256(id), kind, subjectId, t, t, t + absolute,
      ]);
      return id;
    },

    /** The live session for a cookie value of the given kind, extending its idle timer. */
    async get(kind: SessionKind, id: string | undefined): Promise<Session | undefined> {
      if (!id || id.length > 100) return undefined;
      const hash = sha256(id);
      const row = await db.get<{ kind: SessionKind; subject_id: string; created_at: number; last_seen_at: number; expires_at: number }>(
        'SELECT kind, subject_id, created_at, last_seen_at, expires_at FROM sessions WHERE id_hash = ?',
        [hash],
      );
      const t = now();
      if (!row || row.kind !== kind) return undefined;
      if (Number(row.expires_at) <= t || Number(row.last_seen_at) + idle <= t) {
        await db.run('DELETE FROM sessions WHERE id_hash = ?', [hash]);
        return undefined;
      }
      if (t - Number(row.last_seen_at) >= touchEvery) await db.run('UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?', [t, hash]);
      return { kind: row.kind, subjectId: row.subject_id, createdAt: Number(row.created_at), expiresAt: Number(row.expires_at) };
    },

    async destroy(id: string | undefined): Promise<void> {
      if (id) await db.run('DELETE FROM sessions WHERE id_hash = ?', [sha256(id)]);
    },

    /** Ends every session of a subject (password change elsewhere, portal disabled). */
    async destroyAll(kind: SessionKind, subjectId: string, exceptId?: string): Promise<void> {
      await db.run('DELETE FROM sessions WHERE kind = ? AND subject_id = ? AND id_hash <> ?', [kind, subjectId, exceptId ? sha256(exceptId) : '']);
    },

    /** Drops expired sessions (called now and then). */
    async sweep(): Promise<number> {
      const t = now();
      return db.run('DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?', [t, t - idle]);
    },
  };
}

export type SessionService = ReturnType<typeof sessionService>;
