import { subjectKind } from '../auth/subject.js';
import { SYSTEM_SUBJECT_PREFIX, TOKEN_PREFIX } from '../auth/tokens.js';
import type { Services } from '../services.js';
import type { OAuthClient } from './clients.js';
import { OAuthError } from './errors.js';
import type { Grant } from './grants.js';

/**
 * What an access or refresh token is, for introspection (RFC 7662, SMART 2 "Token
 * Introspection") and revocation (RFC 7009). A client learns about its own tokens; a
 * confidential app registered by the practice (a resource server) may introspect any.
 */
interface TokenFacts {
  clientId: string;
  scope: string;
  patientId?: string;
  /** The signed-in account the grant was made by (id_token `sub`). */
  sub?: string;
  grant?: Grant;
  exp?: number;
  iat?: number;
  kind: 'access' | 'refresh';
}

async function facts(token: string, services: Services): Promise<TokenFacts | undefined> {
  const { oauth } = services;
  if (token.startsWith(TOKEN_PREFIX)) {
    const owner = await services.tokens.verify(token);
    if (!owner || owner === 'expired') return undefined;
    const times = { exp: Math.floor(owner.expiresAt / 1000), iat: Math.floor(owner.issuedAt / 1000), kind: 'access' as const };
    const kind = subjectKind(owner.credentialId);
    if (kind === 'system') return { clientId: owner.credentialId.slice(SYSTEM_SUBJECT_PREFIX.length), scope: owner.scope, ...times };
    if (kind === 'grant') {
      const grant = await oauth.grants.get(owner.credentialId);
      return grant && { clientId: grant.clientId, scope: owner.scope, patientId: grant.patientId, sub: grant.accountId, grant, ...times };
    }
    const credential = await services.credentials.get(owner.credentialId);
    return credential && { clientId: credential.key, scope: owner.scope, patientId: credential.patientId, sub: credential.accountId, ...times };
  }
  const grant = await oauth.grants.grantOfRefreshToken(token);
  return grant && { clientId: grant.clientId, scope: grant.scope, patientId: grant.patientId, sub: grant.accountId, grant, kind: 'refresh' };
}

const mayAsk = (caller: OAuthClient, f: TokenFacts) => f.clientId === caller.clientId || (caller.type === 'confidential' && !caller.credential);

export async function introspect(token: string, caller: OAuthClient, services: Services): Promise<Record<string, unknown>> {
  const f = await facts(token, services);
  // Exactly {"active":false} for anything dead, unknown or not the caller's (SMART 2).
  if (!f || !mayAsk(caller, f)) return { active: false };
  const issuer = services.config.publicUrl;
  const out: Record<string, unknown> = { active: true, client_id: f.clientId, scope: f.scope, token_type: f.kind === 'access' ? 'Bearer' : 'refresh_token', iss: issuer };
  if (f.exp !== undefined) out.exp = f.exp;
  if (f.iat !== undefined) out.iat = f.iat;
  if (f.patientId) out.patient = f.patientId;
  if (f.sub) out.sub = f.sub;
  if (f.patientId && f.scope.split(' ').includes('fhirUser')) out.fhirUser = `${issuer}/fhir/Patient/${f.patientId}`;
  return out;
}

export async function revoke(token: string, caller: OAuthClient, services: Services): Promise<void> {
  const f = await facts(token, services);
  if (!f || f.clientId !== caller.clientId) return; // RFC 7009 §2.2: unknown tokens are not an error
  if (!f.grant) {
    throw new OAuthError('unsupported_token_type', 400, 'Tokens of a generated credential end when the credential is deleted in the portal; system tokens expire within the hour');
  }
  // Either token of a grant ends the whole grant: its access and refresh tokens die together.
  await services.oauth.grants.revoke(f.grant.id, `client:${caller.clientId}`);
}
