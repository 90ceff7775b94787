import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/db.js';
import { randomAlphanumeric } from './random-string.js';

/**
 * Patient API credentials (SPEC "Credentials, tokens and the patient's boundary"): a key
 * (the lookup, used as OAuth client_id) and a secret, each 32 characters [A-Za-z0-9].
 * The secret exists in the clear only in the value `create` returns; the database keeps
 * HMAC-SHA-256(server key, secret), compared in constant time. Rows leave this module
 * only through `toCredential` — never the hash.
 */
export interface ApiCredential {
  id: string;
  patientId: string;
  accountId: string;
  name: string;
  /** The public key (client_id). Shown to staff and patients; not a secret. */
  key: string;
  createdAt: number;
  lastUsedAt: number | null;
  suspended: boolean;
  /** What it shares, as a granted SMART scope string; null = the whole record (DEFAULT_SCOPE). */
  grantedScope: string | null;
  /** Whether resources labelled sensitive are shared (psychotherapy notes never are). */
  includeSensitive: boolean;
  /** When it stops working by itself (ms since the epoch); null = never. */
  expiresAt: number | null;
  /** Past its expiry: refused like a deleted credential, still listed (as expired). */
  expired: boolean;
  /** Set once deleted (its activity stays readable). */
  revokedAt: number | null;
}

/** What a credential may share, chosen when it is generated (Patient controls). */
export interface CredentialChoices {
  grantedScope?: string | null;
  includeSensitive?: boolean;
  /** Lifetime in days from now; null or absent = never expires. */
  expiresInDays?: number | null;
}

export interface VerifiedCredential {
  credentialId: string;
  patientId: string;
  /** The credential's granted SMART scope string; undefined = the whole record. */
  grantedScope?: string;
  includeSensitive?: boolean;
}

export type CredentialChange =
  | { kind: 'revoked'; credentialId: string; patientId: string }
  | { kind: 'suspended'; patientId: string; credentialIds: string[] };

export class CredentialError extends Error {
  constructor(readonly code: 'bad_name' | 'bad_choice', message: string) {
    super(message);
    this.name = 'CredentialError';
  }
}

export const KEY_LENGTH = 32;
export const NAME_MAX = 80;
const KEY_RE = /^[A-Za-z0-9]{32}$/;

interface Row {
  id: string;
  patient_id: string;
  account_id: string;
  name: string;
  client_key: string;
  created_at: number;
  last_used_at: number | null;
  suspended: number;
  granted_scope: string | null;
  include_sensitive: number;
  expires_at: number | null;
  revoked_at: number | null;
}

const COLUMNS =
  'c.id, c.patient_id, c.account_id, c.name, c.client_key, c.created_at, c.last_used_at, c.suspended, c.granted_scope, c.include_sensitive, c.expires_at, c.revoked_at';

/** The time a replaced secret keeps working when the patient chooses the overlap (SPEC: at most 24 hours). */
export const SECRET_GRACE_MS = 24 * 3600_000;

function toCredential(row: Row, at: number): ApiCredential {
  const expiresAt = row.expires_at == null ? null : Number(row.expires_at);
  return {
    id: row.id,
    patientId: row.patient_id,
    accountId: row.account_id,
    name: row.name,
    key: row.client_key,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
    suspended: Boolean(row.suspended),
    grantedScope: row.granted_scope ?? null,
    includeSensitive: Boolean(row.include_sensitive),
    expiresAt,
    expired: expiresAt !== null && expiresAt <= at,
    revokedAt: row.revoked_at == null ? null : Number(row.revoked_at),
  };
}

/** Trims and checks a credential's name: hostile input, stored as written and only ever rendered escaped. */
export function normalizeCredentialName(name: string): string {
  // Control characters have no place in a label and can upset terminals and logs.
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (!clean) throw new CredentialError('bad_name', 'Describe what the credentials are for.');
  if (clean.length > NAME_MAX) throw new CredentialError('bad_name', `The description can be at most ${NAME_MAX} characters.`);
  return clean;
}

