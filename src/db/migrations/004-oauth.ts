import type { Migration } from './types.js';

/**
 * OAuth access tokens. Only SHA-256 of the opaque token is stored; the credential link is
 * checked on every use, so deleting or suspending a credential kills its tokens at once.
 */
export const oauthSchema: Migration = {
  id: '004-oauth',
  sql: () => `
CREATE TABLE oauth_tokens (
  token_hash TEXT PRIMARY KEY,
  credential_id TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  scope TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX oauth_tokens_credential ON oauth_tokens (credential_id);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);
`,
};
