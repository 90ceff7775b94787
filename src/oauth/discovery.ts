import type { Config } from '../config/config.js';

/**
 * SMART configuration (https://hl7.org/fhir/smart-app-launch/conformance.html#metadata),
 * served at /.well-known/smart-configuration and under /fhir. It announces exactly what
 * works: standalone patient launch (authorization code + PKCE S256) for public,
 * confidential-symmetric and confidential-asymmetric clients, OpenID Connect id_tokens,
 * refresh tokens, v1 and v2 (granular) patient scopes, and Backend Services
 * (client_credentials with private_key_jwt).
 */
export function smartConfiguration(config: Config) {
  const base = config.publicUrl;
  return {
    issuer: base,
    jwks_uri: `${base}/oauth/jwks`,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    introspection_endpoint: `${base}/oauth/introspect`,
    revocation_endpoint: `${base}/oauth/revoke`,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    token_endpoint_auth_signing_alg_values_supported: ['RS384', 'ES384'],
    scopes_supported: [
      'openid', 'fhirUser', 'launch/patient', 'offline_access', 'online_access',
      'patient/*.rs', 'patient/*.read', 'system/*.rs', 'system/*.read', 'system/*.cruds', 'system/*.write',
    ],
    response_types_supported: ['code'],
    capabilities: [
      'launch-standalone', 'client-public', 'client-confidential-symmetric', 'client-confidential-asymmetric',
      'sso-openid-connect', 'context-standalone-patient', 'permission-offline', 'permission-patient',
      'permission-v1', 'permission-v2', 'authorize-post',
    ],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
}

/** OpenID Connect discovery (https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderMetadata). */
export function openidConfiguration(config: Config) {
  const base = config.publicUrl;
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    jwks_uri: `${base}/oauth/jwks`,
    introspection_endpoint: `${base}/oauth/introspect`,
    revocation_endpoint: `${base}/oauth/revoke`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    scopes_supported: ['openid', 'fhirUser', 'launch/patient', 'offline_access'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'nonce', 'fhirUser'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
  };
}
