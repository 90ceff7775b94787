import { decodeJwt } from 'jose';
import type { VerifiedCredential } from '../auth/credentials.js';
import type { FailureThrottle } from '../auth/failure-throttle.js';
import { ASSERTION_TYPE, type ClientAssertions } from './client-assertion.js';
import type { ClientRegistry, OAuthClient } from './clients.js';
import { OAuthError } from './errors.js';

/**
 * Who is calling the token, introspection or revocation endpoint (RFC 6749 §2.3): one
 * method per request —
 * - `client_secret_basic`: HTTP Basic, id and secret form-urlencoded before base64;
 * - `client_secret_post`: client_id and client_secret in the body;
 * - `private_key_jwt`: client_assertion_type + client_assertion (RFC 7523);
 * - `none`: a public client names itself with client_id (PKCE protects its codes).
 * Failures count against the failure throttle per address and per client id.
 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

export interface AuthenticatedClient {
  client: OAuthClient;
  method: ClientAuthMethod;
}

export interface ClientAuthDeps {
  clients: ClientRegistry;
  /**
   * A patient credential's key and secret checked behind the one-second trust cache
   * (Services.verifyClient): the seed flow's token issue stays one HMAC, not three lookups.
   */
  verifyCredential: (key: string, secret: string) => Promise<VerifiedCredential | undefined>;
  assertions: ClientAssertions;
  throttle: FailureThrottle;
}

/** The shape of a patient credential's key (client_id); registered apps' ids start with `app_`. */
const CREDENTIAL_KEY = /^[A-Za-z0-9]{32}$/;

export async function authenticateClient(form: URLSearchParams, authorization: string | undefined, ip: string, deps: ClientAuthDeps): Promise<AuthenticatedClient> {
  const presented = presentedClient(form, authorization);
  const buckets = [`ip:${ip}`, `key:${presented.id.slice(0, 64)}`];
  const wait = await deps.throttle.retryAfter(buckets);
  if (wait > 0) throw new OAuthError('invalid_client', 429, 'Too many failed authentication attempts; try again later', wait);
  const fail = async (message: string): Promise<never> => {
    await deps.throttle.recordFailure(buckets);
    throw new OAuthError('invalid_client', 401, message);
  };
  if (presented.secret !== undefined && CREDENTIAL_KEY.test(presented.id)) {
    const verified = await deps.verifyCredential(presented.id, presented.secret);
    if (!verified) return fail('Client authentication failed');
    const client: OAuthClient = { clientId: presented.id, name: '', type: 'confidential', redirectUris: [], createdAt: 0, credential: verified };
    return { client, method: presented.method };
  }
  const client = await deps.clients.get(presented.id);
  if (!client) {
    // The same work as a wrong secret, so unknown ids cannot be told apart by timing.
    if (presented.secret !== undefined) await deps.clients.rejectUnknownClient(presented.id, presented.secret).catch(() => false);
    return fail('Client authentication failed');
  }
  switch (presented.method) {
    case 'client_secret_basic':
    case 'client_secret_post':
      if (client.type !== 'confidential' || !(await deps.clients.verifySecret(client, presented.secret!))) return fail('Client authentication failed');
      break;
    case 'private_key_jwt': {
      if (client.type !== 'asymmetric' && client.type !== 'system') return fail('This client does not authenticate with a signed assertion');
      const result = await deps.assertions.verify(client, presented.assertion!);
      if (!result.ok) return fail(result.reason);
      break;
    }
    case 'none':
      if (client.type !== 'public') return fail('This client must authenticate');
      break;
  }
  return { client, method: presented.method };
}

function presentedClient(form: URLSearchParams, header: string | undefined): { id: string; method: ClientAuthMethod; secret?: string; assertion?: string } {
  const bodyId = single(form, 'client_id');
  const bodySecret = single(form, 'client_secret');
  const assertionType = single(form, 'client_assertion_type');
  const assertion = single(form, 'client_assertion');
  const methods = [header !== undefined, bodySecret !== undefined, assertion !== undefined || assertionType !== undefined].filter(Boolean).length;
  if (methods > 1) throw new OAuthError('invalid_request', 400, 'Use one client authentication method, not several');
  if (header !== undefined) {
    if (!/^basic /i.test(header)) throw new OAuthError('invalid_client', 401, 'Unsupported Authorization scheme for client authentication');
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 401, 'Malformed HTTP Basic client authentication');
    const id = safeDecode(decoded.slice(0, colon));
    if (bodyId !== undefined && bodyId !== id) throw new OAuthError('invalid_request', 400, 'client_id does not match the authenticated client');
    return { id, method: 'client_secret_basic', secret: safeDecode(decoded.slice(colon + 1)) };
  }
  if (assertion !== undefined || assertionType !== undefined) {
    if (assertionType !== ASSERTION_TYPE) throw new OAuthError('invalid_request', 400, `client_assertion_type must be ${ASSERTION_TYPE}`);
    if (!assertion) throw new OAuthError('invalid_request', 400, 'client_assertion is required');
    const id = claimedIssuer(assertion);
    if (!id) throw new OAuthError('invalid_client', 401, 'The client assertion must name the client in iss and sub');
    if (bodyId !== undefined && bodyId !== id) throw new OAuthError('invalid_request', 400, 'client_id does not match the client assertion');
    return { id, method: 'private_key_jwt', assertion };
  }
  if (!bodyId) throw new OAuthError('invalid_client', 401, 'Client authentication is required');
  if (bodySecret !== undefined) return { id: bodyId, method: 'client_secret_post', secret: bodySecret };
  return { id: bodyId, method: 'none' };
}

/** iss of a JWT when it equals sub (decoded by jose, unverified: only to find the client whose keys verify it). */
function claimedIssuer(jwt: string): string | undefined {
  if (jwt.length > 16_384) return undefined;
  try {
    const claims = decodeJwt(jwt);
    return typeof claims.iss === 'string' && claims.iss === claims.sub && claims.iss.length <= 128 ? claims.iss : undefined;
  } catch {
    return undefined;
  }
}

/** Each parameter at most once (https://www.rfc-editor.org/rfc/rfc6749#section-3.2). */
export function single(form: URLSearchParams, name: string): string | undefined {
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
