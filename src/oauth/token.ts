import { createHash } from 'node:crypto';
import type { VerifiedCredential } from '../auth/credentials.js';
import type { FailureThrottle } from '../auth/failure-throttle.js';
import { grantScopes } from '../auth/scopes.js';
import { MAX_SCOPE_LENGTH, systemSubject, type TokenService } from '../auth/tokens.js';
import { authenticateClient, single, type AuthenticatedClient } from './client-auth.js';
import type { ClientAssertions } from './client-assertion.js';
import type { ClientRegistry } from './clients.js';
import { OAuthError } from './errors.js';
import type { Grant, GrantStore } from './grants.js';
import type { SigningKeys } from './signing-keys.js';

export { OAuthError } from './errors.js';

/**
 * The token endpoint's grants (https://www.rfc-editor.org/rfc/rfc6749):
 * - `authorization_code` (§4.1.3, PKCE RFC 7636) for apps the patient allowed at /oauth/authorize;
 * - `refresh_token` (§6), rotating: every use returns a new refresh token;
 * - `client_credentials` (§4.4) for a patient's generated credential (key + secret, as
 *   the seed flow always did) and for practice systems (SMART Backend Services:
 *   private_key_jwt, `system/` scopes).
 * Every response is `Cache-Control: no-store` (the plugin sets it); errors are §5.2 JSON.
 */
export interface TokenRequest {
  form: URLSearchParams;
  authorization?: string;
  ip: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  patient?: string;
  id_token?: string;
  refresh_token?: string;
}

export interface TokenDeps {
  verifyCredential: (key: string, secret: string) => Promise<VerifiedCredential | undefined>;
  clients: ClientRegistry;
  assertions: ClientAssertions;
  grants: GrantStore;
  tokens: TokenService;
  keys: SigningKeys;
  throttle: FailureThrottle;
  resourceTypes: readonly string[];
  /** PUBLIC_URL: the id_token issuer. */
  issuer: string;
  /** Called after a token is issued to a patient credential or grant (access log). */
  onIssued?: (subject: string, patientId: string, ip: string) => void;
}

export async function tokenGrant(req: TokenRequest, deps: TokenDeps): Promise<TokenResponse> {
  const grantType = single(req.form, 'grant_type');
  if (!grantType) throw new OAuthError('invalid_request', 400, 'grant_type is required');
  if (!['authorization_code', 'refresh_token', 'client_credentials'].includes(grantType)) {
    throw new OAuthError('unsupported_grant_type', 400, 'Supported grants: authorization_code, refresh_token, client_credentials');
  }
  const caller = await authenticateClient(req.form, req.authorization, req.ip, deps);
  if (grantType === 'authorization_code') return authorizationCode(req, caller, deps);
  if (grantType === 'refresh_token') return refreshToken(req, caller, deps);
  return clientCredentials(req, caller, deps);
}

async function authorizationCode(req: TokenRequest, caller: AuthenticatedClient, deps: TokenDeps): Promise<TokenResponse> {
  if (caller.client.type === 'system') throw new OAuthError('unauthorized_client', 400, 'A system client uses the client_credentials grant');
  const code = single(req.form, 'code');
  const redirectUri = single(req.form, 'redirect_uri');
  const verifier = single(req.form, 'code_verifier');
  if (!code) throw new OAuthError('invalid_request', 400, 'code is required');
  const redeemed = await deps.grants.redeemCode(code, caller.client.clientId);
  if (!redeemed) throw new OAuthError('invalid_grant', 400, 'The authorization code is invalid, expired, already used, or was issued to another client');
  if (redirectUri !== redeemed.redirectUri) throw new OAuthError('invalid_grant', 400, 'redirect_uri does not match the authorization request');
  if (redeemed.codeChallenge !== null) {
    // RFC 7636 §4.1 and §4.6: 43–128 unreserved characters whose S256 is the challenge.
    if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) throw new OAuthError('invalid_grant', 400, 'A valid code_verifier is required');
    if (createHash('sha256').update(verifier, 'ascii').digest('base64url') !== redeemed.codeChallenge) {
      throw new OAuthError('invalid_grant', 400, 'The code_verifier does not match the code_challenge');
    }
  } else if (verifier !== undefined) {
    throw new OAuthError('invalid_grant', 400, 'No code_challenge was sent with the authorization request');
  }
  return grantResponse(redeemed.grant, redeemed.grant.scope, redeemed.nonce, req.ip, deps);
}

