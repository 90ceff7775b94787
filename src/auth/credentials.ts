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
}

export interface VerifiedCredential {
  credentialId: string;
  patientId: string;
}

export type CredentialChange =
  | { kind: 'revoked'; credentialId: string; patientId: string }
  | { kind: 'suspended'; patientId: string; credentialIds: string[] };

export class CredentialError extends Error {
  constructor(readonly code: 'bad_name', message: string) {
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
}

const COLUMNS = 'c.id, c.patient_id, c.account_id, c.name, c.client_key, c.created_at, c.last_used_at, c.suspended';

function toCredential(row: Row): ApiCredential {
  return {
    id: row.id,
    patientId: row.patient_id,
    accountId: row.account_id,
    name: row.name,
    key: row.client_key,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at == null ? null : Number(row.last_used_at),
    suspended: Boolean(row.suspended),
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
    async create(patientId: string, accountId: string, name: string, redirectUris: readonly string[] = []): Promise<{ credential: ApiCredential; key: string; secret: string }> {
      const clean = normalizeCredentialName(name);
      const key = randomAlphanumeric(KEY_LENGTH);
      const secret = randomAlphanumeric(KEY_LENGTH);
      const row: Row = { id: randomUUID(), patient_id: patientId, account_id: accountId, name: clean, client_key: key, created_at: now(), last_used_at: null, suspended: 0 };
      await db.run(
        'INSERT INTO api_credentials (id, patient_id, account_id, name, client_key, secret_hash, created_at, redirect_uris) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [row.id, patientId, accountId, clean, key, hashSecret(secret).toString('base64'), row.created_at, redirectUris.length > 0 ? JSON.stringify(redirectUris) : null],
      );
      return { credential: toCredential(row), key, secret };
    },

    /** The patient's live (not deleted) credentials, newest first. */
    async list(patientId: string): Promise<ApiCredential[]> {
      const rows = await db.all<Row>(`SELECT ${COLUMNS} FROM api_credentials c WHERE c.patient_id = ? AND c.revoked_at IS NULL ORDER BY c.created_at DESC, c.id`, [patientId]);
      return rows.map(toCredential);
    },

    async get(id: string): Promise<ApiCredential | undefined> {
      const row = await db.get<Row>(`SELECT ${COLUMNS} FROM api_credentials c WHERE c.id = ? AND c.revoked_at IS NULL`, [id]);
      return row && toCredential(row);
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
      return toCredential(row);
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
      const row = await db.get<{ id: string; patient_id: string; secret_hash: string; suspended: number; status: string | null }>(
        `SELECT c.id, c.patient_id, c.secret_hash, c.suspended, a.status FROM api_credentials c
         LEFT JOIN portal_accounts a ON a.id = c.account_id
         WHERE c.client_key = ? AND c.revoked_at IS NULL`,
        [key],
      );
      const stored = row ? Buffer.from(row.secret_hash, 'base64') : decoy;
      const match = stored.length === presented.length && timingSafeEqual(stored, presented);
      if (!row || !match || row.suspended || row.status !== 'active') return undefined;
      return { credentialId: row.id, patientId: row.patient_id };
    },

    /**
     * Whether a credential still works — not deleted, not suspended, its portal account
     * active — and, when `patientId` is given, belongs to that patient. Tokens issued from
     * the credential are checked with it on every call (behind the one-second auth cache).
     */
    async isLive(credentialId: string, patientId?: string): Promise<boolean> {
      const live = `SELECT 1 AS ok FROM api_credentials c JOIN portal_accounts a ON a.id = c.account_id
         WHERE c.id = ? AND c.revoked_at IS NULL AND c.suspended = 0 AND a.status = 'active'`;
      const row =
        patientId === undefined
          ? await db.get<{ ok: number }>(live, [credentialId])
          : await db.get<{ ok: number }>(`${live} AND c.patient_id = ?`, [credentialId, patientId]);
      return Boolean(row);
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
         WHERE c.client_key = ? AND c.revoked_at IS NULL AND c.suspended = 0 AND a.status = 'active'`,
        [key],
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
