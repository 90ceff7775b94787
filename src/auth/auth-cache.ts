import { createHmac, randomBytes } from 'node:crypto';
import type { CredentialChange, VerifiedCredential } from './credentials.js';
import type { Authenticate, Principal } from './principal.js';

export interface AuthCacheOptions {
  /** How long a verified patient credential or token is trusted without asking the database. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

type OnCredentialChange = (listener: (change: CredentialChange) => void) => () => void;

/**
 * Short-lived trust in a successful patient authentication, shared by the FHIR API's
 * authentication cache and the token endpoint's client verification. Entries are keyed
 * by an HMAC (under a random per-process key) of what the caller presented, so the cache
 * never holds a secret or a token. Revocation stays immediate in this process: deleting
 * or suspending a credential (credentials.onChange) drops its entries at once, and a
 * verification that was still running when a credential changed is not cached (its
 * answer may predate the change). Another process or instance sharing the database is
 * refused within the TTL — the SPEC's "within one second". An entry never outlives the
 * `expiresAt` of what it holds (an access token's expiry).
 */
function trustCache<V extends { readonly credentialId: string; readonly patientId: string; readonly expiresAt?: number }>(
  onChange: OnCredentialChange,
  options: AuthCacheOptions,
) {
  const ttl = options.ttlMs ?? 1000;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const hmacKey = randomBytes(32);
  const entries = new Map<string, { value: V; until: number }>();
  let changes = 0;

  onChange((change) => {
    changes++;
    for (const [key, e] of entries) {
      // A revocation drops every entry of that patient, not only the credential's: tokens of
      // SMART grants made with a deleted credential name the grant, and must be re-checked too.
      const hit = e.value.patientId === change.patientId || (change.kind === 'revoked' && e.value.credentialId === change.credentialId);
      if (hit) entries.delete(key);
    }
  });

  return {
    /** The cache key for the presented material (each part length-prefixed, so parts cannot run into each other). */
    keyOf(...material: string[]): string {
      const h = createHmac('sha256', hmacKey);
      for (const part of material) h.update(`${part.length}:`).update(part);
      return h.digest('base64');
    },
    get(key: string): V | undefined {
      const hit = entries.get(key);
      if (hit && hit.until > now()) return hit.value;
      if (hit) entries.delete(key);
      return undefined;
    },
    /** Taken before verifying; `set` ignores the result when a credential changed since. */
    ticket(): number {
      return changes;
    },
    set(key: string, value: V, ticket: number): void {
      if (ticket !== changes) return;
      const t = now();
      // Expired entries go first, oldest first. Every token is a new key that is never looked
      // up again once it is replaced, so without this sweep the map filled up to `max` with
      // dead entries (~600 bytes each: 10,000 were 6 MiB of the V8 heap, reached after ~7
      // minutes of the PostgreSQL soak's token traffic, docs/reliability.md). Entries are in
      // insertion order and none outlives its insertion by more than `ttl`, so the sweep
      // stops at the first live one and leaves only what was stored in the last `ttl`.
      for (const [k, e] of entries) {
        if (e.until > t) break;
        entries.delete(k);
      }
      entries.delete(key); // a re-verified key moves to the end: the order stays that of insertion time
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(key, { value, until: Math.min(t + ttl, value.expiresAt ?? Infinity) });
    },
    /** Entries held (expired ones included until the next `set` sweeps them). */
    get size(): number {
      return entries.size;
    },
  };
}

/**
 * Remembers successful patient authentications of FHIR requests for at most `ttlMs`
 * (default 1 s), keyed by a keyed hash of the Authorization header. Staff principals are
 * never cached (a disabled staff account loses access at once).
 */
export function withAuthCache(authenticate: Authenticate, onChange: OnCredentialChange, options: AuthCacheOptions = {}): Authenticate & { cachedEntries(): number } {
  const cache = trustCache<Principal & { kind: 'patient' }>(onChange, options);
  const cached: Authenticate = async (req) => {
    if (!req.authorization) return authenticate(req);
    const key = cache.keyOf(req.authorization);
    const hit = cache.get(key);
    if (hit) return hit;
    const ticket = cache.ticket();
    const principal = await authenticate(req);
    if (principal.kind === 'patient') cache.set(key, principal, ticket);
    return principal;
  };
  return Object.assign(cached, { cachedEntries: () => cache.size });
}

/**
 * The same trust in front of client verification at the token endpoint: a key and secret
 * verified less than `ttlMs` ago are not looked up again. Failures are never cached, so
 * every failed attempt still reaches the caller (and its failure throttle).
 */
export function withClientVerifyCache(
  verify: (key: string, secret: string) => Promise<VerifiedCredential | undefined>,
  onChange: OnCredentialChange,
  options: AuthCacheOptions = {},
): (key: string, secret: string) => Promise<VerifiedCredential | undefined> {
  const cache = trustCache<VerifiedCredential>(onChange, options);
  return async (clientKey, secret) => {
    const key = cache.keyOf(clientKey, secret);
    const hit = cache.get(key);
    if (hit) return hit;
    const ticket = cache.ticket();
    const verified = await verify(clientKey, secret);
    if (verified) cache.set(key, verified, ticket);
    return verified;
  };
}