export function credentialService(db: Db, hmacKey: Buffer, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const listeners = new Set<(change: CredentialChange) => void>();
  const hashSecret = (secret: string) => createHmac('sha256', hmacKey).update(secret, 'utf8').digest();
  const emit = (change: CredentialChange) => listeners.forEach((l) => l(change));
  // Compared against when a key is unknown, so unknown keys cost the same as wrong secrets.
  const decoy = hashSecret(randomAlphanumeric(KEY_LENGTH));

  return {
    /** Creates a credential. The returned secret is the only copy in the clear; show it once. */
    async create(
      patientId: string,
      accountId: string,
      name: string,
      redirectUris: readonly string[] = [],
      choices: CredentialChoices = {},
    ): Promise<{ credential: ApiCredential; key: string; secret: string }> {
      const clean = normalizeCredentialName(name);
      const key = randomAlphanumeric(KEY_LENGTH);
      const secret = randomAlphanumeric(KEY_LENGTH);
      const row: Row = {
        id: randomUUID(), patient_id: patientId, account_id: accountId, name: clean, client_key: key, created_at: now(), last_used_at: null, suspended: 0,
        granted_scope: choices.grantedScope ?? null, include_sensitive: choices.includeSensitive ? 1 : 0, expires_at: choices.expiresInDays ? now() + choices.expiresInDays * 86_400_000 : null, revoked_at: null,
      };
      await db.run(
        `INSERT INTO api_credentials (id, patient_id, account_id, name, client_key, secret_hash, created_at, redirect_uris, granted_scope, include_sensitive, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          row.id, patientId, accountId, clean, key, hashSecret(secret).toString('base64'), row.created_at, redirectUris.length > 0 ? JSON.stringify(redirectUris) : null,
          row.granted_scope, row.include_sensitive, row.expires_at,
        ],
      );
      return { credential: toCredential(row, now()), key, secret };
    },

    /** The patient's credentials that are not deleted (expired ones included, marked), newest first. */
    async list(patientId: string): Promise<ApiCredential[]> {
      const rows = await db.all<Row>(`SELECT ${COLUMNS} FROM api_credentials c WHERE c.patient_id = ? AND c.revoked_at IS NULL ORDER BY c.created_at DESC, c.id`, [patientId]);
      const at = now();
      return rows.map((r) => toCredential(r, at));
    },

    async get(id: string): Promise<ApiCredential | undefined> {
      const row = await db.get<Row>(`SELECT ${COLUMNS} FROM api_credentials c WHERE c.id = ? AND c.revoked_at IS NULL`, [id]);
      return row && toCredential(row, now());
    },

    /** A credential of this patient, deleted or not (its activity outlives it). */
    async getForPatient(id: string, patientId: string): Promise<ApiCredential | undefined> {
      const row = await db.get<Row>(`SELECT ${COLUMNS} FROM api_credentials c WHERE c.id = ? AND c.patient_id = ?`, [id, patientId]);
      return row && toCredential(row, now());
    },

    /**
     * Replace secret: a new secret for the same key, returned once. The old one keeps
     * working until `graceUntil` (at most SECRET_GRACE_MS from now), or stops at once —
     * and then so do the access tokens issued before now. Only the owner's live credential.
     */
    async replaceSecret(id: string, patientId: string, keepOld: boolean): Promise<{ credential: ApiCredential; secret: string } | undefined> {
      const row = await db.get<Row & { secret_hash: string }>(
        `SELECT ${COLUMNS}, c.secret_hash FROM api_credentials c WHERE c.id = ? AND c.patient_id = ? AND c.revoked_at IS NULL`,
        [id, patientId],
      );
      const at = now();
      if (!row || (row.expires_at != null && Number(row.expires_at) <= at)) return undefined;
      const secret = randomAlphanumeric(KEY_LENGTH);
      const fresh = hashSecret(secret).toString('base64');
      if (keepOld) {
        await db.run('UPDATE api_credentials SET secret_hash = ?, previous_secret_hash = ?, previous_secret_until = ? WHERE id = ?', [fresh, row.secret_hash, at + SECRET_GRACE_MS, id]);
      } else {
        await db.run(
          'UPDATE api_credentials SET secret_hash = ?, previous_secret_hash = NULL, previous_secret_until = NULL, tokens_valid_from = ? WHERE id = ?',
          [fresh, at, id],
        );
        // Drops every trusted entry for it in this process: the old secret fails on the next call.
        emit({ kind: 'revoked', credentialId: id, patientId });
      }
      return { credential: toCredential(row, at), secret };
    },

    /**
     * Deletes (revokes) a credential. `patientId`, when given, must own it: a patient can
     * never delete another patient's credential. Returns the deleted credential, or undefined when none was.
     */
    async revoke(id: string, by: string, patientId?: string): Promise<ApiCredential | undefined> {
      const row = await db.get<Row>(`SELECT ${COLUMNS} FROM api_credentials c WHERE c.id = ? AND c.revoked_at IS NULL`, [id]);
      if (!row || (patientId !== undefined && row.patient_id !== patientId)) return undefined;
      const changed = await db.run('UPDATE api_credentials SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL', [now(), by, id]);
      if (!changed) return undefined;
      emit({ kind: 'revoked', credentialId: id, patientId: row.patient_id });
      return toCredential(row, now());
    },

    /** Portal disabled: every credential of the patient stops working at once. */
    async suspendAllForPatient(patientId: string): Promise<number> {
      const ids = (await db.all<{ id: string }>('SELECT id FROM api_credentials WHERE patient_id = ? AND revoked_at IS NULL', [patientId])).map((r) => r.id);
      const n = await db.run('UPDATE api_credentials SET suspended = 1 WHERE patient_id = ? AND revoked_at IS NULL', [patientId]);
      emit({ kind: 'suspended', patientId, credentialIds: ids });
      return n;
    },

    /** Portal re-enabled: the patient's credentials work again. */
    async resumeAllForPatient(patientId: string): Promise<number> {
      return db.run('UPDATE api_credentials SET suspended = 0 WHERE patient_id = ? AND revoked_at IS NULL', [patientId]);
    },

    /**
     * The credential's id and patient when `key` and `secret` match a live credential of
     * an active portal account; undefined otherwise (unknown key, wrong secret, deleted,
     * suspended, or portal access disabled — indistinguishable to the caller).
     */
    async verify(key: string, secret: string): Promise<VerifiedCredential | undefined> {
      const presented = hashSecret(secret);
      if (!KEY_RE.test(key) || secret.length !== KEY_LENGTH) {
        timingSafeEqual(presented, decoy);
        return undefined;
      }
      const row = await db.get<{
        id: string; patient_id: string; secret_hash: string; suspended: number; status: string | null; granted_scope: string | null;
        include_sensitive: number; expires_at: number | null; previous_secret_hash: string | null; previous_secret_until: number | null;
      }>(
        `SELECT c.id, c.patient_id, c.secret_hash, c.suspended, a.status, c.granted_scope, c.include_sensitive, c.expires_at,
                c.previous_secret_hash, c.previous_secret_until FROM api_credentials c
         LEFT JOIN portal_accounts a ON a.id = c.account_id
         WHERE c.client_key = ? AND c.revoked_at IS NULL`,
        [key],
      );
      const at = now();
      const stored = row ? Buffer.from(row.secret_hash, 'base64') : decoy;
      let match = stored.length === presented.length && timingSafeEqual(stored, presented);
      // A replaced secret, during the overlap the patient chose (compared in constant time too).
      const previous = row?.previous_secret_hash && Number(row.previous_secret_until) > at ? Buffer.from(row.previous_secret_hash, 'base64') : decoy;
      match = (previous.length === presented.length && timingSafeEqual(previous, presented) && previous !== decoy) || match;
      if (!row || !match || row.suspended || row.status !== 'active') return undefined;
      if (row.expires_at != null && Number(row.expires_at) <= at) return undefined;
      return {
        credentialId: row.id,
        patientId: row.patient_id,
        ...(row.granted_scope ? { grantedScope: row.granted_scope } : {}),
        ...(row.include_sensitive ? { includeSensitive: true } : {}),
      };
    },

    /**
     * Whether a credential still works — not deleted, not suspended, its portal account
     * active — and, when `patientId` is given, belongs to that patient. Tokens issued from
     * the credential are checked with it on every call (behind the one-second auth cache).
     */
    async isLive(credentialId: string, patientId?: string, issuedAt?: number): Promise<boolean> {
      return (await this.liveState(credentialId, patientId, issuedAt)) !== undefined;
    },

    /**
     * isLive's answer with what the credential shares: undefined when it does not work
     * (deleted, suspended, expired, account inactive — or, for a token issued at
     * `issuedAt`, when its secret was since cut at once).
     */
    async liveState(credentialId: string, patientId?: string, issuedAt?: number): Promise<{ grantedScope?: string; includeSensitive: boolean } | undefined> {
      const live = `SELECT c.granted_scope, c.include_sensitive, c.expires_at, c.tokens_valid_from FROM api_credentials c JOIN portal_accounts a ON a.id = c.account_id
         WHERE c.id = ? AND c.revoked_at IS NULL AND c.suspended = 0 AND a.status = 'active'`;
      type LiveRow = { granted_scope: string | null; include_sensitive: number; expires_at: number | null; tokens_valid_from: number | null };
      const row =
        patientId === undefined
          ? await db.get<LiveRow>(live, [credentialId])
          : await db.get<LiveRow>(`${live} AND c.patient_id = ?`, [credentialId, patientId]);
      if (!row) return undefined;
      if (row.expires_at != null && Number(row.expires_at) <= now()) return undefined;
      if (issuedAt !== undefined && row.tokens_valid_from != null && issuedAt < Number(row.tokens_valid_from)) return undefined;
      return { ...(row.granted_scope ? { grantedScope: row.granted_scope } : {}), includeSensitive: Boolean(row.include_sensitive) };
    },

    /**
     * A live credential seen as an OAuth client (client_id = key): its name and the
     * redirect URIs typed at generation. Undefined for unknown, deleted or suspended keys
     * and disabled portal accounts.
     */
    async asClient(key: string): Promise<{ credentialId: string; patientId: string; name: string; redirectUris: string[]; createdAt: number } | undefined> {
      if (!KEY_RE.test(key)) return undefined;
      const row = await db.get<{ id: string; patient_id: string; name: string; redirect_uris: string | null; created_at: number }>(
        `SELECT c.id, c.patient_id, c.name, c.redirect_uris, c.created_at FROM api_credentials c JOIN portal_accounts a ON a.id = c.account_id
         WHERE c.client_key = ? AND c.revoked_at IS NULL AND c.suspended = 0 AND a.status = 'active' AND (c.expires_at IS NULL OR c.expires_at > ?)`,
        [key, now()],
      );
      if (!row) return undefined;
      return { credentialId: row.id, patientId: row.patient_id, name: row.name, redirectUris: row.redirect_uris ? (JSON.parse(row.redirect_uris) as string[]) : [], createdAt: Number(row.created_at) };
    },

    /** Records the last use (monotonic: an older batch never moves it back). */
    async touch(credentialId: string, at: number): Promise<void> {
      await db.run('UPDATE api_credentials SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)', [at, credentialId, at]);
    },

    /** Subscribes to revocations and suspensions (e.g. to drop cached tokens, broadcast over Redis). */
    onChange(listener: (change: CredentialChange) => void): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type CredentialService = ReturnType<typeof credentialService>;
