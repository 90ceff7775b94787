import { createHmac, randomBytes } from 'node:crypto';
import type { StaffService } from '../accounts/staff.js';
import { ALL } from '../fhir/scope.js';
import { AuthError, type AuthRequest, type Authenticate, type Principal } from './principal.js';

/** One way of proving who is calling: returns a principal, undefined when the header is not its kind, or throws AuthError. */
export type AuthStrategy = (req: AuthRequest, header: ParsedAuthorization) => Promise<Principal | undefined>;

export type ParsedAuthorization =
  | { scheme: 'basic'; user: string; password: string }
  | { scheme: 'bearer'; token: string };

/** https://www.rfc-editor.org/rfc/rfc7617 (Basic), https://www.rfc-editor.org/rfc/rfc6750#section-2.1 (Bearer). */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | undefined {
  if (!header) return undefined;
  const space = header.indexOf(' ');
  if (space < 0) return undefined;
  const scheme = header.slice(0, space).toLowerCase();
  const value = header.slice(space + 1).trim();
  if (scheme === 'bearer' && /^[A-Za-z0-9\-._~+/]+=*$/.test(value)) return { scheme: 'bearer', token: value };
  if (scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/** Tries each strategy in order; the first that recognises the credentials decides. */
export function composeAuthenticate(strategies: AuthStrategy[]): Authenticate {
  return async (req) => {
    const header = parseAuthorization(req.authorization);
    if (!header) {
      throw new AuthError(req.authorization ? 'invalid' : 'missing', req.authorization ? 'Malformed Authorization header' : 'Authentication required');
    }
    for (const strategy of strategies) {
      const principal = await strategy(req, header);
      if (principal) return principal;
    }
    throw new AuthError('invalid', 'Invalid credentials');
  };
}

/**
 * Practice staff call the FHIR API with HTTP Basic and their staff username and password;
 * they see every patient (scope all). Argon2id verification is deliberately slow, so a
 * successful check is remembered for a minute under a keyed hash of the pair (never the
 * password itself).
 */
export function staffBasicStrategy(staff: StaffService, options: { ttlMs?: number; now?: () => number } = {}): AuthStrategy {
  const ttl = options.ttlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const key = randomBytes(32);
  const cache = new Map<string, { principal: Principal; until: number }>();
  return async (_req, header) => {
    if (header.scheme !== 'basic') return undefined;
    const k = createHmac('sha256', key).update(header.user).update('\0').update(header.password).digest('base64');
    const hit = cache.get(k);
    // The cache saves the Argon2id check only: a disabled account is refused at once.
    if (hit && hit.until > now() && hit.principal.kind === 'staff' && (await staff.get(hit.principal.staffId))) return hit.principal;
    const user = await staff.verify(header.user, header.password);
    if (!user) return undefined;
    const principal: Principal = { kind: 'staff', staffId: user.id, username: user.username, scope: ALL };
    if (cache.size > 1000) cache.clear();
    cache.set(k, { principal, until: now() + ttl });
    return principal;
  };
}