async function refreshToken(req: TokenRequest, caller: AuthenticatedClient, deps: TokenDeps): Promise<TokenResponse> {
  const token = single(req.form, 'refresh_token');
  if (!token) throw new OAuthError('invalid_request', 400, 'refresh_token is required');
  const rotated = await deps.grants.rotateRefreshToken(token, caller.client.clientId);
  if (!rotated) throw new OAuthError('invalid_grant', 400, 'The refresh token is invalid, expired, revoked, or was issued to another client');
  // §6: a narrower scope may be asked for; never a wider one.
  const asked = single(req.form, 'scope');
  let scope = rotated.grant.scope;
  if (asked) {
    const granted = new Set(scope.split(' '));
    const items = asked.split(/\s+/).filter(Boolean);
    const extra = items.find((s) => !granted.has(s));
    if (extra) throw new OAuthError('invalid_scope', 400, `"${extra.slice(0, 100)}" was not granted`);
    scope = items.join(' ');
  }
  return grantResponse(rotated.grant, scope, null, req.ip, deps, rotated.refreshToken);
}

async function grantResponse(grant: Grant, scope: string, nonce: string | null, ip: string, deps: TokenDeps, rotatedRefresh?: string): Promise<TokenResponse> {
  const items = new Set(scope.split(' '));
  const issued = deps.tokens.issue(grant.id, grant.patientId, scope);
  const response: TokenResponse = { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope, patient: grant.patientId };
  if (items.has('openid')) {
    const claims: Record<string, unknown> = {};
    if (items.has('fhirUser')) claims.fhirUser = `${deps.issuer}/fhir/Patient/${grant.patientId}`;
    if (nonce) claims.nonce = nonce;
    response.id_token = await deps.keys.signIdToken(claims, grant.clientId, deps.issuer, grant.accountId);
  }
  if (items.has('offline_access')) response.refresh_token = rotatedRefresh ?? (await deps.grants.issueRefreshToken(grant));
  deps.onIssued?.(grant.id, grant.patientId, ip);
  return response;
}

async function clientCredentials(req: TokenRequest, caller: AuthenticatedClient, deps: TokenDeps): Promise<TokenResponse> {
  const { client } = caller;
  if (client.credential) {
    // The seed flow: a patient's generated credential reads its patient's record.
    const scopes = grantScopes(single(req.form, 'scope'), deps.resourceTypes);
    if (!scopes.ok) throw new OAuthError('invalid_scope', 400, `Scope "${scopes.invalid}" cannot be granted to a patient credential`);
    if (scopes.granted.length > MAX_SCOPE_LENGTH) throw new OAuthError('invalid_scope', 400, `The granted scopes may be at most ${MAX_SCOPE_LENGTH} characters`);
    const { credentialId, patientId } = client.credential;
    const issued = deps.tokens.issue(credentialId, patientId, scopes.granted);
    deps.onIssued?.(credentialId, patientId, req.ip);
    return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope, patient: patientId };
  }
  if (client.type !== 'system' || caller.method !== 'private_key_jwt') {
    throw new OAuthError('unauthorized_client', 400, 'Only system clients (private_key_jwt) and patient credentials use the client_credentials grant');
  }
  const allowed = (client.scope ?? '').split(' ').filter(Boolean);
  const asked = (single(req.form, 'scope') ?? '').split(/\s+/).filter(Boolean);
  const items = asked.length === 0 ? allowed : asked;
  for (const item of items) {
    if (!allowed.some((a) => systemScopeCovers(a, item))) throw new OAuthError('invalid_scope', 400, `Scope "${item.slice(0, 100)}" is not allowed for this client`);
  }
  const scope = [...new Set(items)].join(' ');
  if (scope.length > MAX_SCOPE_LENGTH) throw new OAuthError('invalid_scope', 400, `The granted scopes may be at most ${MAX_SCOPE_LENGTH} characters`);
  const issued = deps.tokens.issue(systemSubject(client.clientId), '*', scope);
  return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope };
}

const SYSTEM_ITEM = /^system\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)$/;
const V1_LETTERS: Record<string, string> = { read: 'rs', write: 'cud', '*': 'cruds' };

/** Whether registered system scope `allowed` covers requested `item` (same or narrower type and permissions; v1 and v2 mixed). */
export function systemScopeCovers(allowed: string, item: string): boolean {
  const a = SYSTEM_ITEM.exec(allowed);
  const b = SYSTEM_ITEM.exec(item);
  if (!a || !b || b[2] === '') return false;
  if (a[1] !== '*' && a[1] !== b[1]) return false;
  const have = V1_LETTERS[a[2]] ?? a[2];
  const want = V1_LETTERS[b[2]] ?? b[2];
  return [...want].every((l) => have.includes(l));
}
