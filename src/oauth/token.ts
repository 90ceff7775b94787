import type { VerifiedCredential } from '../auth/credentials.js';
import type { FailureThrottle } from '../auth/failure-throttle.js';
import { narrowToCredential } from '../auth/credential-grant.js';
import { grantScopes } from '../auth/scopes.js';
import { MAX_SCOPE_LENGTH, type TokenService } from '../auth/tokens.js';

/** An OAuth error response (https://www.rfc-editor.org/rfc/rfc6749#section-5.2). */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope',
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'OAuthError';
  }
}

export interface TokenRequest {
  /** The form body, already parsed. */
  form: URLSearchParams;
  authorization?: string;
  ip: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient: string;
}

export interface TokenDeps {
  /** Checks a client's key and secret (credentials.verify, possibly behind a short trust cache). */
  verifyClient: (key: string, secret: string) => Promise<VerifiedCredential | undefined>;
  tokens: TokenService;
  throttle: FailureThrottle;
  resourceTypes: readonly string[];
  onIssued?: (credentialId: string, patientId: string, ip: string) => void;
}

/**
 * The client credentials grant (https://www.rfc-editor.org/rfc/rfc6749#section-4.4) for
 * patient-generated credentials: key = client_id, secret = client_secret.
 */
export async function clientCredentialsGrant(req: TokenRequest, deps: TokenDeps): Promise<TokenResponse> {
  const grantType = single(req.form, 'grant_type');
  if (!grantType) throw new OAuthError('invalid_request', 400, 'grant_type is required');
  if (grantType !== 'client_credentials') {
    throw new OAuthError('unsupported_grant_type', 400, 'Only the client_credentials grant is supported');
  }
  const client = clientAuthentication(req);
  const buckets = [`ip:${req.ip}`, `key:${client.id.slice(0, 64)}`];
  const wait = await deps.throttle.retryAfter(buckets);
  if (wait > 0) throw new OAuthError('invalid_client', 429, 'Too many failed authentication attempts; try again later', wait);
  const verified = await deps.verifyClient(client.id, client.secret);
  if (!verified) {
    await deps.throttle.recordFailure(buckets);
    throw new OAuthError('invalid_client', 401, 'Client authentication failed');
  }
  const scopes = grantScopes(single(req.form, 'scope'), deps.resourceTypes);
  if (!scopes.ok) throw new OAuthError('invalid_scope', 400, `Scope "${scopes.invalid}" cannot be granted to a patient credential`);
  // A narrowed credential's token carries no more than the patient chose to share.
  const granted = narrowToCredential(scopes.granted, verified.grantedScope);
  if (!/patient\//.test(granted)) throw new OAuthError('invalid_scope', 400, 'The requested scopes are not shared by these credentials');
  // The token carries its scope: a bounded token needs a bounded scope.
  if (granted.length > MAX_SCOPE_LENGTH) throw new OAuthError('invalid_scope', 400, `The granted scopes may be at most ${MAX_SCOPE_LENGTH} characters`);
  const issued = deps.tokens.issue(verified.credentialId, verified.patientId, granted);
  deps.onIssued?.(verified.credentialId, verified.patientId, req.ip);
  return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope, patient: issued.patientId };
}

/**
 * Client authentication (https://www.rfc-editor.org/rfc/rfc6749#section-2.3.1): HTTP Basic
 * (client_secret_basic, id and secret form-urlencoded before base64) or client_id and
 * client_secret in the body (client_secret_post) — not both.
 */
function clientAuthentication(req: TokenRequest): { id: string; secret: string } {
  const bodyId = single(req.form, 'client_id');
  const bodySecret = single(req.form, 'client_secret');
  const header = req.authorization;
  if (header && /^basic /i.test(header)) {
    if (bodySecret !== undefined) throw new OAuthError('invalid_request', 400, 'Use one client authentication method, not both');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 401, 'Malformed HTTP Basic client authentication');
    const id = safeDecode(decoded.slice(0, colon));
    const secret = safeDecode(decoded.slice(colon + 1));
    if (bodyId !== undefined && bodyId !== id) throw new OAuthError('invalid_request', 400, 'client_id does not match the authenticated client');
    return { id, secret };
  }
  if (header) throw new OAuthError('invalid_client', 401, 'Unsupported Authorization scheme for client authentication');
  if (!bodyId || bodySecret === undefined) throw new OAuthError('invalid_client', 401, 'Client authentication is required');
  return { id: bodyId, secret: bodySecret };
}

/** Each parameter at most once (https://www.rfc-editor.org/rfc/rfc6749#section-3.2). */
function single(form: URLSearchParams, name: string): string | undefined {
  const all = form.getAll(name);
  if (all.length > 1) throw new OAuthError('invalid_request', 400, `${name} must not be repeated`);
  return all[0];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}
