import type { CredentialService } from './credentials.js';
import type { AuthStrategy } from './authenticate.js';
import type { FailureThrottle } from './failure-throttle.js';
import { AuthError, type Authenticate } from './principal.js';
import { allScope, patientScope, withSensitivity, type PatientScope } from '../fhir/scope.js';
import { systemReadableTypes } from './permissions.js';
import { DEFAULT_SCOPE, narrowingOf } from './scopes.js';
import { subjectKind } from './subject.js';
import { SYSTEM_SUBJECT_PREFIX, type TokenService } from './tokens.js';

const KEY_SHAPE = /^[A-Za-z0-9]{32}$/;

/**
 * A patient credential used directly: HTTP Basic with key:secret on every call
 * (`curl -u key:secret`). Usernames that are not key-shaped are left to other strategies.
 */
export function credentialBasicStrategy(credentials: CredentialService): AuthStrategy {
  return async (_req, header) => {
    if (header.scheme !== 'basic' || !KEY_SHAPE.test(header.user)) return undefined;
    const verified = await credentials.verify(header.user, header.password);
    if (!verified) throw new AuthError('invalid', 'Invalid client credentials');
    const granted = verified.grantedScope ?? DEFAULT_SCOPE;
    return {
      kind: 'patient',
      patientId: verified.patientId,
      credentialId: verified.credentialId,
      subjectKind: 'credential',
      scope: grantedScope(verified.patientId, granted, verified.includeSensitive ?? false),
      grantedScopes: granted,
    };
  };
}

/**
 * The data scope of a granted SMART scope string: the same conversion for a generated
 * credential (its chosen categories are stored as a scope string) and a token, so what a
 * credential shares is enforced exactly like a SMART grant. Sensitive resources are left
 * out unless the patient chose to include them (Patient controls).
 */
export function grantedScope(patientId: string, granted: string, includeSensitive: boolean): PatientScope {
  return withSensitivity(patientScope(patientId, narrowingOf(granted)), !includeSensitive);
}

/**
 * An access token from /oauth/token (RFC 6750). Signature, expiry and revocation are
 * checked inside tokens.verify. A patient's token (credential or SMART grant) reads that
 * patient's record within its granted scopes; a practice system's token (`sys:` subject)
 * sees every patient within its `system/` scopes.
 */
export function bearerStrategy(
  tokens: TokenService,
  systemClientName: (clientId: string) => string = (id) => id,
  includesSensitive: (subject: string, patientId: string) => Promise<boolean> = async () => false,
): AuthStrategy {
  return async (_req, header) => {
    if (header.scheme !== 'bearer') return undefined;
    const owner = await tokens.verify(header.token);
    if (owner === 'expired') throw new AuthError('expired', 'The access token has expired');
    if (!owner) throw new AuthError('invalid', 'The access token is invalid or has been revoked');
    const kind = subjectKind(owner.credentialId);
    if (kind === 'system') {
      const clientId = owner.credentialId.slice(SYSTEM_SUBJECT_PREFIX.length);
      return { kind: 'system', clientId, clientName: systemClientName(clientId), scope: allScope(systemReadableTypes(owner.scope)), grantedScopes: owner.scope, expiresAt: owner.expiresAt };
    }
    // Whether sensitive resources are shared is the subject's setting (the generated
    // credential's, or the SMART grant's consent-page choice), not the token's: it is read
    // live, so it cannot outlast a change.
    const sensitive = await includesSensitive(owner.credentialId, owner.patientId);
    return {
      kind: 'patient',
      patientId: owner.patientId,
      credentialId: owner.credentialId,
      subjectKind: kind,
      scope: grantedScope(owner.patientId, owner.scope, sensitive),
      grantedScopes: owner.scope,
      expiresAt: owner.expiresAt,
    };
  };
}

/**
 * Wraps an authenticator with failure throttling per presented key and per address:
 * once a bucket is over its limit every attempt gets 429 + Retry-After — even a correct
 * one, so guessing cannot continue at full speed.
 */
export function withFailureThrottle(authenticate: Authenticate, throttle: FailureThrottle, onFailure?: (reason: string) => void): Authenticate {
  return async (req) => {
    const buckets = [`ip:${req.ip}`];
    const basicUser = basicUsername(req.authorization);
    if (basicUser) buckets.push(`key:${basicUser.slice(0, 64)}`);
    const wait = await throttle.retryAfter(buckets);
    if (wait > 0) {
      onFailure?.('throttled');
      throw new AuthError('invalid', 'Too many failed authentication attempts; try again later', wait);
    }
    try {
      return await authenticate(req);
    } catch (err) {
      if (err instanceof AuthError && err.code !== 'missing') {
        onFailure?.(err.code);
        await throttle.recordFailure(buckets);
      }
      throw err;
    }
  };
}

function basicUsername(header: string | undefined): string | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : undefined;
}
