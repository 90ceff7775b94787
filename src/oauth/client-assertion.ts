import { createHash } from 'node:crypto';
import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Db } from '../db/db.js';
import { DbError } from '../db/db.js';
import type { OAuthClient } from './clients.js';

/**
 * private_key_jwt client authentication (RFC 7523 §2.2; SMART App Launch "Client
 * Authentication: Asymmetric" and Backend Services): a JWT signed RS384 or ES384 with a
 * key from the client's JWKS, `iss` = `sub` = client_id, `aud` = our token URL, `exp` at
 * most five minutes ahead, and a `jti` never seen before. Signature and claims are
 * checked by `jose`; JWKS URLs are fetched through jose's remote key set, which caches
 * the keys for an hour and fetches again when an unknown `kid` appears (at most every
 * JWKS_REFETCH_COOLDOWN_MS). Each jti is
 * remembered in the database until its exp, so a replay is refused by every instance.
 */
export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const ALGORITHMS = ['RS384', 'ES384'];
const MAX_LIFETIME_S = 300;
const CLOCK_SKEW_S = 60;
/** An unknown kid fetches the client's JWKS again, at most this often (an attacker's garbage kids cannot make us hammer it). */
export const JWKS_REFETCH_COOLDOWN_MS = 5000;

export type AssertionResult = { ok: true } | { ok: false; reason: string };

export function clientAssertions(db: Db, options: { tokenUrl: string; now?: () => number; fetchTimeoutMs?: number }) {
  const now = options.now ?? Date.now;
  const remote = new Map<string, JWTVerifyGetKey>();

  const keySet = (client: OAuthClient): JWTVerifyGetKey | undefined => {
    if (client.jwks) return createLocalJWKSet(client.jwks);
    if (!client.jwksUrl) return undefined;
    let set = remote.get(client.jwksUrl);
    if (!set) {
      set = createRemoteJWKSet(new URL(client.jwksUrl), { timeoutDuration: options.fetchTimeoutMs ?? 5000, cooldownDuration: JWKS_REFETCH_COOLDOWN_MS, cacheMaxAge: 3_600_000 });
      if (remote.size > 1000) remote.delete(remote.keys().next().value!);
      remote.set(client.jwksUrl, set);
    }
    return set;
  };

  return {
    async verify(client: OAuthClient, assertion: string): Promise<AssertionResult> {
      const keys = keySet(client);
      if (!keys) return { ok: false, reason: 'The client has no registered keys' };
      let payload;
      try {
        ({ payload } = await jwtVerify(assertion, keys, {
          algorithms: ALGORITHMS,
          issuer: client.clientId,
          subject: client.clientId,
          audience: options.tokenUrl,
          clockTolerance: CLOCK_SKEW_S,
          currentDate: new Date(now()),
          requiredClaims: ['exp', 'jti'],
        }));
      } catch (err) {
        if (err instanceof joseErrors.JWKSNoMatchingKey) return { ok: false, reason: 'No registered key matches the assertion' };
        if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'The client assertion has expired' };
        if (err instanceof joseErrors.JOSEError) return { ok: false, reason: 'The client assertion is invalid' };
        throw err;
      }
      const nowS = Math.floor(now() / 1000);
      if (typeof payload.exp !== 'number' || payload.exp > nowS + MAX_LIFETIME_S + CLOCK_SKEW_S) {
        return { ok: false, reason: 'The client assertion may expire at most five minutes ahead' };
      }
      if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) return { ok: false, reason: 'The client assertion needs a jti' };
      const jtiHash = createHash('sha256').update(`${client.clientId}\0${payload.jti}`).digest('base64');
      try {
        await db.run('INSERT INTO oauth_assertion_jti (jti_hash, expires_at) VALUES (?, ?)', [jtiHash, (payload.exp + CLOCK_SKEW_S) * 1000]);
      } catch (err) {
        if (err instanceof DbError && err.code === 'unique_violation') return { ok: false, reason: 'The client assertion was used before (jti replay)' };
        throw err;
      }
      return { ok: true };
    },

    /** Drops remembered jtis whose assertions have expired anyway (maintenance). */
    async prune(): Promise<number> {
      return db.run('DELETE FROM oauth_assertion_jti WHERE expires_at < ?', [now()]);
    },
  };
}

export type ClientAssertions = ReturnType<typeof clientAssertions>;
