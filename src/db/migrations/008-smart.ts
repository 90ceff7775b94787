import type { Migration } from './types.js';

/**
 * SMART App Launch and Backend Services (SPEC "Connected apps", "Practice systems").
 *
 * - `oauth_clients`: apps the practice registers (public, confidential, asymmetric, system).
 *   Secrets only as keyed hashes; asymmetric and system clients keep a JWKS URL or an inline JWKS.
 * - `oauth_grants`: what a patient allowed an app (or one of their own credentials used as
 *   a SMART client) at the consent page. Access tokens name the grant; a revoked grant,
 *   its credential deleted, or its portal account disabled kills them on the next request.
 * - `oauth_codes`, `oauth_refresh_tokens`: only keyed hashes of the values.
 * - `oauth_signing_keys`: id_token keys; the private JWK encrypted under the server key.
 * - `oauth_assertion_jti`: every client-assertion jti seen until its exp (replay check
 *   shared by every instance).
 * - `api_credentials.redirect_uris`: redirect URIs the patient typed for a credential.
 */
export const smartSchema: Migration = {
  id: '008-smart',
  sql: () => `
CREATE TABLE oauth_clients (
  client_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  client_type TEXT NOT NULL,
  secret_hash TEXT,
  redirect_uris TEXT NOT NULL,
  jwks_url TEXT,
  jwks TEXT,
  scope TEXT,
  created_at BIGINT NOT NULL,
  created_by TEXT NOT NULL,
  removed_at BIGINT
);

CREATE TABLE oauth_grants (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL,
  credential_id TEXT,
  client_name TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  account_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  revoked_at BIGINT,
  revoked_by TEXT
);
CREATE INDEX oauth_grants_patient ON oauth_grants (patient_id, created_at);
CREATE INDEX oauth_grants_credential ON oauth_grants (credential_id);
CREATE INDEX oauth_grants_client ON oauth_grants (client_id);

CREATE TABLE oauth_codes (
  code_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  redirect_uri TEXT NOT NULL,
  code_challenge TEXT,
  nonce TEXT,
  expires_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX oauth_codes_expiry ON oauth_codes (expires_at);

CREATE TABLE oauth_refresh_tokens (
  token_hash TEXT PRIMARY KEY,
  grant_id TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  rotated_at BIGINT
);
CREATE INDEX oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);

CREATE TABLE oauth_signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  private_jwk_enc TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT
);

CREATE TABLE oauth_assertion_jti (
  jti_hash TEXT PRIMARY KEY,
  expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_assertion_jti_expiry ON oauth_assertion_jti (expires_at);

ALTER TABLE api_credentials ADD COLUMN redirect_uris TEXT;
`,
};
