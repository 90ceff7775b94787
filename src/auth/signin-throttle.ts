import type { Db } from '../db/db.js';

/**
 * Sign-in throttling per account and per client address (OWASP Authentication Cheat
 * Sheet, "Account lockout"): failures are counted in the database, so every instance
 * sharing it sees the same counts. While a bucket is over its limit, sign-in is refused
 * without checking the password, for the rest of the window.
 */
export interface ThrottleOptions {
  now?: () => number;
  windowMs?: number;
  perAccount?: number;
  perAddress?: number;
}

export function signinThrottle(db: Db, options: ThrottleOptions = {}) {
  const now = options.now ?? Date.now;
  const windowMs = options.windowMs ?? 15 * 60_000;
  const perAccount = options.perAccount ?? 5;
  const perAddress = options.perAddress ?? 30;
  const buckets = (surface: string, username: string, ip: string) => [
    { bucket: `${surface}:user:${username.trim().toLowerCase().slice(0, 200)}`, limit: perAccount },
    { bucket: `${surface}:ip:${ip}`, limit: perAddress },
  ];

  return {
    /** Seconds to wait when throttled; 0 when a sign-in attempt may proceed. */
    async retryAfter(surface: string, username: string, ip: string): Promise<number> {
      const since = now() - windowMs;
      let wait = 0;
      for (const { bucket, limit } of buckets(surface, username, ip)) {
        const rows = await db.all<{ at: number }>('SELECT at FROM signin_failures WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT ?', [bucket, since, limit]);
        if (rows.length >= limit) {
          const oldest = Number(rows[rows.length - 1].at);
          wait = Math.max(wait, Math.ceil((oldest + windowMs - now()) / 1000));
        }
      }
      return wait;
    },

    async recordFailure(surface: string, username: string, ip: string): Promise<void> {
      const t = now();
      for (const { bucket } of buckets(surface, username, ip)) await db.run('INSERT INTO signin_failures (bucket, at) VALUES (?, ?)', [bucket, t]);
      // Keep the table small: forget failures older than the window.
      if (Math.random() < 0.05) await db.run('DELETE FROM signin_failures WHERE at <= ?', [t - windowMs]);
    },

    /** A successful sign-in clears the account's count (not the address's). */
    async recordSuccess(surface: string, username: string): Promise<void> {
      await db.run('DELETE FROM signin_failures WHERE bucket = ?', [buckets(surface, username, '')[0].bucket]);
    },
  };
}

export type SigninThrottle = ReturnType<typeof signinThrottle>;
