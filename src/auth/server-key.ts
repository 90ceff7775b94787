import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from '../db/db.js';
import { DbError } from '../db/db.js';

/**
 * The server's master secret: CHARTKEY_SECRET_KEY when the operator sets one, otherwise
 * 32 random bytes generated on first start and kept in `server_secrets`, so every
 * instance sharing one database derives the same keys. Purpose keys are derived from it
 * (HMAC-SHA-256(master, purpose)) so that one key never serves two purposes.
 */
export interface ServerKeys {
  /** HMAC key for API credential secrets. */
  readonly credentialSecret: Buffer;
  /** Key for signing cookies (CSRF secret cookie). */
  readonly cookie: Buffer;
  /** Derives a key for another purpose (e.g. access tokens in issue 4). */
  derive(purpose: string): Buffer;
}

const NAME = 'master-key';

export async function loadServerKeys(db: Db, fromEnv?: string, now = Date.now()): Promise<ServerKeys> {
  const master = fromEnv ? Buffer.from(fromEnv, 'utf8') : await storedMaster(db, now);
  const derive = (purpose: string) => createHmac('sha256', master).update(purpose).digest();
  return Object.freeze({ credentialSecret: derive('api-credential-secret-v1'), cookie: derive('cookie-v1'), derive });
}

async function storedMaster(db: Db, now: number): Promise<Buffer> {
  const existing = await db.get<{ value: string }>('SELECT value FROM server_secrets WHERE name = ?', [NAME]);
  if (existing) return Buffer.from(existing.value, 'base64');
  try {
    // Two instances starting together may both try; the primary key lets one win.
    await db.run('INSERT INTO server_secrets (name, value, created_at) VALUES (?, ?, ?)', [NAME, randomBytes(32).toString('base64'), now]);
  } catch (err) {
    if (!(err instanceof DbError && err.code === 'unique_violation')) throw err;
  }
  const row = await db.get<{ value: string }>('SELECT value FROM server_secrets WHERE name = ?', [NAME]);
  return Buffer.from(row!.value, 'base64');
}
