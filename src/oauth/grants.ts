import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { CredentialChange } from '../auth/credentials.js';
import { GRANT_PREFIX } from '../auth/subject.js';
import type { Db } from '../db/db.js';

/**
 * What a patient allowed an app at the consent page (a grant), and the single-use codes
 * and rotating refresh tokens that stand for it. Access tokens issued under a grant carry
 * its id (`g-…`) and are checked against it on every use (isLive), so revoking the grant
 * — from the portal, by staff, by deleting the credential it was made with, by disabling
 * the portal account, or by a replayed code or refresh token — ends every token at once.
 *
 * Codes and refresh tokens are random 256-bit values; only HMAC-SHA-256(server key, value)
 * is stored. A code lives CODE_TTL_MS and works once; presenting it again revokes the
 * grant (RFC 6749 §4.1.2, "SHOULD revoke … tokens previously issued based on that code").
 * A refresh token works once too: each use returns a new one valid REFRESH_TTL_MS from
 * then, and a rotated token presented again revokes the grant (refresh-token replay,
 * OAuth 2.0 Security BCP §4.14).
 */
export const CODE_TTL_MS = 60_000;
export const REFRESH_TTL_MS = 92 * 24 * 3600 * 1000;

export interface Grant {
  id: string;
  clientId: string;
  /** Set when the client is one of the patient's generated credentials: the grant dies with it. */
  credentialId: string | null;
  clientName: string;
  patientId: string;
  accountId: string;
  scope: string;
  /** The patient ticked "Include sensitive information" on the consent page (Patient controls). */
  includeSensitive: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface RedeemedCode {
  grant: Grant;
  redirectUri: string;
  codeChallenge: string | null;
  nonce: string | null;
}

interface GrantRow {
  id: string;
  client_id: string;
  credential_id: string | null;
  client_name: string;
  patient_id: string;
  account_id: string;
  scope: string;
  include_sensitive: number;
  created_at: number;
  last_used_at: number | null;
}

const toGrant = (r: GrantRow): Grant => ({
  id: r.id,
  clientId: r.client_id,
  credentialId: r.credential_id,
  clientName: r.client_name,
  patientId: r.patient_id,
  accountId: r.account_id,
  scope: r.scope,
  includeSensitive: Boolean(Number(r.include_sensitive)),
  createdAt: Number(r.created_at),
  lastUsedAt: r.last_used_at == null ? null : Number(r.last_used_at),
});

const GRANT_COLUMNS = 'g.id, g.client_id, g.credential_id, g.client_name, g.patient_id, g.account_id, g.scope, g.include_sensitive, g.created_at, g.last_used_at';
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function grantStore(db: Db, hmacKey: Buffer, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const hash = (value: string) => createHmac('sha256', hmacKey).update(value, 'utf8').digest('base64');
  const newToken = () => randomBytes(32).toString('base64url');
  const listeners = new Set<(change: CredentialChange) => void>();

  async function liveGrant(id: string): Promise<Grant | undefined> {
    const row = await db.get<GrantRow>(
      `SELECT ${GRANT_COLUMNS} FROM oauth_grants g JOIN portal_accounts a ON a.id = g.account_id
       LEFT JOIN api_credentials c ON c.id = g.credential_id
       WHERE g.id = ? AND g.revoked_at IS NULL AND a.status = 'active'
         AND (g.credential_id IS NULL OR (c.revoked_at IS NULL AND c.suspended = 0))`,
      [id],
    );
    return row && toGrant(row);
  }

  async function revokeWhere(where: string, params: Array<string | number>, by: string): Promise<Grant[]> {
    const rows = await db.all<GrantRow>(`SELECT ${GRANT_COLUMNS} FROM oauth_grants g WHERE ${where} AND g.revoked_at IS NULL`, params);
    const revoked: Grant[] = [];
    for (const row of rows) {
      if (await db.run('UPDATE oauth_grants SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [now(), by.slice(0, 200), row.id])) {
        revoked.push(toGrant(row));
        listeners.forEach((l) => l({ kind: 'revoked', credentialId: row.id, patientId: row.patient_id }));
      }
    }
    return revoked;
  }

  return {
    async create(input: { clientId: string; clientName: string; credentialId?: string; patientId: string; accountId: string; scope: string; includeSensitive?: boolean }): Promise<Grant> {
      const row: GrantRow = {
        id: `${GRANT_PREFIX}${randomUUID()}`,
        client_id: input.clientId,
        credential_id: input.credentialId ?? null,
        client_name: input.clientName,
        patient_id: input.patientId,
        account_id: input.accountId,
        scope: input.scope,
        include_sensitive: input.includeSensitive ? 1 : 0,
        created_at: now(),
        last_used_at: null,
      };
      await db.run(
        'INSERT INTO oauth_grants (id, client_id, credential_id, client_name, patient_id, account_id, scope, include_sensitive, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [row.id, row.client_id, row.credential_id, row.client_name, row.patient_id, row.account_id, row.scope, row.include_sensitive, row.created_at],
      );
      return toGrant(row);
    },

    /** A single-use authorization code for a grant, bound to the client, redirect URI and PKCE challenge. */
    async issueCode(grant: Grant, binding: { redirectUri: string; codeChallenge?: string; nonce?: string }): Promise<string> {
      const code = newToken();
      await db.run(
        'INSERT INTO oauth_codes (code_hash, grant_id, client_id, redirect_uri, code_challenge, nonce, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        [hash(code), grant.id, grant.clientId, binding.redirectUri, binding.codeChallenge ?? null, binding.nonce?.slice(0, 500) ?? null, now() + CODE_TTL_MS],
      );
      return code;
    },

    /**
     * Uses a code once. Undefined for an unknown, expired or other client's code; a code
     * used before revokes its grant (and everything issued from it) and gives undefined.
     */
    async redeemCode(code: string, clientId: string): Promise<RedeemedCode | undefined> {
      if (!TOKEN_SHAPE.test(code)) return undefined;
      const h = hash(code);
      const row = await db.get<{ grant_id: string; client_id: string; redirect_uri: string; code_challenge: string | null; nonce: string | null; expires_at: number; used_at: number | null }>(
        'SELECT grant_id, client_id, redirect_uri, code_challenge, nonce, expires_at, used_at FROM oauth_codes WHERE code_hash = ?',
        [h],
      );
      if (!row) return undefined;
      const first = row.used_at == null && (await db.run('UPDATE oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL', [now(), h])) === 1;
      if (!first) {
        await revokeWhere('g.id = ?', [row.grant_id], 'code-reuse');
        return undefined;
      }
      if (row.client_id !== clientId || Number(row.expires_at) <= now()) return undefined;
      const grant = await liveGrant(row.grant_id);
      return grant && { grant, redirectUri: row.redirect_uri, codeChallenge: row.code_challenge, nonce: row.nonce };
    },

    /** A new refresh token for a grant (offline_access), valid REFRESH_TTL_MS. */
    async issueRefreshToken(grant: Grant): Promise<string> {
      const token = newToken();
      await db.run('INSERT INTO oauth_refresh_tokens (token_hash, grant_id, issued_at, expires_at) VALUES (?, ?, ?, ?)', [hash(token), grant.id, now(), now() + REFRESH_TTL_MS]);
      return token;
    },

    /**
     * Exchanges a refresh token for its grant and a new refresh token (rotation). A token
     * already rotated revokes the grant (replay); unknown, expired, other client's or dead
     * grants give undefined.
     */
    async rotateRefreshToken(token: string, clientId: string): Promise<{ grant: Grant; refreshToken: string } | undefined> {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const h = hash(token);
      const row = await db.get<{ grant_id: string; expires_at: number; rotated_at: number | null }>(
        'SELECT grant_id, expires_at, rotated_at FROM oauth_refresh_tokens WHERE token_hash = ?',
        [h],
      );
      if (!row) return undefined;
      const first = row.rotated_at == null && (await db.run('UPDATE oauth_refresh_tokens SET rotated_at = ? WHERE token_hash = ? AND rotated_at IS NULL', [now(), h])) === 1;
      if (!first) {
        await revokeWhere('g.id = ?', [row.grant_id], 'refresh-token-reuse');
        return undefined;
      }
      if (Number(row.expires_at) <= now()) return undefined;
      const grant = await liveGrant(row.grant_id);
      if (!grant || grant.clientId !== clientId) return undefined;
      return { grant, refreshToken: await this.issueRefreshToken(grant) };
    },

    /** The grant a (live) refresh token belongs to, without using it (introspection, revocation). */
    async grantOfRefreshToken(token: string): Promise<Grant | undefined> {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const row = await db.get<{ grant_id: string }>('SELECT grant_id FROM oauth_refresh_tokens WHERE token_hash = ? AND rotated_at IS NULL AND expires_at > ?', [hash(token), now()]);
      return row ? liveGrant(row.grant_id) : undefined;
    },

    get: liveGrant,

    /** One of the patient's grants, live or revoked (its activity page outlives it, like a credential's). */
    async getForPatient(grantId: string, patientId: string): Promise<(Grant & { revokedAt: number | null }) | undefined> {
      const row = await db.get<GrantRow & { revoked_at: number | null }>(`SELECT ${GRANT_COLUMNS}, g.revoked_at FROM oauth_grants g WHERE g.id = ? AND g.patient_id = ?`, [grantId, patientId]);
      return row && { ...toGrant(row), revokedAt: row.revoked_at == null ? null : Number(row.revoked_at) };
    },

    /** Whether a grant still works for that patient (the access-token check; behind the one-second auth cache). */
    async isLive(grantId: string, patientId: string): Promise<boolean> {
      const grant = await liveGrant(grantId);
      return grant !== undefined && grant.patientId === patientId;
    },

    /** The patient's live grants, newest first (FHIR API Access list, staff patient page). */
    async listForPatient(patientId: string): Promise<Grant[]> {
      const rows = await db.all<GrantRow>(
        `SELECT ${GRANT_COLUMNS} FROM oauth_grants g JOIN portal_accounts a ON a.id = g.account_id
         LEFT JOIN api_credentials c ON c.id = g.credential_id
         WHERE g.patient_id = ? AND g.revoked_at IS NULL AND (g.credential_id IS NULL OR c.revoked_at IS NULL)
         ORDER BY g.created_at DESC, g.id`,
        [patientId],
      );
      return rows.map(toGrant);
    },

    /** Revokes one grant; `patientId`, when given, must own it. */
    async revoke(grantId: string, by: string, patientId?: string): Promise<Grant | undefined> {
      const where = patientId === undefined ? 'g.id = ?' : 'g.id = ? AND g.patient_id = ?';
      return (await revokeWhere(where, patientId === undefined ? [grantId] : [grantId, patientId], by))[0];
    },

    /** Every grant made with a deleted credential. */
    revokeForCredential: (credentialId: string, by: string) => revokeWhere('g.credential_id = ?', [credentialId], by),

    /** Every grant of a removed app. */
    revokeForClient: (clientId: string, by: string) => revokeWhere('g.client_id = ?', [clientId], by),

    /** Deletes expired codes (kept a day for reuse detection) and expired or long-rotated refresh tokens. */
    async sweep(): Promise<{ codes: number; refreshTokens: number }> {
      const dayAgo = now() - 24 * 3600 * 1000;
      const codes = await db.run('DELETE FROM oauth_codes WHERE expires_at < ?', [dayAgo]);
      const refreshTokens = await db.run('DELETE FROM oauth_refresh_tokens WHERE expires_at < ? OR rotated_at < ?', [now(), now() - REFRESH_TTL_MS]);
      return { codes, refreshTokens };
    },

    /** Subscribes to grant revocations (the auth caches drop their entries at once). */
    onChange(listener: (change: CredentialChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type GrantStore = ReturnType<typeof grantStore>;
