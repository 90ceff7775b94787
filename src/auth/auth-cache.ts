import { createHash } from 'node:crypto';
import type { CredentialChange } from './credentials.js';
import type { Authenticate, Principal } from './principal.js';

export interface AuthCacheOptions {
  /** How long a verified patient credential or token is trusted without asking the database. */
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Remembers successful patient authentications for at most `ttlMs` (default 1 s), keyed
 * by a SHA-256 of the Authorization header (never the secret itself). Revocation stays
 * immediate: a credential deleted or suspended in this process drops its entries at once
 * (credentials.onChange); one changed by another process or instance sharing the
 * database is refused within the TTL — the SPEC's "within one second".
 * Staff principals are never cached (a disabled staff account loses access at once).
 */
export function withAuthCache(
  authenticate: Authenticate,
  onChange: (listener: (change: CredentialChange) => void) => () => void,
  options: AuthCacheOptions = {},
): Authenticate {
  const ttl = options.ttlMs ?? 1000;
  const max = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { principal: Principal & { kind: 'patient' }; until: number }>();

  onChange((change) => {
    for (const [key, e] of entries) {
      const hit = change.kind === 'revoked' ? e.principal.credentialId === change.credentialId : e.principal.patientId === change.patientId;
      if (hit) entries.delete(key);
    }
  });

  return async (req) => {
    if (!req.authorization) return authenticate(req);
    const key = createHash('sha256').update(req.authorization).digest('base64');
    const hit = entries.get(key);
    if (hit && hit.until > now()) return hit.principal;
    if (hit) entries.delete(key);
    const principal = await authenticate(req);
    if (principal.kind === 'patient') {
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      entries.set(key, { principal, until: now() + ttl });
    }
    return principal;
  };
}
