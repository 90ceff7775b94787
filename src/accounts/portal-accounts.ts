import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { DbError } from '../db/db.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.js';
import { randomAlphanumeric } from '../auth/random-string.js';
import type { PortalEdition } from './settings.js';

/**
 * Patient portal accounts, one per Patient resource. Status: `invited` (Premium, waiting
 * for activation), `active`, `disabled`. Basic accounts start with a temporary password
 * that must be changed at first sign-in; Premium accounts start with a one-time
 * activation link (72 h) whose token is stored only as a SHA-256.
 */
export type AccountStatus = 'invited' | 'active' | 'disabled';

export interface PortalAccount {
  id: string;
  patientId: string;
  username: string | null;
  email: string | null;
  status: AccountStatus;
  edition: PortalEdition;
  mustChangePassword: boolean;
  createdAt: number;
  updatedAt: number;
}

export class AccountError extends Error {
  constructor(
    readonly code: 'bad_username' | 'username_taken' | 'weak_password' | 'bad_email' | 'bad_token' | 'wrong_password' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'AccountError';
  }
}

export const ACTIVATION_TTL_MS = 72 * 60 * 60_000;
const USERNAME_RE = /^[a-z0-9][a-z0-9._@+-]{1,99}$/;
const EMAIL_RE = /^[^\s@<>()"]{1,64}@[^\s@<>()"]+\.[^\s@<>()"]{2,}$/;

interface Row {
  id: string;
  patient_id: string;
  username: string | null;
  email: string | null;
  password_hash: string | null;
  must_change_password: number;
  status: AccountStatus;
  edition: PortalEdition;
  created_at: number;
  updated_at: number;
}

const toAccount = (r: Row): PortalAccount => ({
  id: r.id,
  patientId: r.patient_id,
  username: r.username,
  email: r.email,
  status: r.status,
  edition: r.edition,
  mustChangePassword: Boolean(r.must_change_password),
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const sha256 = (v: string) => createHash('sha256').update(v).digest('base64url');
let dummyHash: Promise<string> | undefined;

export function normalizeUsername(username: string): string {
  const name = username.trim().toLowerCase();
  if (!USERNAME_RE.test(name)) throw new AccountError('bad_username', 'Usernames are 2-100 characters: a-z, 0-9, and . _ - @ +');
  return name;
}

function checkPassword(password: string): void {
  const problem = passwordProblem(password);
  if (problem) throw new AccountError('weak_password', problem);
}

export function portalAccounts(db: Db, options: { now?: () => number } = {}) {
  const now = options.now ?? Date.now;
  const byPatient = async (patientId: string) => db.get<Row>('SELECT * FROM portal_accounts WHERE patient_id = ?', [patientId]);

  /** Creates or updates the patient's account row; maps a taken username to AccountError. */
  const upsert = async (patientId: string, fields: Omit<Row, 'id' | 'patient_id' | 'created_at' | 'updated_at'>, by: string): Promise<PortalAccount> => {
    const t = now();
    const existing = await byPatient(patientId);
    try {
      if (existing) {
        await db.run(
          'UPDATE portal_accounts SET username = ?, email = ?, password_hash = ?, must_change_password = ?, status = ?, edition = ?, updated_at = ?, updated_by = ? WHERE id = ?',
          [fields.username, fields.email, fields.password_hash, fields.must_change_password, fields.status, fields.edition, t, by, existing.id],
        );
      } else {
        await db.run(
          'INSERT INTO portal_accounts (id, patient_id, username, email, password_hash, must_change_password, status, edition, created_at, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
          [randomUUID(), patientId, fields.username, fields.email, fields.password_hash, fields.must_change_password, fields.status, fields.edition, t, t, by],
        );
      }
    } catch (err) {
      if (err instanceof DbError && err.code === 'unique_violation') throw new AccountError('username_taken', `The username "${fields.username}" is already in use.`);
      throw err;
    }
    return toAccount((await byPatient(patientId))!);
  };

  return {
    async getByPatient(patientId: string): Promise<PortalAccount | undefined> {
      const row = await byPatient(patientId);
      return row && toAccount(row);
    },

    async getById(id: string): Promise<PortalAccount | undefined> {
      const row = await db.get<Row>('SELECT * FROM portal_accounts WHERE id = ?', [id]);
      return row && toAccount(row);
    },

    /** Basic enablement: the password given, or a generated one, is temporary (changed at first sign-in). */
    async enableBasic(patientId: string, username: string, by: string, password?: string): Promise<{ account: PortalAccount; temporaryPassword: string }> {
      const name = normalizeUsername(username);
      const temporaryPassword = password ?? randomAlphanumeric(16);
      checkPassword(temporaryPassword);
      const row = await byPatient(patientId);
      const account = await upsert(
        patientId,
        { username: name, email: row?.email ?? null, password_hash: await hashPassword(temporaryPassword), must_change_password: 1, status: 'active', edition: 'basic' },
        by,
      );
      await db.run('DELETE FROM portal_activations WHERE account_id = ?', [account.id]);
      return { account, temporaryPassword };
    },

    /** Premium enablement: an invitation with a one-time activation token (the only copy is returned). */
    async invitePremium(patientId: string, email: string, by: string): Promise<{ account: PortalAccount; token: string; expiresAt: number }> {
      const address = email.trim().toLowerCase();
      if (!EMAIL_RE.test(address) || address.length > 200) throw new AccountError('bad_email', 'Enter a valid e-mail address.');
      const account = await upsert(patientId, { username: address, email: address, password_hash: null, must_change_password: 0, status: 'invited', edition: 'premium' }, by);
      const token = randomBytes(32).toString('base64url');
      const t = now();
      await db.transaction(async (tx) => {
        await tx.run('DELETE FROM portal_activations WHERE account_id = ?', [account.id]);
        await tx.run('INSERT INTO portal_activations (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [sha256(token), account.id, t, t + ACTIVATION_TTL_MS]);
      });
      return { account, token, expiresAt: t + ACTIVATION_TTL_MS };
    },

    /** The account an activation token opens, while it is unused and unexpired. */
    async peekActivation(token: string): Promise<PortalAccount | undefined> {
      if (!token || token.length > 100) return undefined;
      const row = await db.get<Row>(
        `SELECT a.* FROM portal_activations v JOIN portal_accounts a ON a.id = v.account_id
         WHERE v.token_hash = ? AND v.used_at IS NULL AND v.expires_at > ? AND a.status = 'invited'`,
        [sha256(token), now()],
      );
      return row && toAccount(row);
    },

    /** Uses the token once: sets the chosen password and activates the account. */
    async activate(token: string, password: string): Promise<PortalAccount> {
      checkPassword(password);
      const account = await this.peekActivation(token);
      if (!account) throw new AccountError('bad_token', 'This activation link is invalid, already used or expired. Ask the practice for a new invitation.');
      const hash = await hashPassword(password);
      const used = await db.run('UPDATE portal_activations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL', [now(), sha256(token)]);
      if (!used) throw new AccountError('bad_token', 'This activation link has already been used.');
      await db.run("UPDATE portal_accounts SET password_hash = ?, status = 'active', must_change_password = 0, updated_at = ? WHERE id = ?", [hash, now(), account.id]);
      return (await this.getById(account.id))!;
    },

    /** The active account when username and password match; same work whether or not the username exists. */
    async verifySignIn(username: string, password: string): Promise<PortalAccount | undefined> {
      const row = await db.get<Row>('SELECT * FROM portal_accounts WHERE username = ?', [username.trim().toLowerCase()]);
      if (!row?.password_hash) {
        dummyHash ??= hashPassword(randomUUID());
        await verifyPassword(await dummyHash, password);
        return undefined;
      }
      if (!(await verifyPassword(row.password_hash, password)) || row.status !== 'active') return undefined;
      return toAccount(row);
    },

    /** Sets a new password. `current` is required except right after a sign-in with a temporary password. */
    async changePassword(accountId: string, newPassword: string, current?: string): Promise<void> {
      checkPassword(newPassword);
      const row = await db.get<Row>('SELECT * FROM portal_accounts WHERE id = ?', [accountId]);
      if (!row) throw new AccountError('not_found', 'No such account.');
      if (current !== undefined && !(row.password_hash && (await verifyPassword(row.password_hash, current)))) {
        throw new AccountError('wrong_password', 'The current password is not correct.');
      }
      if (row.password_hash && (await verifyPassword(row.password_hash, newPassword))) throw new AccountError('weak_password', 'Choose a password different from the current one.');
      await db.run('UPDATE portal_accounts SET password_hash = ?, must_change_password = 0, updated_at = ? WHERE id = ?', [await hashPassword(newPassword), now(), accountId]);
    },

    async disable(patientId: string, by: string): Promise<PortalAccount | undefined> {
      await db.run("UPDATE portal_accounts SET status = 'disabled', updated_at = ?, updated_by = ? WHERE patient_id = ?", [now(), by, patientId]);
      const row = await byPatient(patientId);
      if (row) await db.run('DELETE FROM portal_activations WHERE account_id = ?', [row.id]);
      return row && toAccount(row);
    },
  };
}

export type PortalAccounts = ReturnType<typeof portalAccounts>;
