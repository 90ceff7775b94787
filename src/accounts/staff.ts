import { randomUUID } from 'node:crypto';
import type { Db } from '../db/db.js';
import { DbError } from '../db/db.js';
import { hashPassword, passwordProblem, verifyPassword } from '../auth/passwords.js';

export interface StaffUser {
  id: string;
  username: string;
  createdAt: number;
  disabled: boolean;
}

export class StaffError extends Error {
  constructor(readonly code: 'username_taken' | 'bad_username' | 'weak_password', message: string) {
    super(message);
    this.name = 'StaffError';
  }
}

const USERNAME_RE = /^[a-z0-9][a-z0-9._-]{1,63}$/;

// A fixed Argon2id hash of a random value: verifying against it when a username is unknown
// makes unknown and known usernames take the same time.
let dummyHash: Promise<string> | undefined;

/** Practice staff accounts: create, look up, verify a password. */
export function staffService(db: Db) {
  return {
    async create(username: string, password: string, now = Date.now()): Promise<StaffUser> {
      const name = username.trim().toLowerCase();
      if (!USERNAME_RE.test(name)) throw new StaffError('bad_username', 'Usernames are 2-64 characters: a-z, 0-9, dot, dash, underscore.');
      const problem = passwordProblem(password);
      if (problem) throw new StaffError('weak_password', problem);
      const id = randomUUID();
      try {
        await db.run('INSERT INTO staff_users (id, username, password_hash, created_at) VALUES (?, ?, ?, ?)', [id, name, await hashPassword(password), now]);
      } catch (err) {
        if (err instanceof DbError && err.code === 'unique_violation') throw new StaffError('username_taken', `A staff account "${name}" already exists.`);
        throw err;
      }
      return { id, username: name, createdAt: now, disabled: false };
    },

    /** The staff user when the username and password match an enabled account. */
    async verify(username: string, password: string): Promise<StaffUser | undefined> {
      const row = await db.get<{ id: string; username: string; password_hash: string; created_at: number; disabled: number }>(
        'SELECT id, username, password_hash, created_at, disabled FROM staff_users WHERE username = ?',
        [username.trim().toLowerCase()],
      );
      if (!row) {
        dummyHash ??= hashPassword(randomUUID());
        await verifyPassword(await dummyHash, password);
        return undefined;
      }
      if (!(await verifyPassword(row.password_hash, password)) || row.disabled) return undefined;
      return { id: row.id, username: row.username, createdAt: row.created_at, disabled: false };
    },

    /** An enabled staff user by id (for sessions). */
    async get(id: string): Promise<StaffUser | undefined> {
      const row = await db.get<{ id: string; username: string; created_at: number; disabled: number }>(
        'SELECT id, username, created_at, disabled FROM staff_users WHERE id = ?',
        [id],
      );
      return row && !row.disabled ? { id: row.id, username: row.username, createdAt: Number(row.created_at), disabled: false } : undefined;
    },

    async count(): Promise<number> {
      return (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM staff_users'))!.n;
    },
  };
}

export type StaffService = ReturnType<typeof staffService>;
