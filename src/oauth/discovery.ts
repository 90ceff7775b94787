import type { Config } from '../config/config.js';

/**
 * SMART configuration (https://hl7.org/fhir/smart-app-launch/conformance.html#metadata),
 * served at /.well-known/smart-configuration and under /fhir. It announces only what
 * works: the client-credentials token endpoint with client_secret_basic/post.
 */
export function smartConfiguration(config: Config) {
  return {
    issuer: config.publicUrl,
    token_endpoint: `${config.publicUrl}/oauth/token`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    scopes_supported: ['patient/*.rs', 'patient/*.read', 'launch/patient'],
    response_types_supported: ['token'],
    capabilities: ['client-confidential-symmetric', 'permission-patient', 'permission-v1', 'permission-v2'],
    code_challenge_methods_supported: [],
  };
}
