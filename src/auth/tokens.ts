import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/db.js';

/** At most one hour (SPEC): https://www.rfc-editor.org/rfc/rfc6749#section-4.4.3 leaves lifetime to the server. */
export const TOKEN_TTL_SECONDS = 3600;

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
  scope: string;
  patientId: string;
}

export interface TokenOwner {
  credentialId: string;
  patientId: string;
  scope: string;
  expiresAt: number;
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Opaque bearer tokens (256 random bits). The database keeps only their SHA-256; `verify`
 * joins the credential and the portal account on every call, so a token dies the moment
 * its credential is deleted or its patient's portal access is disabled — on every
 * instance sharing the database, with no cache to go stale.
 */
export function tokenService(db: Db, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  return {
    async issue(credentialId: string, patientId: string, scope: string): Promise<IssuedToken> {
      const accessToken = randomBytes(32).toString('base64url');
      const issuedAt = now();
      await db.run(
        'INSERT INTO oauth_tokens (token_hash, credential_id, patient_id, scope, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
        [hashToken(accessToken), credentialId, patientId, scope, issuedAt, issuedAt + TOKEN_TTL_SECONDS * 1000],
      );
      return { accessToken, expiresIn: TOKEN_TTL_SECONDS, scope, patientId };
    },

    /** The token's owner when the token is known, unexpired, and its credential still live. */
    async verify(accessToken: string): Promise<TokenOwner | 'expired' | undefined> {
      const row = await db.get<{ credential_id: string; patient_id: string; scope: string; expires_at: number }>(
        `SELECT t.credential_id, t.patient_id, t.scope, t.expires_at FROM oauth_tokens t
         JOIN api_credentials c ON c.id = t.credential_id
         JOIN portal_accounts a ON a.id = c.account_id
         WHERE t.token_hash = ? AND c.revoked_at IS NULL AND c.suspended = 0 AND a.status = 'active'`,
        [hashToken(accessToken)],
      );
      if (!row) return undefined;
      if (row.expires_at <= now()) return 'expired';
      return { credentialId: row.credential_id, patientId: row.patient_id, scope: row.scope, expiresAt: row.expires_at };
    },

    /** Drops expired tokens (run periodically). */
    async purgeExpired(): Promise<number> {
      return db.run('DELETE FROM oauth_tokens WHERE expires_at <= ?', [now()]);
    },
  };
}

export type TokenService = ReturnType<typeof tokenService>;
